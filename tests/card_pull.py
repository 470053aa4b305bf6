"""A card pulled in the middle of ``labeler predict`` (a real process), and put back.

The card folder is renamed away while the run predicts and comes back after ``away_s``; the
interrupted run must say so with its exit code, and the next run must predict every image that
was left, so that each image ends predicted exactly once with no failure recorded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from labeler.core.store import Store

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class PullOutcome:
    """One pull: exit codes of the interrupted and the next run, and what the catalog holds."""

    pulled: bool
    first_exit: int
    second_exit: int
    images: int
    predicted_once: int
    predicted_twice_or_more: int
    failures: int
    left_by_first: int


def _predicted(db: Path) -> int:
    try:
        with Store(db, readonly=True) as ro:
            return int(ro.scalar("SELECT count(*) FROM image_predictions") or 0)
    except Exception:
        return 0


def run_card_pull(
    card: Path, db: Path, model: str, *, away_s: float = 8.0, pull_at: float = 0.25,
    timeout_s: float = 600.0,
) -> PullOutcome:  # fmt: skip
    """Predict ``card`` into ``db`` in a child process, pull the card when ``pull_at`` of the
    images are predicted, put it back after ``away_s``, then run predict again."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "labeler", "predict", str(card), "--db", str(db), "--model",
           model, "--json", "--batch", "16"]  # fmt: skip
    with Store(db) as store:
        from labeler.core.ingest import scan_to_end

        scan_to_end(store, card)
        total = store.label_counts()["images"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    away = card.with_name(card.name + ".pulled")
    pulled = False
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        if _predicted(db) >= pull_at * total:
            os.rename(card, away)
            pulled = True
            break
        time.sleep(0.05)
    first_out, first_err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    if pulled:
        time.sleep(away_s)
        os.rename(away, card)
    left = total - _predicted(db)
    second = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, timeout=timeout_s)
    with Store(db, readonly=True) as ro:
        model_id = ro.active_model()["id"]
        counts = dict(ro.query("SELECT image_id, count(*) FROM image_predictions WHERE model_id=? "
                               "GROUP BY image_id", (model_id,)))  # fmt: skip
        failures = int(ro.scalar("SELECT count(*) FROM image_predictions WHERE model_id=? AND "
                                 "error IS NOT NULL", (model_id,)))  # fmt: skip
        images = int(ro.label_counts()["images"])
    return PullOutcome(
        pulled=pulled,
        first_exit=proc.returncode,
        second_exit=second.returncode,
        images=images,
        predicted_once=sum(1 for n in counts.values() if n == 1),
        predicted_twice_or_more=sum(1 for n in counts.values() if n > 1),
        failures=failures,
        left_by_first=left,
    )
