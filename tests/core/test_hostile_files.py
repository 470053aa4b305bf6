"""Hostile files on a card: FIFOs that appear after the scan, names that are not valid UTF-8 and
their collisions with literal backslashes. Every file keeps its own row and is predicted, or gets
one clear status; nothing hangs and nothing is silently dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.media import FileRecord
from labeler.core.safepath import UnsafePath, from_catalog, image_path, to_catalog
from labeler.core.store import Store
from tests.conftest import ROOT
from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX file names and FIFOs")

PREDICT_SCRIPT = """
import json, sys
from inference.models import load_classifier
from labeler.core.generators import run_to_end
from labeler.core.predict_job import run_predict
from labeler.core.store import Store
db, card, model = sys.argv[1:4]
with Store(db) as store:
    report = run_to_end(run_predict(store, card, load_classifier(model)))
    failures = store.prediction_failures(store.model_id(report.model_version))
print(json.dumps({"predicted": report.predicted, "failed": report.failed, "failures": failures}))
"""


def _card(folder: Path, n: int = 4) -> Path:
    for i in range(n):
        write(folder / "A" / f"IMG_{i:04d}.JPG", jpeg_bytes((80, 60), seed=i))
    return folder


def test_a_fifo_that_replaces_an_image_after_the_scan_never_hangs_predict(tmp_path):
    card = _card(tmp_path / "card")
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
    victim = card / "A" / "IMG_0001.JPG"
    victim.unlink()
    os.mkfifo(victim)
    model = make_tiny_model(tmp_path / "m")
    proc = subprocess.run(
        [sys.executable, "-c", PREDICT_SCRIPT, str(db), str(card), str(model)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["predicted"] == 3 and out["failed"] == 1
    [(path, reason)] = out["failures"]
    assert path == "A/IMG_0001.JPG" and "FIFO" in reason


def test_a_fifo_on_the_card_gets_one_clear_status_when_scanned(tmp_path):
    card = _card(tmp_path / "card", 2)
    os.mkfifo(card / "A" / "pipe.jpg")
    with Store(tmp_path / "c.sqlite") as store:
        report = scan_to_end(store, card)
        row = store.query("SELECT status, status_detail FROM images WHERE name='pipe.jpg'")[0]
    assert report.files == 3
    assert row["status"] == "not_media" and "FIFO" in row["status_detail"]


def _hostile_names(card: Path) -> list[bytes]:
    names = [b"caf\xe9.jpg", b"caf\\xe9.jpg", b"back\\\\slash.jpg", b"ok.jpg", b"\xff\xfe.jpg"]
    folder = os.fsencode(card / "A")
    os.makedirs(folder, exist_ok=True)
    for k, name in enumerate(names):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(jpeg_bytes((80, 60), seed=10 + k))
    return names


def test_names_that_are_not_utf8_keep_their_own_rows_and_are_predicted_and_opened(tmp_path):
    card = tmp_path / "card"
    names = _hostile_names(card)
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        report = scan_to_end(store, card)
        rows = store.query("SELECT path, status FROM images ORDER BY path")
    assert report.files == len(names) == len(rows)
    assert {r["status"] for r in rows} == {"ok"}
    for r in rows:
        opened = image_path(str(card), r["path"])
        assert os.path.isfile(opened), r["path"]
        assert os.fsencode(os.path.basename(opened)) in names
    model = make_tiny_model(tmp_path / "m")
    proc = subprocess.run(
        [sys.executable, "-c", PREDICT_SCRIPT, str(db), str(card), str(model)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out == {"predicted": len(names), "failed": 0, "failures": []}


def test_catalog_text_of_any_file_name_is_valid_utf8_and_reversible():
    for raw in [b"caf\xe9.jpg", b"caf\\xe9.jpg", b"a\\\\b", b"\\", b"plain.jpg", "é.jpg".encode()]:
        name = os.fsdecode(raw)
        text = to_catalog(name)
        text.encode("utf-8")
        assert from_catalog(text) == name
    assert to_catalog("plain/é.jpg") == "plain/é.jpg"
    assert len({to_catalog(os.fsdecode(r)) for r in (b"caf\xe9", b"caf\\xe9")}) == 2


@pytest.mark.parametrize("bad", ["../x.jpg", "/etc/passwd", "a/../../b", "", "a//b"])
def test_a_catalog_path_that_leaves_the_folder_is_refused_when_opened(bad):
    with pytest.raises(UnsafePath):
        image_path("/card", bad)


def test_a_labeled_literal_backslash_file_keeps_its_label_when_rescanned(tmp_path):
    card = tmp_path / "card"
    folder = card / "A"
    folder.mkdir(parents=True)
    raw = os.path.join(os.fsencode(folder), b"x\\y.jpg")
    with open(raw, "wb") as f:
        f.write(jpeg_bytes((80, 60), seed=3))
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        # A catalog written before names were escaped stored the backslash as it was.
        st = os.stat(raw)
        store.upsert_files([FileRecord("A/x\\y.jpg", st.st_size, st.st_mtime_ns, "ok")])
        old_id = store.image_ids_by_path()["A/x\\y.jpg"]
        LabelSession(store).set_species([old_id], "badger")
        scan_to_end(store, card)
        by_path = store.image_ids_by_path()
        assert list(by_path) == [to_catalog("A/x\\y.jpg")]
        assert by_path[to_catalog("A/x\\y.jpg")] == old_id
        assert store.labels([old_id])[old_id][0].species_key == "badger"
        assert store.catalog_counts()["missing"] == 0
