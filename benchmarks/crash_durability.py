"""Kill a labeling driver with SIGKILL at random moments, N times, and count lost labels.

Modes rotate through plain labeling, rescanning, prediction batch writes, checkpoint writes,
backups and schema migrations. Usage: python benchmarks/crash_durability.py [--iterations 200]
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
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        card, db = prepare(Path(tmp))
        per_mode = collections.defaultdict(lambda: {"iterations": 0, "acknowledged": 0, "lost": 0})
        bad = []
        for k in range(args.iterations):
            o = run_iteration(db, card, MODES[k % len(MODES)], seed=k)
            m = per_mode[o.mode]
            m["iterations"] += 1
            m["acknowledged"] += o.acknowledged
            m["lost"] += o.lost
            if o.lost or o.integrity != "ok" or not (o.checkpoint_ok and o.backups_ok):
                bad.append(o.__dict__)
    result = {
        "iterations": args.iterations,
        "acknowledged": sum(m["acknowledged"] for m in per_mode.values()),
        "lost": sum(m["lost"] for m in per_mode.values()),
        "failed_iterations": len(bad),
        "per_mode": dict(per_mode),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    for mode, m in per_mode.items():
        print(
            f"{mode:10} {m['iterations']:4d} kills, {m['acknowledged']:6d} acknowledged labels, {m['lost']} lost"
        )
    for b in bad[:10]:
        print("problem:", b)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
