"""Label imports: species matched by any name, unknown names reported, hostile CSVs refused."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from labeler.core.exchange.coco import export_coco
from labeler.core.exchange.csv_io import import_csv
from labeler.core.exchange.csvread import CsvFormatError
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.media import FileRecord
from labeler.core.store import Store
from tests.core.exchange.conftest import make_card


def _csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _species_of(store, path):
    image = store.image_ids_by_path()[path]
    return [(o.species_key, o.observation_type) for o in store.labels([image])[image]]


def test_names_match_by_key_common_or_scientific_name_whatever_their_case_and_plural(
    project, tmp_path
):
    store, _ = project
    before = len(store.species())
    src = _csv(tmp_path / "in.csv", ["path", "species"], [
        ["CAM_A/IMG_0004.JPG", "Panthera onca"], ["CAM_A/IMG_0005.JPG", "RED FOXES"],
        ["CAM_B/IMG_0003.JPG", "spotted_hyena"], ["CAM_B/IMG_0004.JPG", "Empty"],
        ["CAM_B/IMG_0005.JPG", "nothing"], ["CAM_B/notime.jpg", "person"],
    ])  # fmt: skip
    report = run_to_end(import_csv(store, src))
    assert report.images_updated == 6 and report.species_added == []
    assert len(store.species()) == before
    assert _species_of(store, "CAM_A/IMG_0004.JPG") == [("jaguar", "animal")]
    assert _species_of(store, "CAM_A/IMG_0005.JPG") == [("red_fox", "animal")]
    assert _species_of(store, "CAM_B/IMG_0003.JPG") == [("spotted_hyena", "animal")]
    assert _species_of(store, "CAM_B/IMG_0004.JPG") == [("blank", "blank")]
    assert _species_of(store, "CAM_B/IMG_0005.JPG") == [("blank", "blank")]
    assert _species_of(store, "CAM_B/notime.jpg") == [("human", "human")]
    assert report.species.mapping["Empty"] == "blank"


def test_unknown_names_are_listed_and_added_only_when_asked_and_dry_run_writes_nothing(
    project, tmp_path
):
    store, _ = project
    src = _csv(tmp_path / "in.csv", ["path", "common_name", "scientific_name"], [
        ["CAM_A/IMG_0004.JPG", "Jaguarundi", "Herpailurus yagouaroundi"],
        ["CAM_A/IMG_0005.JPG", "jaguarundis", ""], ["CAM_B/IMG_0003.JPG", "Red fox", ""],
    ])  # fmt: skip
    species_before, history_before = len(store.species()), store.history_ids()
    dry = run_to_end(import_csv(store, src, dry_run=True, add_unknown=True))
    assert dry.dry_run and dry.species_added == ["jaguarundi"] and dry.images_updated == 3
    assert dry.species.mapping == {"Jaguarundi": "jaguarundi", "jaguarundis": "jaguarundi",
                                   "Red fox": "red_fox"}  # fmt: skip
    assert len(store.species()) == species_before and store.history_ids() == history_before
    plain = run_to_end(import_csv(store, src))
    assert plain.species_added == [] and plain.unknown_species_rows == 2
    assert plain.species.to_json()["unmatched"] == {"Jaguarundi": 1, "jaguarundis": 1}
    assert plain.images_updated == 1 and len(store.species()) == species_before
    added = run_to_end(import_csv(store, src, add_unknown=True))
    assert added.species_added == ["jaguarundi"] and added.images_updated == 3
    assert _species_of(store, "CAM_A/IMG_0005.JPG") == [("jaguarundi", "animal")]
    row = next(s for s in store.species() if s.key == "jaguarundi")
    assert row.scientific_name == "Herpailurus yagouaroundi"


def test_a_blank_row_imported_before_the_first_predict_stays_a_blank_frame(tmp_path):
    card = make_card(tmp_path / "card")
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card)
        assert store.species() == []  # no prediction has seeded the list yet
        src = _csv(tmp_path / "in.csv", ["path", "species"], [["CAM_A/IMG_0000.JPG", "Blank"]])
        run_to_end(import_csv(store, src))
        assert _species_of(store, "CAM_A/IMG_0000.JPG") == [("blank", "blank")]
        blank = [s for s in store.species() if s.observation_type == "blank"]
        assert [s.key for s in blank] == ["blank"]
        ids = store.image_ids_by_path()
        LabelSession(store).mark_blank([ids["CAM_A/IMG_0001.JPG"]])
        assert _species_of(store, "CAM_A/IMG_0001.JPG") == [("blank", "blank")]
        assert store.label_counts()["blank"] == 2
        run_to_end(export_coco(store, tmp_path / "coco.json"))
    cats = json.loads((tmp_path / "coco.json").read_text())["categories"]
    assert [c["name"] for c in cats].count("empty") == 1


def test_the_shared_labels_file_adds_no_species_and_lists_the_names_it_cannot_place(
    shared_data, tmp_path
):
    folder = shared_data / "serengeti_fieldguide"
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, folder)
        report = run_to_end(import_csv(store, shared_data / "labels.csv"))
        assert report.species_added == []
        assert all(s.source == "taxonomy" for s in store.species())
        labels = pd.read_csv(shared_data / "labels.csv")
        here = labels[labels["path"].str.startswith("serengeti_fieldguide/")]
        # Every row of this folder matched its image by the tail of its path.
        assert report.images_updated + report.unknown_species_rows + report.skipped == len(here)
        assert any("serengeti_fieldguide/" in n for n in report.notes)
        assert report.images_updated > 0 and report.species.unmatched
        assert len(report.unmatched) == len(labels) - len(here)


def test_ten_thousand_new_species_are_added_in_one_transaction(tmp_path):
    n = 10_000
    with Store(tmp_path / "c.sqlite") as store:
        store.upsert_files([FileRecord(f"cam/IMG_{i:05d}.JPG", 1, 1, "ok") for i in range(n)])
        src = _csv(tmp_path / "in.csv", ["path", "species"],
                   [[f"cam/IMG_{i:05d}.JPG", f"Species number {i}"] for i in range(n)])  # fmt: skip
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        report = run_to_end(import_csv(store, src, add_unknown=True))
        store.conn.set_trace_callback(None)
        assert len(report.species_added) == n and report.images_updated == n
        # One transaction for the new species and one for the labels, whatever their number:
        # adding species never re-reads the whole list for each new one.
        assert sum(s.startswith("BEGIN") for s in statements) <= 4
        assert sum("FROM species" in s for s in statements) <= 3


@pytest.mark.parametrize(
    "text, reason",
    [
        (
            'path,species\nCAM_A/IMG_0004.JPG,"Red fox\nCAM_A/IMG_0005.JPG,Lion\n',
            "unterminated quote",
        ),
        ("path,species\nCAM_A/IMG_0004.JPG," + "x" * 140_000 + "\n", "longer than 128 KB"),
        ("path,species\nCAM_A/IMG_0004.JPG,R\xe9d fox\n", "not UTF-8"),
    ],
)
def test_a_broken_csv_is_refused_with_one_clear_line_and_nothing_changes(
    project, tmp_path, text, reason
):
    store, _ = project
    src = tmp_path / "bad.csv"
    src.write_bytes(text.encode("latin-1") if "\xe9" in text else text.encode())
    history = store.history_ids()
    with pytest.raises(CsvFormatError, match=reason) as info:
        run_to_end(import_csv(store, src))
    assert "\n" not in str(info.value) and "bad.csv" in str(info.value)
    assert store.history_ids() == history


def test_counts_and_probabilities_out_of_range_are_refused_and_the_label_kept(project, tmp_path):
    store, _ = project
    src = _csv(tmp_path / "in.csv", ["path", "species", "count", "classification_probability",
                                     "decision_timestamp"], [
        ["CAM_A/IMG_0004.JPG", "Red fox", "inf", "0.5", "not-a-date"],
        ["CAM_A/IMG_0005.JPG", "Red fox", "1e400", "nan", "2023-04-02T06:30:00Z"],
        ["CAM_B/IMG_0003.JPG", "Red fox", "-3", "1.5", ""],
        ["CAM_B/IMG_0004.JPG", "Red fox", "2", "0.25", ""],
    ])  # fmt: skip
    report = run_to_end(import_csv(store, src))
    assert report.images_updated == 4
    ids = store.image_ids_by_path()
    obs = {p: store.labels([ids[p]])[ids[p]][0] for p in
           ("CAM_A/IMG_0004.JPG", "CAM_A/IMG_0005.JPG", "CAM_B/IMG_0003.JPG", "CAM_B/IMG_0004.JPG")}  # fmt: skip
    assert [o.count for o in obs.values()] == [None, None, None, 2]
    assert [o.probability for o in obs.values()] == [0.5, None, None, 0.25]
    assert obs["CAM_A/IMG_0005.JPG"].timestamp.startswith("2023-04-02T06:30:00")
    assert not obs["CAM_A/IMG_0004.JPG"].timestamp.startswith("not")
    text = " ".join(report.problems)
    assert "count refused" in text and "probability refused" in text and "timestamp refused" in text
