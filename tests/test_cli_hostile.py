"""The command line used the way people get it wrong: every mistake is one line and a non-zero
exit, never a traceback; "nothing done" is exit 1 with the reason. Real processes throughout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from labeler.cli import build_parser
from tests.conftest import ROOT
from tests.gen import build_burst_tree, jpeg_bytes, write
from tests.models import make_tiny_model


def _env(**extra) -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **extra)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labeler", *map(str, args)], capture_output=True,
                          text=True, timeout=240, cwd=ROOT, env=env or _env(), **kw)  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small card predicted with a tiny model, and the files people pass by mistake."""
    base = tmp_path_factory.mktemp("hostile")
    card = base / "card"
    build_burst_tree(card, 6, cameras=2)
    model = make_tiny_model(base / "model")
    db = base / "c.sqlite"
    done = _run(["predict", card, "--db", db, "--model", model, "--json"])
    assert done.returncode == 0, done.stderr
    (base / "empty").mkdir()
    (base / "textonly").mkdir()
    (base / "textonly" / "notes.txt").write_text("no images here\n")
    (base / "labels.csv").write_text("path,species\nx.jpg,Red fox\n")
    (base / "dbdir").mkdir()
    (base / "outdir").mkdir()
    (base / "empty.csv").write_text("")
    (base / "bad_lat.csv").write_text("folder,latitude,longitude\nCAM_0,95,4.7\n")
    (base / "no_folder.csv").write_text("camera,latitude,longitude\nCAM_0,51.0,4.7\n")
    (base / "plus2.csv").write_text("folder,latitude,longitude,utcOffset\nCAM_0,51.0,4.7,+2\n")
    md = {"info": {"format_version": "1.4"}, "images": [
        {"file": f"/data/other_card/IMG_{i:04d}.JPG", "detections": []} for i in range(34)]}  # fmt: skip
    (base / "md.json").write_text(json.dumps(md))
    (base / "broken.csv").write_text('path,species\nCAM_0/IMG_0000.JPG,"Red fox\n')
    return base, card, db, model


