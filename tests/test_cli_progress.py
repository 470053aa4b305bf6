"""Progress on a terminal: every long command shows a bar with time left on stderr (the
one-time model export included), and nothing with -q, --json or when stderr is not a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.gen import build_burst_tree
from tests.models import make_tiny_model


def _in_terminal(args, env) -> tuple[int, str, str]:
    """Run ``labeler ARGS`` with stderr on a pseudo-terminal; (exit code, stdout, terminal)."""
    master, slave = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "labeler", *map(str, args)], stdout=subprocess.PIPE,
                          stderr=slave, cwd=ROOT, env=env, text=True) as proc:  # fmt: skip
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not data:
                break
            chunks.append(data)
        out = proc.stdout.read()
        proc.wait(timeout=240)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


def test_scan_predict_and_the_first_use_export_show_progress_with_time_left(tmp_path):
    card = tmp_path / "card"
    build_burst_tree(card, 40, cameras=2)
    model = make_tiny_model(tmp_path / "model")
    env = dict(os.environ, LABELER_MODEL_CACHE=str(tmp_path / "fresh-cache"), COLUMNS="120")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    db = tmp_path / "c.sqlite"
    code, _out, terminal = _in_terminal(["predict", card, "--db", db, "--model", model], env)
    assert code == 0, terminal[-2000:]
    assert "preparing tiny.safetensors for first use" in terminal
    assert "scan:" in terminal and "predict (" in terminal
    assert "40/40" in terminal and "<" in terminal  # tqdm's [elapsed<remaining]
    code, out, terminal = _in_terminal(
        ["predict", card, "--db", db, "--model", model, "--json"], env
    )
    assert code == 0 and out.startswith("{") and "predict (" not in terminal
    code, out, terminal = _in_terminal(["-q", "scan", card, "--db", db], env)
    assert code == 0 and out == "" and terminal.strip() == ""
    piped = subprocess.run([sys.executable, "-m", "labeler", "scan", str(card), "--db", str(db)],
                           capture_output=True, text=True, cwd=ROOT, env=env, timeout=240)  # fmt: skip
    assert piped.returncode == 0 and "\r" not in piped.stderr and "scan:" not in piped.stderr


def test_a_ctrl_c_whose_exception_was_lost_still_stops_the_job_at_the_next_step():
    """Python only prints a KeyboardInterrupt raised inside a finaliser; the flag the handler
    sets stops the job anyway."""
    import argparse

    from labeler.cli.progress import INTERRUPTED, drive
    from labeler.core.jobs import Progress

    steps = []

    def job():
        for i in range(100):
            steps.append(i)
            yield Progress(i, 100)
        return "finished"

    args = argparse.Namespace(quiet=True, json=False)
    assert drive(job(), args, "job") == "finished" and len(steps) == 100
    steps.clear()
    INTERRUPTED.set()
    try:
        with pytest.raises(KeyboardInterrupt):
            drive(job(), args, "job")
    finally:
        INTERRUPTED.clear()
    assert steps == [0]
