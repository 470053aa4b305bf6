"""Scanning: one status per file, counts that add up, rescans, resume, media removal, bursts."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler.core import scan as scan_mod
from labeler.core.ingest import scan_to_end
from labeler.core.media import STATUSES
from labeler.core.store import Store
from tests.gen import build_bad_corpus, build_burst_tree, jpeg_bytes, write


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "catalog.sqlite")
    yield s
    s.close()


def _statuses(store: Store) -> dict[str, str]:
    return {r["path"]: r["status"] for r in store.query("SELECT path, status FROM images")}


def test_every_bad_input_gets_its_expected_status_when_scanning_the_corpus(tmp_path, store):
    card = tmp_path / "card"
    card.mkdir()
    cases = build_bad_corpus(card)
    assert len(cases) >= 25
    report = scan_to_end(store, card)
    got = _statuses(store)
    for case in cases:
        if case.expected is None:
            assert not any(p.endswith(case.rel.rsplit("/", 1)[-1]) for p in got), case.why
        elif case.expected == "path_too_long":
            # The folder that cannot be listed stands for the files below it.
            hits = [p for p, st in got.items() if st == "path_too_long"]
            assert any(case.rel.startswith(p) for p in hits), case.why
        else:
            assert got.get(case.rel) == case.expected, f"{case.rel}: {case.why}"
    assert sum(report.status.values()) == report.files
    assert set(report.status) <= set(STATUSES)
    assert report.files == len(got)
    assert report.skipped_junk == 3
    assert report.state == "complete"


def test_broken_exif_keeps_the_image_usable_when_exif_cannot_be_parsed(tmp_path, store):
    card = tmp_path / "card"
    build_bad_corpus(card)
    scan_to_end(store, card)
    row = store.query("SELECT * FROM images WHERE path='bad/bogus_exif.jpg'")[0]
    assert row["status"] == "ok"
    assert row["width"] == 64 and row["height"] == 48
    sentinel = store.query("SELECT * FROM images WHERE path='bad/sentinel.jpg'")[0]
    assert sentinel["datetime_flag"] == "sentinel_date"
    assert sentinel["datetime_raw"] == "2002:12:08 12:00:00"
    garbage = store.query("SELECT * FROM images WHERE path='bad/garbage_date.jpg'")[0]
    assert garbage["datetime"] is None and garbage["datetime_flag"] == "unparseable"
    rotated = store.query("SELECT orientation FROM images WHERE path='modes/rotated.jpg'")[0]
    assert rotated["orientation"] == 6


def test_rescan_inspects_nothing_when_no_file_changed(tmp_path, store):
    card = tmp_path / "card"
    build_burst_tree(card, 60)
    first = scan_to_end(store, card)
    assert first.inspected == 60
    second = scan_to_end(store, card)
    assert second.inspected == 0
    assert second.files == 60 and second.images == 60


def test_rescan_adds_new_files_and_marks_vanished_ones_missing_when_the_card_changed(
    tmp_path, store
):
    card = tmp_path / "card"
    build_burst_tree(card, 30, cameras=1)
    scan_to_end(store, card)
    folder = card / "CAM00" / "DCIM" / "100RECNX"
    (folder / "IMG_00000.JPG").unlink()
    write(folder / "IMG_99999.JPG", jpeg_bytes(seed=77, when=dt.datetime(2023, 6, 1)))
    report = scan_to_end(store, card)
    assert report.inspected == 1
    assert report.newly_missing == 1
    gone = store.query("SELECT missing FROM images WHERE path LIKE '%IMG_00000.JPG'")
    assert gone and gone[0]["missing"] == 1, "vanished files stay in the catalog, marked missing"
    assert store.scalar("SELECT count(*) FROM images") == 31
    assert report.files == 30


def test_changed_file_is_reinspected_when_its_size_or_mtime_changed(tmp_path, store):
    card = tmp_path / "card"
    p = write(card / "a.jpg", jpeg_bytes(seed=1))
    scan_to_end(store, card)
    p.write_bytes(b"")
    report = scan_to_end(store, card)
    assert report.inspected == 1
    assert _statuses(store)["a.jpg"] == "empty"


def test_duplicate_reverts_to_ok_when_its_twin_changes(tmp_path, store):
    card = tmp_path / "card"
    data = jpeg_bytes(seed=3)
    write(card / "a.jpg", data)
    b = write(card / "b.jpg", data)
    report = scan_to_end(store, card)
    assert report.duplicates == 1
    assert _statuses(store) == {"a.jpg": "ok", "b.jpg": "duplicate_content"}
    b.write_bytes(jpeg_bytes(seed=4))
    report = scan_to_end(store, card)
    assert report.duplicates == 0
    assert _statuses(store) == {"a.jpg": "ok", "b.jpg": "ok"}


def test_same_fingerprint_but_different_bytes_is_not_a_duplicate_when_the_hash_differs(
    tmp_path, store
):
    card = tmp_path / "card"
    size = 400_000
    head = os.urandom(70_000)
    tail = os.urandom(70_000)
    body1 = os.urandom(size - 140_000)
    body2 = os.urandom(size - 140_000)
    soi = jpeg_bytes((32, 32), seed=5)
    write(card / "x.jpg", soi + head + body1 + tail)
    write(card / "y.jpg", soi + head + body2 + tail)
    scan_to_end(store, card)
    rows = store.query("SELECT fingerprint, status FROM images ORDER BY path")
    assert rows[0]["fingerprint"] == rows[1]["fingerprint"]
    assert store.catalog_counts()["duplicates"] == 0


def test_file_removed_mid_scan_is_not_recorded_and_scan_goes_on(tmp_path, store, monkeypatch):
    card = tmp_path / "card"
    build_burst_tree(card, 12, cameras=1)
    victim = card / "CAM00" / "DCIM" / "100RECNX" / "IMG_00011.JPG"
    real = scan_mod.inspect_file

    def inspect_and_remove(abs_path, rel, st):
        victim.unlink(missing_ok=True)
        return real(abs_path, rel, st)

    monkeypatch.setattr(scan_mod, "inspect_file", inspect_and_remove)
    report = scan_to_end(store, card)
    assert report.state == "complete"
    assert report.files == 11
    assert "CAM00/DCIM/100RECNX/IMG_00011.JPG" not in _statuses(store)


def test_card_pulled_mid_scan_pauses_and_marks_nothing_missing(tmp_path, store, monkeypatch):
    card = tmp_path / "card"
    build_burst_tree(card, 40, cameras=1)
    scan_to_end(store, card)
    for p in (card / "CAM00" / "DCIM" / "100RECNX").iterdir():
        os.utime(p, ns=(1, 1))  # every file looks changed, so all are re-inspected
    pulled = tmp_path / "elsewhere"
    real = scan_mod.inspect_file
    calls = {"n": 0}

    def inspect_then_pull(abs_path, rel, st):
        calls["n"] += 1
        if calls["n"] == 5 and card.exists():
            card.rename(pulled)
        return real(abs_path, rel, st)

    monkeypatch.setattr(scan_mod, "inspect_file", inspect_then_pull)
    monkeypatch.setattr(scan_mod, "BATCH_SIZE", 10)
    report = scan_to_end(store, card)
    assert report.state == "paused"
    assert "no longer available" in " ".join(report.notes)
    assert store.scalar("SELECT count(*) FROM images WHERE missing=1") == 0
    assert store.scalar("SELECT count(*) FROM images WHERE status='unreadable_io'") == 0
    pulled.rename(card)
    monkeypatch.setattr(scan_mod, "inspect_file", real)
    report = scan_to_end(store, card)
    assert report.state == "complete" and report.images == 40


def test_empty_mount_point_pauses_instead_of_marking_everything_missing(tmp_path, store):
    card = tmp_path / "card"
    build_burst_tree(card, 9, cameras=1)
    scan_to_end(store, card)
    shutil.rmtree(card)
    card.mkdir()
    report = scan_to_end(store, card)
    assert report.state == "paused"
    assert store.scalar("SELECT count(*) FROM images WHERE missing=1") == 0


def test_bursts_group_frames_by_time_gap_when_times_are_known(tmp_path, store):
    card = tmp_path / "card"
    t = dt.datetime(2022, 3, 4, 5, 6, 7)
    # Three frames in the same second (Reconyx style), then one 30 s later, then a gap.
    for i, offset in enumerate([0, 0, 0, 30, 400, 401]):
        write(
            card / "cam1" / f"IMG_{i:04d}.JPG",
            jpeg_bytes(seed=i, when=t + dt.timedelta(seconds=offset)),
        )
    write(card / "cam2" / "IMG_0000.JPG", jpeg_bytes(seed=50, when=t))
    write(card / "cam2" / "nodate.jpg", jpeg_bytes(seed=51, make=None, model=None))
    report = scan_to_end(store, card)
    rows = store.query("SELECT path, sequence_id, frame FROM images ORDER BY path")
    seq = {r["path"]: (r["sequence_id"], r["frame"]) for r in rows}
    first = seq["cam1/IMG_0000.JPG"][0]
    assert [seq[f"cam1/IMG_{i:04d}.JPG"] for i in range(4)] == [(first, k) for k in (1, 2, 3, 4)]
    assert seq["cam1/IMG_0004.JPG"][0] == seq["cam1/IMG_0005.JPG"][0] != first
    assert seq["cam2/IMG_0000.JPG"][0] not in (first, seq["cam1/IMG_0004.JPG"][0])
    assert seq["cam2/nodate.jpg"] == (None, None)
    assert report.sequences == 3
    assert report.untimed == 1
    assert any("no capture time" in n and "cam2" in n for n in report.notes)


def test_burst_gap_is_configurable_when_rescanning(tmp_path, store):
    card = tmp_path / "card"
    t = dt.datetime(2022, 3, 4, 5, 6, 7)
    for i, offset in enumerate([0, 90, 180]):
        write(card / f"IMG_{i}.JPG", jpeg_bytes(seed=i, when=t + dt.timedelta(seconds=offset)))
    assert scan_to_end(store, card).sequences == 3
    assert scan_to_end(store, card, gap_s=120).sequences == 1
    assert scan_to_end(store, card).sequences == 1, "the chosen gap is remembered"


def test_nothing_is_written_into_the_folder_when_scanning(tmp_path, store):
    card = tmp_path / "card"
    build_bad_corpus(card, deep=False)
    before = sorted((p, p.lstat().st_mtime_ns) for p in card.rglob("*"))
    scan_to_end(store, card)
    after = sorted((p, p.lstat().st_mtime_ns) for p in card.rglob("*"))
    assert before == after


def test_scan_resumes_without_rescanning_committed_files_when_killed(tmp_path):
    card = tmp_path / "card"
    build_burst_tree(card, 3000, cameras=2)
    db = tmp_path / "kill.sqlite"
    cmd = [sys.executable, "-m", "labeler", "scan", str(card), "--db", str(db), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                s = Store(db, readonly=True)
                committed = s.scalar("SELECT count(*) FROM images")
                s.close()
            except Exception:
                committed = 0
            if committed >= 500:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if committed >= 3000 or committed == 0:
        pytest.fail(f"could not interrupt the scan mid-way (committed={committed})")
    with Store(db) as s:
        assert s.integrity_check() == "ok"
        before = s.scalar("SELECT count(*) FROM images")
        report = scan_to_end(s, card)
        assert report.inspected == 3000 - before
        assert s.scalar("SELECT count(*) FROM images") == 3000
        assert s.scalar("SELECT count(DISTINCT path) FROM images") == 3000
        assert report.files == 3000
