"""Timelapse CSV: its own export is read (backslash folders, flags, delete marks) and ours
round-trips; pandas reads our file with the columns Timelapse expects."""

from __future__ import annotations

import pandas as pd

from labeler.core.exchange.csv_io import import_csv
from labeler.core.exchange.csvread import CsvFormatError
from labeler.core.exchange.timelapse import COLUMNS, export_timelapse, import_timelapse
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.store import Store

TIMELAPSE_CSV = (
    "File,RelativePath,Folder,Date,Time,DateTime,ImageQuality,DeleteFlag,Species,Count,Empty,Person,Note0\r\n"
    "IMG_0004.JPG,CAM_A,card,02-Apr-2023,06:50:00,2023-04-02 06:50:00,Ok,false,Red Fox,2,false,false,\r\n"
    "IMG_0005.JPG,CAM_A,card,02-Apr-2023,06:50:01,2023-04-02 06:50:01,Ok,false,,,true,false,wind\r\n"
    "IMG_0003.JPG,CAM_B,card,02-Apr-2023,06:50:00,2023-04-02 06:50:00,Ok,false,,,false,true,\r\n"
    "IMG_0004.JPG,CAM_B,card,02-Apr-2023,06:50:01,2023-04-02 06:50:01,Ok,true,Lion,1,false,false,\r\n"
    "IMG_0005.JPG,CAM_B,card,02-Apr-2023,06:50:02,2023-04-02 06:50:02,Ok,false,Spotted-tailed quoll,1,false,false,\r\n"
)


def _labels(store, path):
    image = store.image_ids_by_path()[path]
    return [(o.species_key, o.observation_type, o.count) for o in store.labels([image])[image]]


def test_a_timelapse_csv_is_imported_with_its_folders_flags_and_delete_marks(project, tmp_path):
    store, _ = project
    src = tmp_path / "timelapse.csv"
    src.write_text(TIMELAPSE_CSV)
    # Timelapse on Windows writes nested folders with backslashes.
    (tmp_path / "nested.csv").write_text(TIMELAPSE_CSV.replace(",CAM_A,", ",card\\CAM_A,"))
    report = run_to_end(import_timelapse(store, src))
    assert report.images_updated == 3 and report.unknown_species_rows == 1
    assert report.species.unmatched == ["Spotted-tailed quoll"]
    assert any("marked for deletion" in n for n in report.notes)
    assert _labels(store, "CAM_A/IMG_0004.JPG") == [("red_fox", "animal", 2)]
    assert _labels(store, "CAM_A/IMG_0005.JPG") == [("blank", "blank", None)]
    assert _labels(store, "CAM_B/IMG_0003.JPG") == [("human", "human", None)]
    nested = run_to_end(import_timelapse(store, tmp_path / "nested.csv", dry_run=True))
    assert nested.images_updated == 3 and any("card/" in n for n in nested.notes)


def test_our_timelapse_csv_round_trips_and_reads_in_pandas(project, tmp_path):
    store, card = project
    out = tmp_path / "tl.csv"
    report = run_to_end(export_timelapse(store, out))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == COLUMNS and len(frame) == report["rows"] == 14
    fox = frame[(frame.File == "IMG_0000.JPG") & (frame.RelativePath == "CAM_A")].iloc[0]
    assert (fox.Species, fox.Count, fox.DateTime, fox.Verified) == (
        "Red fox",
        "2",
        "2023-04-02 06:30:00",
        "true",
    )
    with Store(tmp_path / "fresh.sqlite") as fresh:
        scan_to_end(fresh, card)
        back = run_to_end(import_timelapse(fresh, out))
        assert back.images_updated == 7 and not back.unmatched
        ids = store.image_ids_by_path()
        for path in ids:
            assert _labels(fresh, path) == _labels(store, path), path
        machine = fresh.labels([ids["CAM_A/IMG_0003.JPG"]])[ids["CAM_A/IMG_0003.JPG"]][0]
        assert (machine.classification_method, machine.probability) == ("machine", 0.97)


def test_a_plain_csv_is_not_taken_for_a_timelapse_one(project, tmp_path):
    store, _ = project
    src = tmp_path / "plain.csv"
    src.write_text("path,species\nCAM_A/IMG_0004.JPG,Red fox\n")
    try:
        run_to_end(import_timelapse(store, src))
    except CsvFormatError as exc:
        assert "File and RelativePath" in str(exc)
    else:
        raise AssertionError("a CSV without File and RelativePath columns was accepted")
    assert run_to_end(import_csv(store, src)).images_updated == 1
