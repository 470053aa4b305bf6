"""Kill a labeling driver with SIGKILL at random moments, N times, and count lost labels.

Modes rotate through plain labeling, rescanning, prediction batch writes, checkpoint writes,
backups, schema migrations and a restore attempted while the driver writes (it must be refused:
no confirmed label may end outside the working catalog).
Usage: python benchmarks/crash_durability.py [--iterations 200] [--modes restore,...]
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
    print(json.dumps(result))


if __name__ == "__main__":
    main()
