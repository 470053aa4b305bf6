"""Concurrency soak for a fixed time: labeling, prediction batch writes, head retraining reads,
backups, rescans, exports and restore attempts at once. Prints label commit p95, the "database is
locked" count, restores refused, and confirmed labels found outside the working catalog.

Usage: python benchmarks/soak.py [--seconds 60] [--images 1000]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.species import ensure_default_species  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from tests.gen import build_burst_tree  # noqa: E402
from tests.soak import run_soak  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--images", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card"
        build_burst_tree(card, args.images, cameras=4, size=(64, 48))
        db = Path(tmp) / "soak.sqlite"
        with Store(db) as store:
            scan_to_end(store, card)
            ensure_default_species(store)
        report = run_soak(db, card, args.seconds)
        with Store(db) as store:
            integrity = store.integrity_check()
    data = asdict(report)
    data["integrity"] = integrity
    data["errors"] = data["errors"][:10]
    print(f"{args.seconds:.0f} s soak: {report.labels} labels (p95 {report.label_p95_ms} ms, max {report.label_max_ms} ms), "
          f"{report.prediction_batches} prediction batches, {report.retrains} retrains, {report.backups} backups, "
          f"{report.rescans} rescans, {report.exports} exports; 'database is locked' {report.locked}; integrity {integrity}")  # fmt: skip
    print(f"restore while a writer is open: {report.restores_attempted} attempts, {report.restores_refused} refused; "
          f"{report.labels_outside} confirmed labels outside the working catalog")  # fmt: skip
    print(
        f"card pulled {report.card_pulls} times during rescans: {report.marked_missing} images marked missing"
    )
    print(json.dumps(data))


if __name__ == "__main__":
    main()
