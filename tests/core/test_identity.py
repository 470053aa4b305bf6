"""Catalog identity: a moved or copied card keeps its catalog; another folder is refused."""

from __future__ import annotations

import json
import shutil

import pytest

from labeler.cli import main
from labeler.core.identity import DifferentFolder, find_catalog
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.project import default_db_path
from labeler.core.store import Store
from tests.core.exchange.conftest import make_card
from tests.gen import build_burst_tree


def _label_everything(db) -> dict[str, str]:
    with Store(db) as store:
        ids = store.image_ids_by_path()
        session = LabelSession(store, author="ana")
        for k, (_path, image) in enumerate(sorted(ids.items())):
            session.set_species([image], "red_fox" if k % 2 else "blank")
        return {
            p: store.labels([i])[i][0].species_key for p, i in ids.items() if store.labels([i])[i]
        }


def test_a_copied_or_remounted_card_finds_its_catalog_with_every_label(tmp_path, capsys):
    card = make_card(tmp_path / "media" / "SDCARD")
    assert main(["scan", str(card), "--json"]) == 0
    labels = _label_everything(default_db_path(card))
    capsys.readouterr()
    moved = tmp_path / "laptop" / "season1"
    shutil.copytree(card, moved)
    shutil.rmtree(card)  # the card is unmounted
    assert main(["scan", str(moved), "--json"]) == 0
    captured = capsys.readouterr()
    assert "recognised as the card catalogued from" in captured.err
    data = json.loads(captured.out)
    assert data["missing"] == 0 and data["images"] == 13
    catalog, note = find_catalog(moved)
    assert catalog == default_db_path(card) and note is None  # registered now
    with Store(catalog) as store:
        ids = store.image_ids_by_path()
        assert {p: store.labels([i])[i][0].species_key for p, i in ids.items()} == labels


def test_scanning_another_folder_into_a_catalog_is_refused_and_nothing_is_marked_missing(tmp_path):
    card = make_card(tmp_path / "card")
    other = tmp_path / "other"
    build_burst_tree(other, 5, cameras=1)
    db = tmp_path / "c.sqlite"
    assert main(["scan", str(card), "--db", str(db)]) == 0
    with pytest.raises(SystemExit) as info:
        main(["scan", str(other), "--db", str(db)])
    message = str(info.value)
    assert "belongs to" in message and "labeler relink" in message and "\n" not in message
    with Store(db) as store:
        assert store.catalog_counts()["missing"] == 0 and store.catalog_counts()["files"] == 13
        with pytest.raises(DifferentFolder):
            scan_to_end(store, other)


def test_relink_gives_the_catalog_to_the_new_folder_and_refuses_a_different_card(tmp_path, capsys):
    card = make_card(tmp_path / "card")
    assert main(["scan", str(card)]) == 0
    labels = _label_everything(default_db_path(card))
    new = tmp_path / "renamed"
    card.rename(new)
    stranger = tmp_path / "stranger"
    build_burst_tree(stranger, 5, cameras=1)
    with pytest.raises(SystemExit, match="does not look like the card"):
        main(["relink", str(card), str(stranger)])
    capsys.readouterr()
    assert main(["relink", str(card), str(new), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["found"] == done["sample"] > 0 and done["labeled"] == len(labels)
    assert main(["scan", str(new), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["missing"] == 0
    with Store(default_db_path(card)) as store:
        ids = store.image_ids_by_path()
        assert {p: store.labels([i])[i][0].species_key for p, i in ids.items()} == labels
        assert store.get_meta("root") == str(new)
