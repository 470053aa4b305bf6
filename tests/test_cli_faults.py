"""The command line when the disk or the model fails: a full disk during scan or predict, a
read-only catalog or catalog folder, a model that returns NaN. One clear line, a non-zero exit,
no traceback, nothing saved before is lost and no ``.partial`` is left behind."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference.card import load_card, save_card
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.species import ensure_default_species
from labeler.core.store import Store
from tests.conftest import ROOT
from tests.gen import build_burst_tree
from tests.inference.test_model_security import _onnx_model
from tests.models import make_tiny_model

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file systems and permissions")

CHECK = """
import json, os, sys
from labeler.core.store import Store
db = sys.argv[1]
with Store(db, readonly=True) as s:
    label = s.labels([1])[1]
    out = {"integrity": s.integrity_check(), "label": label[0].species_key if label else None,
           "predicted": s.scalar("SELECT count(*) FROM image_predictions")}
out["partials"] = sorted(n for n in os.listdir(os.path.dirname(db)) if n.endswith(".partial"))
print(json.dumps(out))
"""


def _one_line_failure(proc: subprocess.CompletedProcess, *words: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode not in (0, None), (proc.stdout, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if not line.endswith("images")]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _labeled_catalog(tmp_path: Path, n: int) -> tuple[Path, Path]:
    card = tmp_path / "card"
    build_burst_tree(card, n, cameras=2, size=(40, 30))
    db = tmp_path / "made" / "c.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
        ensure_default_species(store)
        LabelSession(store).set_species([1], "badger")
    return card, db


def _in_small_disk(tmp_path: Path, size_kb: int, script: str) -> subprocess.CompletedProcess:
    """Run ``script`` (sh) with ``$DISK`` a fresh tmpfs of ``size_kb`` (needs user namespaces)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed: no way to make a small disk without root")
    disk = tmp_path / "disk"
    disk.mkdir()
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {disk}"],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("user namespaces are not available here: no small disk to fill")
    env = dict(os.environ, DISK=str(disk), PY=sys.executable, PYTHONPATH=str(ROOT))
    full = f'mount -t tmpfs -o size={size_kb}k tmpfs "$DISK" || exit 90\n{script}'
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", full], capture_output=True, text=True, env=env, cwd=ROOT,
        timeout=300,
    )  # fmt: skip


def _split(proc: subprocess.CompletedProcess) -> tuple[subprocess.CompletedProcess, dict]:
    """The verb's outcome (rc line on stderr) and the JSON the check printed last."""
    lines = proc.stdout.strip().splitlines()
    check = json.loads(lines[-1])
    err_lines = proc.stderr.strip().splitlines()
    rc = int(err_lines[-1].split("=")[1])
    verb = subprocess.CompletedProcess([], rc, "\n".join(lines[:-1]), "\n".join(err_lines[:-1]))
    return verb, check


def test_a_disk_that_fills_during_a_scan_stops_it_with_one_line_and_loses_nothing(tmp_path):
    card, db = _labeled_catalog(tmp_path, 20)
    build_burst_tree(card / "more", 1500, cameras=3, size=(16, 12))
    size_kb = (db.stat().st_size // 1024) + 160
    proc = _in_small_disk(tmp_path, size_kb, (
        f'cp {db} "$DISK/c.sqlite"\n'
        f'"$PY" -m labeler scan {card} --db "$DISK/c.sqlite"; echo "rc=$?" >&2\n'
        f'"$PY" -c \'{CHECK}\' "$DISK/c.sqlite"\n'
    ))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    verb, check = _split(proc)
    _one_line_failure(verb, "disk", "full")
    assert check == {"integrity": "ok", "label": "badger", "predicted": 0, "partials": []}


def test_a_disk_that_fills_during_predict_stops_it_with_one_line_and_loses_nothing(tmp_path):
    card, db = _labeled_catalog(tmp_path, 240)
    model = make_tiny_model(tmp_path / "m")
    size_kb = (db.stat().st_size // 1024) + 200
    proc = _in_small_disk(tmp_path, size_kb, (
        f'cp {db} "$DISK/c.sqlite"\n'
        f'"$PY" -m labeler predict {card} --db "$DISK/c.sqlite" --model {model} --json; '
        'echo "rc=$?" >&2\n'
        f'"$PY" -c \'{CHECK}\' "$DISK/c.sqlite"\n'
    ))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    verb, check = _split(proc)
    _one_line_failure(verb, "disk", "full")
    assert check["integrity"] == "ok" and check["label"] == "badger" and check["partials"] == []
    assert check["predicted"] < 240


def _read_only(path: Path) -> None:
    """Make ``path`` read-only for this user: chmod, or the immutable flag for root (whom
    permission bits do not stop)."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a file read-only for root")
    proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"this file system has no immutable flag: {proc.stderr.strip()}")


def _writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_catalog_or_folder_is_one_clear_line_and_nothing_changes(tmp_path, what):
    card = tmp_path / "card"
    build_burst_tree(card, 6, cameras=1, size=(32, 24))
    folder = tmp_path / "catalog"
    db = folder / "c.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
        ensure_default_species(store)
        LabelSession(store).set_species([1], "badger")
    target = db if what == "file" else folder
    before = sorted(p.name for p in folder.iterdir())
    _read_only(target)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "labeler", "scan", str(card), "--db", str(db)],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
    finally:
        _writable(target)
    _one_line_failure(proc, "read-only", str(target))
    assert sorted(p.name for p in folder.iterdir()) == before
    with Store(db, readonly=True) as store:
        assert store.labels([1])[1][0].species_key == "badger"


def test_a_model_that_returns_nan_stops_predict_with_one_line_and_predicts_nothing(tmp_path):
    card, db = _labeled_catalog(tmp_path, 8)
    path = _onnx_model(tmp_path / "nan.onnx", [("probs", [12]), ("embeddings", [16])], float("nan"))
    card_ = load_card(make_tiny_model(tmp_path / "tiny"))
    save_card(dataclasses.replace(card_, embedding_dim=16, version="nan-model"), path)
    run = [sys.executable, "-m", "labeler", "predict", str(card), "--db", str(db)]
    proc = subprocess.run([*run, "--model", str(path)], capture_output=True, text=True, cwd=ROOT)
    _one_line_failure(proc, "not finite")
    with Store(db, readonly=True) as store:
        assert store.scalar("SELECT count(*) FROM image_predictions") == 0
    good = tmp_path / "tiny" / "tiny.safetensors"
    proc = subprocess.run([*run, "--model", str(good), "--json"], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["predicted"] == 8


def test_a_model_with_the_wrong_outputs_is_refused_with_one_line_when_predicting(tmp_path):
    card, db = _labeled_catalog(tmp_path, 4)
    path = _onnx_model(tmp_path / "one.onnx", [("probs", [12])])
    save_card(load_card(make_tiny_model(tmp_path / "tiny")), path)
    proc = subprocess.run(
        [sys.executable, "-m", "labeler", "predict", str(card), "--db", str(db), "--model",
         str(path)], capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    _one_line_failure(proc, "output")
