"""Kill a labeling driver with SIGKILL at random moments, N times, and count lost labels.

Modes rotate through plain labeling, rescanning, prediction batch writes, checkpoint writes,
backups, schema migrations and a restore attempted while the driver writes (it must be refused:
no confirmed label may end outside the working catalog).
Then (with ``--card-pulls N``) the card is pulled out for ``--away`` seconds in the middle of a
real ``labeler predict`` of ``--card-images`` images, N times: the interrupted run must exit
with its "stopped early" code and the next run must leave every image predicted exactly once.
Usage: python benchmarks/crash_durability.py [--iterations 200] [--modes restore,...]
         [--card-pulls 10] [--card-images 1500] [--away 8] [--model lite0]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crash import MODES, prepare, run_iteration  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated modes to rotate")
    ap.add_argument("--card-pulls", type=int, default=0)
    ap.add_argument("--card-images", type=int, default=1500)
    ap.add_argument("--away", type=float, default=8.0, help="seconds the card stays out")
    ap.add_argument("--model", default="lite0")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown or not modes:
        raise SystemExit(f"crash_durability: unknown modes {unknown}; choose from {MODES}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        card, db = prepare(Path(tmp))
        per_mode = collections.defaultdict(lambda: {"iterations": 0, "acknowledged": 0, "lost": 0})
        restores = collections.Counter()
        bad = []
        for k in range(args.iterations):
            o = run_iteration(db, card, modes[k % len(modes)], seed=k)
            m = per_mode[o.mode]
            m["iterations"] += 1
            m["acknowledged"] += o.acknowledged
            m["lost"] += o.lost
            if o.restore:
                restores[o.restore] += 1
            if o.lost or o.integrity != "ok" or not (o.checkpoint_ok and o.backups_ok):
                bad.append(o.__dict__)
    result = {
        "iterations": args.iterations,
        "acknowledged": sum(m["acknowledged"] for m in per_mode.values()),
        "lost": sum(m["lost"] for m in per_mode.values()),
        "failed_iterations": len(bad),
        "per_mode": dict(per_mode),
        "restores_attempted_while_writing": sum(restores.values()),
        "restores_refused": restores["refused"],
        "restores_done": restores["restored"],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    for mode, m in per_mode.items():
        print(
            f"{mode:10} {m['iterations']:4d} kills, {m['acknowledged']:6d} acknowledged labels, {m['lost']} lost"
        )
    if restores:
        print(f"restore while a writer is open: {sum(restores.values())} attempts, "
              f"{restores['refused']} refused, {restores['restored']} done; "
              f"{per_mode['restore']['lost']} confirmed labels outside the working catalog")  # fmt: skip
    for b in bad[:10]:
        print("problem:", b)
    if args.card_pulls:
        result["card_pulls"] = card_pulls(args)
        c = result["card_pulls"]
        print(f"card pulled {c['pulls']} times for {args.away:.0f} s mid-predict of {args.card_images} images: "
              f"interrupted runs exiting 3: {c['interrupted_exit_3']}; after the card returned every image "
              f"predicted exactly once in {c['all_predicted_once']} runs; failures recorded {c['failures']}")  # fmt: skip
    print(json.dumps(result))


def card_pulls(args) -> dict:
    from tests.card_pull import run_card_pull
    from tests.gen import build_burst_tree

    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card"
        build_burst_tree(card, args.card_images, cameras=4, size=(320, 240))
        for k in range(args.card_pulls):
            o = run_card_pull(card, Path(tmp) / f"c{k}.sqlite", args.model, away_s=args.away,
                              pull_at=0.2 + 0.5 * (k % 5) / 5)  # fmt: skip
            outcomes.append(o)
    return {
        "pulls": sum(o.pulled for o in outcomes),
        "interrupted_exit_3": sum(o.first_exit == 3 for o in outcomes if o.pulled),
        "left_for_the_next_run": [o.left_by_first for o in outcomes],
        "all_predicted_once": sum(
            o.predicted_once == o.images and o.predicted_twice_or_more == 0 and o.second_exit == 0
            for o in outcomes
        ),
        "failures": sum(o.failures for o in outcomes),
    }


if __name__ == "__main__":
    main()
