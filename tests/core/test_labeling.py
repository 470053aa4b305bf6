"""Labeling actions: durable commits, append-only history, undo and redo of bulk actions, bursts."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.species import ensure_default_species
from labeler.core.store import PredictionRow, Store
from tests.gen import jpeg_bytes, write

T0 = dt.datetime(2022, 5, 1, 12, 0, 0)


@pytest.fixture
def project(tmp_path):
    card = tmp_path / "card"
    # Two bursts of three frames and one lone frame.
    for b in range(2):
        for f in range(3):
            when = T0 + dt.timedelta(minutes=30 * b, seconds=f)
            write(card / "cam" / f"IMG_{b}{f}.JPG", jpeg_bytes(seed=10 * b + f, when=when))
    write(card / "cam" / "IMG_lone.JPG", jpeg_bytes(seed=99, when=T0 + dt.timedelta(hours=5)))
    store = Store(tmp_path / "c.sqlite")
    scan_to_end(store, card)
    ensure_default_species(store)
    yield store, card
    store.close()


def _ids(store: Store) -> dict[str, int]:
    return {r["name"]: r["id"] for r in store.query("SELECT id, name FROM images")}


def _keys(store: Store, ids) -> dict[int, list]:
    return {i: [o.species_key for o in obs] for i, obs in store.labels(ids).items()}


def test_a_confirmed_label_survives_reopening_the_catalog(project, tmp_path):
    store, _ = project
    ids = _ids(store)
    LabelSession(store).set_species([ids["IMG_00.JPG"]], "red_fox", count=2)
    store.close()
    with Store(tmp_path / "c.sqlite") as again:
        obs = again.labels([ids["IMG_00.JPG"]])[ids["IMG_00.JPG"]]
        assert [(o.species_key, o.count, o.classification_method) for o in obs] == [
            ("red_fox", 2, "human")
        ]


def test_bulk_blank_is_undone_and_redone_as_one_action(project):
    store, _ = project
    ids = _ids(store)
    s = LabelSession(store)
    s.set_species([ids["IMG_00.JPG"]], "red_fox")
    targets = [ids[n] for n in ("IMG_00.JPG", "IMG_01.JPG", "IMG_02.JPG", "IMG_10.JPG")]
    record = s.mark_blank(targets)
    assert set(record.image_ids) == set(targets)
    assert all(k == ["blank"] for k in _keys(store, targets).values())
    s.undo()
    after_undo = _keys(store, targets)
    assert after_undo[ids["IMG_00.JPG"]] == ["red_fox"]
    assert all(after_undo[i] == [] for i in targets[1:])
    s.redo()
    assert all(k == ["blank"] for k in _keys(store, targets).values())
    s.undo()
    s.undo()
    assert all(k == [] for k in _keys(store, targets).values())
    assert s.undo() is None


def test_history_keeps_every_change_and_refuses_edits(project):
    store, _ = project
    i = _ids(store)["IMG_lone.JPG"]
    s = LabelSession(store, author="ana")
    s.set_species([i], "coyote")
    s.set_species([i], "gray_wolf")
    s.undo()
    hist = store.image_history(i)
    assert [h["kind"] for h in hist] == ["set", "set", "undo"]
    assert [o.species_key for o in hist[-1]["after"]] == ["coyote"]
    assert hist[0]["author"] == "ana"
    with pytest.raises(sqlite3.IntegrityError):
        with store.write() as c:
            c.execute("DELETE FROM history")
    with pytest.raises(sqlite3.IntegrityError):
        with store.write() as c:
            c.execute("UPDATE history SET after='[]'")


def test_burst_labeling_covers_every_frame_when_one_frame_is_given(project):
    store, _ = project
    ids = _ids(store)
    LabelSession(store).label_bursts([ids["IMG_11.JPG"]], "wild_boar", count=3)
    labels = _keys(store, ids.values())
    assert [labels[ids[f"IMG_1{f}.JPG"]] for f in range(3)] == [["wild_boar"]] * 3
    assert labels[ids["IMG_00.JPG"]] == []


def test_burst_majority_fills_the_unlabeled_frames_and_never_changes_a_persons_label(project):
    store, _ = project
    ids = _ids(store)
    s = LabelSession(store)
    s.set_species([ids["IMG_00.JPG"]], "white_tailed_deer")
    s.set_species([ids["IMG_02.JPG"]], "elk")
    s.set_species([ids["IMG_01.JPG"]], "white_tailed_deer")
    s.clear([ids["IMG_01.JPG"]])
    s.set_species([ids["IMG_01.JPG"]], "white_tailed_deer")
    s.clear([ids["IMG_02.JPG"]])
    s.burst_majority([ids["IMG_02.JPG"]])
    got = [_keys(store, [ids[f"IMG_0{f}.JPG"]])[ids[f"IMG_0{f}.JPG"]] for f in range(3)]
    assert got == [["white_tailed_deer"]] * 3
    s.set_species([ids["IMG_02.JPG"]], "elk")
    s.burst_majority([ids["IMG_00.JPG"]])
    assert _keys(store, [ids["IMG_02.JPG"]])[ids["IMG_02.JPG"]] == ["elk"]
    assert ids["IMG_02.JPG"] in s.kept_human


def test_accepting_suggestions_uses_each_images_own_prediction(project):
    store, _ = project
    ids = _ids(store)
    model = store.register_model("m1", "m", "test", {"labels": []})
    store.set_active_model(model)
    store.write_predictions(model, [
        PredictionRow(ids["IMG_00.JPG"], topk=[("red_fox", 0.8), ("coyote", 0.1)]),
        PredictionRow(ids["IMG_01.JPG"], topk=[("coyote", 0.6), ("red_fox", 0.3)]),
    ])  # fmt: skip
    s = LabelSession(store)
    s.accept_suggestion([ids["IMG_00.JPG"], ids["IMG_01.JPG"], ids["IMG_02.JPG"]], rank=1)
    got = _keys(store, ids.values())
    assert got[ids["IMG_00.JPG"]] == ["red_fox"] and got[ids["IMG_01.JPG"]] == ["coyote"]
    assert got[ids["IMG_02.JPG"]] == []
    s.accept_suggestion([ids["IMG_00.JPG"]], rank=2)
    assert _keys(store, [ids["IMG_00.JPG"]])[ids["IMG_00.JPG"]] == ["coyote"]


def test_an_image_can_hold_two_species_with_counts(project):
    store, _ = project
    i = _ids(store)["IMG_lone.JPG"]
    s = LabelSession(store)
    s.set_species([i], "lion", count=2)
    s.add_species([i], "spotted_hyena", count=5)
    obs = store.labels([i])[i]
    assert [(o.species_key, o.count, o.slot) for o in obs] == [
        ("lion", 2, 0),
        ("spotted_hyena", 5, 1),
    ]
    s.set_count([i], 3)
    assert store.labels([i])[i][0].count == 3


def test_hostile_species_names_are_stored_verbatim_as_values(project):
    store, _ = project
    i = _ids(store)["IMG_lone.JPG"]
    name = "=cmd|' /C calc'!A0 \"; DROP TABLE images; --\u202e\x00\n,"
    store.add_species(name, name)
    LabelSession(store).set_species([i], name)
    assert store.labels([i])[i][0].species_key == name
    assert store.scalar("SELECT count(*) FROM images") == 7
    assert any(s.common_name == name for s in store.species())


def test_labels_of_a_vanished_file_are_kept_when_rescanning(project):
    store, card = project
    ids = _ids(store)
    LabelSession(store).set_species([ids["IMG_lone.JPG"]], "tiger")
    (card / "cam" / "IMG_lone.JPG").unlink()
    scan_to_end(store, card)
    assert store.scalar("SELECT missing FROM images WHERE id=?", (ids["IMG_lone.JPG"],)) == 1
    assert _keys(store, [ids["IMG_lone.JPG"]])[ids["IMG_lone.JPG"]] == ["tiger"]


def test_label_counts_add_up_when_labeling(project):
    store, _ = project
    ids = _ids(store)
    s = LabelSession(store)
    s.mark_blank([ids["IMG_00.JPG"], ids["IMG_01.JPG"]])
    s.accept_machine({ids["IMG_10.JPG"]: ("red_fox", 0.99)}, "m1", "auto")
    c = store.label_counts()
    assert c == {"images": 7, "labeled": 3, "unlabeled": 4, "blank": 2, "auto_accepted": 1}