def _closed_pipe(card, db) -> str | None:
    """``labeler species FOLDER | head`` where head has already gone."""
    with subprocess.Popen([sys.executable, "-m", "labeler", "species", str(card), "--db", str(db)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env()) as proc:  # fmt: skip
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    if proc.returncode == 0 or "Traceback" in err or "BrokenPipe" in err:
        return f"closed pipe: exit {proc.returncode}, stderr {err[-600:]!r}"
    return None


def _ctrl_c(model, tmp_path) -> str | None:
    """Ctrl-C while ``labeler predict`` runs over 1,500 images."""
    big = tmp_path / "big"
    for i in range(1500):
        write(big / "cam" / f"IMG_{i:05d}.JPG", jpeg_bytes((32, 24), seed=i))
    with subprocess.Popen(
        [sys.executable, "-m", "labeler", "-vv", "predict", str(big), "--db", str(tmp_path / "b.sqlite"),
         "--model", str(model), "--batch", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env(),
    ) as proc:  # fmt: skip
        for line in proc.stderr:
            if line.startswith("labeler: predict (") and "/1500" in line:
                break  # predicting has begun: the user presses Ctrl-C
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        proc.wait(timeout=120)
    if proc.returncode != 130 or "Traceback" in rest or "interrupted" not in rest:
        return f"Ctrl-C during predict: exit {proc.returncode}, stderr {rest[-600:]!r}"
    return None


def _no_display(card) -> str | None:
    """``labeler FOLDER`` where no display can be opened."""
    gone = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    proc = _run([card], env={k: v for k, v in _env().items() if k not in gone})
    if proc.returncode != 1 or "no display" not in proc.stderr or "Traceback" in proc.stderr:
        return f"no display: exit {proc.returncode}, stderr {proc.stderr[-600:]!r}"
    return None


def test_the_hostile_command_line_list_is_one_line_and_a_non_zero_exit_each(hostile, tmp_path):
    """Every mistake listed in the issue: no traceback, a non-zero exit, one line (two at most
    when the line names backups or paths)."""
    base, card, db, model = hostile
    common = ["--db", db]
    cases = {
        "--db is a CSV": ["scan", card, "--db", base / "labels.csv"],
        "--db is a folder": ["scan", card, "--db", base / "dbdir"],
        "restore from a missing backup": ["restore", card, "--db", base / "r.sqlite", "--from", base / "missing.db"],
        "truth file missing": ["evaluate", card, *common, "--truth", base / "missing.csv"],
        "truth file empty": ["evaluate", card, *common, "--truth", base / "empty.csv"],
        "deployments latitude 95": ["deployments", card, *common, "--in", base / "bad_lat.csv"],
        "deployments without a folder column": ["deployments", card, *common, "--in", base / "no_folder.csv"],
        "deployments offset +2": ["deployments", card, *common, "--in", base / "plus2.csv"],
        "negative burst gap": ["scan", card, *common, "--gap", "-5"],
        "--out into a missing folder": ["export", card, *common, "--format", "csv", "--out", base / "nope" / "x.csv"],
        "--out onto a folder": ["export", card, *common, "--format", "csv", "--out", base / "outdir"],
        "predictions --out onto a folder": ["predict", card, *common, "--model", model, "--out", base / "outdir"],
        "empty folder": ["scan", base / "empty", "--db", base / "e.sqlite"],
        "no images in the folder": ["predict", base / "textonly", "--db", base / "t.sqlite", "--model", model],
        "train without labels": ["train", card, *common],
        "batch of 0": ["predict", card, *common, "--model", model, "--batch", "0"],
        "0 of 34 MegaDetector rows match": ["import", card, *common, "--in", base / "md.json"],
        "unterminated quote": ["import", card, *common, "--in", base / "broken.csv"],
        "Camtrap DP without coordinates": ["export", card, *common, "--format", "camtrapdp", "--out", base / "dp"],
        "misspelled verb": ["scna", card],
        "unknown model": ["predict", card, *common, "--model", "lite9"],
        "clock without a scope": ["clock", card, *common, "--shift", "+1:00"],
        "relink to a stranger": ["relink", card, base / "empty"],
    }  # fmt: skip
    failures = []
    for name, args in cases.items():
        proc = _run(args)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        if proc.returncode == 0 or "Traceback" in proc.stderr or not lines or len(lines) > 2:
            failures.append(f"{name}: exit {proc.returncode}, stderr {proc.stderr[-600:]!r}")
    failures += [
        f for f in (_closed_pipe(card, db), _ctrl_c(model, tmp_path), _no_display(card)) if f
    ]
    assert failures == [], "\n".join(failures)
    assert not list(base.rglob("*.partial")), "a refused export leaves nothing behind"
    assert "did you mean `labeler scan`" in _run(["scna", card]).stderr
    assert _run(["scan", card, *common, "--gap", "-5"]).returncode == 2


def test_version_help_on_every_option_and_a_log_file(hostile, tmp_path):
    base, card, db, _model = hostile
    proc = _run(["--version"])
    assert proc.returncode == 0 and proc.stdout.startswith("labeler ")
    parser = build_parser()
    missing = []
    for action in parser._subparsers._group_actions[0].choices.items():
        name, sub = action
        for a in sub._actions:
            if not a.help and a.dest != "help":
                missing.append(f"{name} {'/'.join(a.option_strings) or a.dest}")
    assert missing == []
    logs = tmp_path / "logs"
    proc = _run(["-q", "deployments", card, "--db", db], env=_env(LABELER_LOG_DIR=str(logs)))
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""  # -q: nothing
    assert (logs / "labeler.log").is_file()
    assert "deployments" in (logs / "labeler.log").read_text()
