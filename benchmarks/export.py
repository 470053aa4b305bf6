"""Export speed: 100,000 observations to CSV, Camtrap DP, COCO Camera Traps and MegaDetector JSON.

Usage: python benchmarks/export.py [--images 100000]
The last line is one JSON object (seconds per format).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ui_responsiveness import generate_project  # noqa: E402
from labeler.core.exchange.camtrapdp import export_camtrapdp  # noqa: E402
from labeler.core.exchange.coco import export_coco  # noqa: E402
from labeler.core.exchange.csv_io import export_csv, import_csv  # noqa: E402
from labeler.core.exchange.megadetector import export_megadetector  # noqa: E402
from labeler.core.generators import run_to_end  # noqa: E402
from labeler.core.labeling import LabelSession  # noqa: E402
from labeler.core.runtime import relax_gc  # noqa: E402
from labeler.core.store import Store  # noqa: E402


def timed(gen) -> tuple[float, dict]:
    t = time.perf_counter()
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return time.perf_counter() - t, stop.value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db = tmp / "big.sqlite"
        generate_project(db, args.images)
        default_gc = gc.get_threshold()
        relax_gc()  # as the window and the command line run
        with Store(db) as store:
            ids = sorted(store.image_ids_by_path().values())
            session = LabelSession(store)
            keys = ["red_fox", "blank", "roe_deer", "wild_boar"]
            for k in range(0, len(ids), 10_000):
                session.set_species(ids[k : k + 10_000], keys[(k // 10_000) % len(keys)], count=1)
            n_obs = len(store.export_rows())
            results = {}
            for name, gen in (
                ("csv", export_csv(store, tmp / "labels.csv")),
                ("camtrapdp", export_camtrapdp(store, tmp / "package", allow_incomplete=True)),
                ("coco", export_coco(store, tmp / "coco.json")),
                (
                    "megadetector",
                    export_megadetector(store, tmp / "md.json", store.active_model()["id"]),
                ),
            ):
                seconds, _report = timed(gen)
                results[name] = round(seconds, 2)
                print(f"{name:13} {n_obs} observations in {seconds:.2f} s")
            gc.set_threshold(*default_gc)
            seconds, _report = timed(
                export_megadetector(store, tmp / "md2.json", store.active_model()["id"])
            )
            results["megadetector_default_gc"] = round(seconds, 2)
            print(f"megadetector with Python's default collector thresholds {seconds:.2f} s")
            relax_gc()
        t = time.perf_counter()
        with Store(db) as store:
            report = run_to_end(import_csv(store, tmp / "labels.csv"))
        results["csv_import"] = round(time.perf_counter() - t, 2)
        print(
            f"csv import of {report.rows} rows (relabels every image) in {results['csv_import']} s"
        )
    print(json.dumps({"observations": n_obs, "seconds": results}))


if __name__ == "__main__":
    main()
