"""Exchange under faults, through the real command: a full disk during export and import leaves
no ``.partial`` and changes nothing; a labeled image whose file turns unreadable stays exported."""

from __future__ import annotations

import csv
import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from labeler.core.labeling import LabelSession
from labeler.core.media import FileRecord
from labeler.core.species import ensure_default_species
from labeler.core.store import Store
from tests.conftest import ROOT
from tests.gen import build_burst_tree

N_IMAGES = 3000


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _limited(limit: int):
    """In the child: files may not grow past ``limit`` bytes, as on a full disk (the write fails
    with an error instead of the process being killed)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture
def big_catalog(tmp_path):
    """A catalog of 3,000 images (rows only), scanned once, half labeled."""
    card = tmp_path / "card"
    card.mkdir()
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        store.set_meta("root", str(card))
        store.upsert_files(
            [FileRecord(f"cam/IMG_{i:05d}.JPG", 1000 + i, 1, "ok") for i in range(N_IMAGES)]
        )
        store.end_scan(store.begin_scan(), "complete", {})
        ensure_default_species(store)
        ids = sorted(store.image_ids_by_path().values())
        LabelSession(store, author="ana").set_species(ids[: N_IMAGES // 2], "red_fox", count=1)
    return card, db


def _run(args, limit: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labeler", *map(str, args)], capture_output=True,
                          text=True, timeout=240, cwd=ROOT, env=_env(), preexec_fn=_limited(limit))  # fmt: skip


def test_a_full_disk_during_export_leaves_no_partial_file_and_no_output(big_catalog, tmp_path):
    card, db = big_catalog
    out = tmp_path / "out"
    out.mkdir()
    for fmt, target in (("csv", out / "labels.csv"), ("megadetector", out / "md.json"),
                        ("coco", out / "coco.json"), ("timelapse", out / "tl.csv")):  # fmt: skip
        proc = _run(["export", card, "--db", db, "--format", fmt, "--out", target], limit=64 * 1024)
        assert proc.returncode == 1, (fmt, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        assert "cannot write" in proc.stderr and target.name in proc.stderr
        assert not target.exists()
    assert list(out.iterdir()) == []
    proc = _run(
        ["export", card, "--db", db, "--format", "csv", "--out", out / "labels.csv"], limit=2**40
    )
    assert proc.returncode == 0 and (out / "labels.csv").stat().st_size > 64 * 1024


def test_a_full_disk_during_import_changes_nothing_and_says_so(big_catalog, tmp_path):
    card, db = big_catalog
    src = tmp_path / "in.csv"
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "species", "count"])
        w.writerows([f"cam/IMG_{i:05d}.JPG", "Coyote", 2] for i in range(N_IMAGES))
    with Store(db) as store:
        history = store.history_ids()
    size = db.stat().st_size
    # Room for the backup taken first (a copy of the catalog), not for the import's own writes
    # (its write-ahead log grows past the catalog's size; a wider margin would let it fit).
    proc = _run(
        ["import", card, "--db", db, "--format", "csv", "--in", src], limit=size + 64 * 1024
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "could not be written" in proc.stderr or "failed to read or write" in proc.stderr
    assert not list(tmp_path.rglob("*.partial"))
    with Store(db) as store:
        assert store.integrity_check() == "ok" and store.history_ids() == history
        assert store.label_counts()["labeled"] == N_IMAGES // 2


def test_a_labeled_image_whose_file_turns_unreadable_stays_in_every_export(tmp_path):
    card = tmp_path / "card"
    build_burst_tree(card, 6, cameras=1)
    db = tmp_path / "c.sqlite"
    assert subprocess.run([sys.executable, "-m", "labeler", "scan", str(card), "--db", str(db)],
                          capture_output=True, cwd=ROOT, env=_env(), timeout=240).returncode == 0  # fmt: skip
    with Store(db) as store:
        ids = store.image_ids_by_path()
        path = sorted(ids)[0]
        LabelSession(store, author="ana").set_species([ids[path]], "badger", count=3)
    (card / path).write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)  # the file is damaged
    proc = subprocess.run([sys.executable, "-m", "labeler", "scan", str(card), "--db", str(db), "--json"],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=240)  # fmt: skip
    assert json.loads(proc.stdout)["status"].get("ok", 0) == 5
    out = tmp_path / "labeled.csv"
    proc = subprocess.run([sys.executable, "-m", "labeler", "export", str(card), "--db", str(db), "--format",
                           "csv", "--labeled-only", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=240)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["path"], r["species_key"], r["count"]) for r in rows] == [(path, "badger", "3")]
