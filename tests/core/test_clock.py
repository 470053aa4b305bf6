"""Time: named time zones with daylight saving, and reversible clock corrections in every export."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from labeler.cli import main
from labeler.core.clock import (
    ClockError,
    parse_shift,
    shift_folder,
    shift_images,
    true_time_shift,
    undo_clock,
)
from labeler.core.exchange.camtrapdp import export_camtrapdp
from labeler.core.exchange.coco import export_coco
from labeler.core.exchange.csv_io import export_csv
from labeler.core.exchange.deployments import read_deployments_csv
from labeler.core.exchange.timelapse import export_timelapse
from labeler.core.exchange.validate import BadValue
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.store import Store
from tests.gen import jpeg_bytes, write

WINTER = dt.datetime(2023, 1, 15, 12, 0, 0)
SUMMER = dt.datetime(2023, 7, 15, 12, 0, 0)


@pytest.fixture
def seasons(tmp_path):
    """One camera folder with a winter frame, a summer burst of three, and a second camera."""
    card = tmp_path / "card"
    write(card / "CAM" / "IMG_0001.JPG", jpeg_bytes(seed=1, when=WINTER))
    for k in range(3):
        write(
            card / "CAM" / f"IMG_010{k}.JPG",
            jpeg_bytes(seed=10 + k, when=SUMMER + dt.timedelta(seconds=k)),
        )
    write(card / "OTHER" / "IMG_0001.JPG", jpeg_bytes(seed=20, when=SUMMER))
    store = Store(tmp_path / "c.sqlite")
    scan_to_end(store, card)
    for folder in ("CAM", "OTHER"):
        store.set_deployment(folder, latitude=50.0, longitude=4.0, timezone="Europe/Brussels")
    yield store, card
    store.close()


def _times(store, tmp_path, name) -> dict[str, dict[str, str]]:
    """Each image's time in the CSV, Camtrap DP, COCO and Timelapse exports."""
    out: dict[str, dict[str, str]] = {}
    run_to_end(export_csv(store, tmp_path / f"{name}.csv"))
    with open(tmp_path / f"{name}.csv", newline="") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["path"], {})["csv"] = r["timestamp"]
    run_to_end(export_camtrapdp(store, tmp_path / f"{name}-dp"))
    with open(tmp_path / f"{name}-dp" / "media.csv", newline="") as f:
        for r in csv.DictReader(f):
            out[r["filePath"]]["camtrapdp"] = r["timestamp"]
    run_to_end(export_coco(store, tmp_path / f"{name}.json"))
    for image in json.loads((tmp_path / f"{name}.json").read_text())["images"]:
        out[image["file_name"]]["coco"] = image["datetime"]
    run_to_end(export_timelapse(store, tmp_path / f"{name}-tl.csv"))
    with open(tmp_path / f"{name}-tl.csv", newline="") as f:
        for r in csv.DictReader(f):
            out[f"{r['RelativePath']}/{r['File']}"]["timelapse"] = r["DateTime"]
    return out


def test_a_named_time_zone_follows_daylight_saving_time(seasons, tmp_path):
    store, _ = seasons
    times = _times(store, tmp_path, "zones")
    assert times["CAM/IMG_0001.JPG"]["camtrapdp"] == "2023-01-15T12:00:00+01:00"
    assert times["CAM/IMG_0100.JPG"]["camtrapdp"] == "2023-07-15T12:00:00+02:00"
    assert times["CAM/IMG_0001.JPG"]["csv"] == "2023-01-15T12:00:00+01:00"
    bad = tmp_path / "deployments.csv"
    bad.write_text("folder,timezone,utcOffset,latitude\nCAM,Europe/Bruxelles,+2,95\n")
    with pytest.raises(BadValue) as info:
        read_deployments_csv(bad)
    message = str(info.value)
    assert "Europe/Bruxelles" in message and "'+2'" in message and "latitude 95" in message
    assert "nothing was stored" in message and "\n" not in message


def test_a_deployment_shift_reaches_every_export_and_undo_puts_it_back(seasons, tmp_path):
    store, _ = seasons
    before = _times(store, tmp_path, "before")
    change = shift_folder(store, "CAM", parse_shift("+1:00:00"), author="ana")
    assert change.images == 4 and change.shift_s == 3600
    after = _times(store, tmp_path, "after")
    assert after["CAM/IMG_0100.JPG"] == {
        "csv": "2023-07-15T13:00:00+02:00", "camtrapdp": "2023-07-15T13:00:00+02:00",
        "coco": "2023-07-15 13:00:00", "timelapse": "2023-07-15 13:00:00",
    }  # fmt: skip
    assert after["OTHER/IMG_0001.JPG"] == before["OTHER/IMG_0001.JPG"]
    image = store.image_ids_by_path()["CAM/IMG_0100.JPG"]
    (entry,) = store.clock_history(image)
    assert (entry["before_s"], entry["after_s"], entry["author"]) == (0, 3600, "ana")
    assert "+1:00:00" in entry["description"] and "CAM" in entry["description"]
    undo_clock(store, change.action_id, author="ana")
    assert _times(store, tmp_path, "undone") == before
    assert [h["after_s"] for h in store.clock_history(image)] == [3600, 0]
    with pytest.raises(ClockError, match="already changed"):
        undo_clock(store, change.action_id)


def test_this_frame_was_really_at_a_time_shifts_a_selection_and_regroups_bursts(seasons):
    store, _ = seasons
    ids = store.image_ids_by_path()
    burst = {
        p: store.query("SELECT sequence_id FROM images WHERE id=?", (i,))[0][0]
        for p, i in ids.items()
    }
    assert burst["CAM/IMG_0100.JPG"] == burst["CAM/IMG_0102.JPG"]
    seconds = true_time_shift(store, ids["CAM/IMG_0102.JPG"], dt.datetime(2023, 7, 15, 14, 0, 2))
    assert seconds == 2 * 3600
    shift_images(store, [ids["CAM/IMG_0102.JPG"]], seconds, what="1 selected image")
    after = {
        p: store.query("SELECT sequence_id FROM images WHERE id=?", (i,))[0][0]
        for p, i in ids.items()
    }
    assert after["CAM/IMG_0100.JPG"] == after["CAM/IMG_0101.JPG"] != after["CAM/IMG_0102.JPG"]
    for text, seconds in (("+3600", 3600), ("-0:30", -1800), ("-1d2h", -93600), ("+90m", 5400)):
        assert parse_shift(text) == seconds
    for text in ("soon", "+1:75", "", "+99999d"):
        with pytest.raises(ClockError):
            parse_shift(text)


def test_the_clock_verb_corrects_lists_and_undoes(seasons, tmp_path, capsys):
    store, card = seasons
    db = str(store.path)
    store.close()
    assert (
        main(
            ["clock", str(card), "--db", db, "--deployment", "CAM", "--shift", "-0:05:00", "--json"]
        )
        == 0
    )
    change = json.loads(capsys.readouterr().out)["change"]
    assert change["images"] == 4 and change["shift_s"] == -300
    assert main(["clock", str(card), "--db", db, "--undo", str(change["action_id"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["description"] for a in data["corrections"]][
        -1
    ] == f"undo clock action {change['action_id']}"
    with pytest.raises(SystemExit, match="--reference"):
        main(
            [
                "clock",
                str(card),
                "--db",
                db,
                "--image",
                "CAM/IMG_0001.JPG",
                "--true-time",
                "2023-01-15 13:00",
            ]
        )
