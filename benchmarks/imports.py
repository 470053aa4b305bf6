"""Import speed and bounds: 10,000 new species from a CSV, 200,000 boxes on one image from a
MegaDetector file, and the shared MegaDetector file's boxes through import and export.

Usage: python benchmarks/imports.py [--species 10000] [--boxes 200000]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler.core.exchange.csv_io import import_csv  # noqa: E402
from labeler.core.exchange.megadetector import export_megadetector, import_megadetector  # noqa: E402
from labeler.core.generators import run_to_end  # noqa: E402
from labeler.core.media import FileRecord  # noqa: E402
from labeler.core.store import Store  # noqa: E402


def species_import(tmp: Path, n: int) -> float:
    with Store(tmp / "species.sqlite") as store:
        store.upsert_files([FileRecord(f"cam/IMG_{i:06d}.JPG", 1, 1, "ok") for i in range(n)])
        src = tmp / "species.csv"
        with open(src, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path", "species"])
            w.writerows([f"cam/IMG_{i:06d}.JPG", f"Species number {i}"] for i in range(n))
        t = time.perf_counter()
        report = run_to_end(import_csv(store, src, add_unknown=True))
        seconds = time.perf_counter() - t
    print(
        f"{len(report.species_added)} new species and {report.images_updated} labels imported in {seconds:.2f} s"
    )
    return seconds


def boxes_import(tmp: Path, n: int) -> tuple[float, int]:
    with Store(tmp / "boxes.sqlite") as store:
        store.upsert_files([FileRecord("cam/IMG_0001.JPG", 1, 1, "ok")])
        boxes = [
            {"category": "1", "conf": (i % 1000) / 1000, "bbox": [0.1, 0.1, 0.01, 0.01]}
            for i in range(n)
        ]
        src = tmp / "many.json"
        src.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                                   "images": [{"file": "cam/IMG_0001.JPG", "detections": boxes}]}))  # fmt: skip
        t = time.perf_counter()
        report = run_to_end(import_megadetector(store, src))
        seconds = time.perf_counter() - t
    print(f"{n} boxes on one image imported in {seconds:.2f} s; {report.detections} kept")
    return seconds, report.detections


def shared_round_trip(tmp: Path) -> dict | None:
    data = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "camera_traps"
    source = data / "megadetector_v5a_animl.json"
    if not source.is_file():
        print("shared MegaDetector file not found; round trip skipped")
        return None
    card = tmp / "card"
    for folder in ("animl_southwest", "animl_buow"):
        (card / folder).mkdir(parents=True)
        for f in (data / folder).iterdir():
            (card / folder / f.name).symlink_to(f)
    from labeler.core.ingest import scan_to_end

    with Store(tmp / "rt.sqlite") as store:
        scan_to_end(store, card)
        report = run_to_end(import_megadetector(store, source))
        run_to_end(export_megadetector(store, tmp / "out.json"))

    def boxes(d: dict) -> list:
        cats = d["detection_categories"]
        return sorted((i["file"], cats[b["category"]], round(b["conf"], 4), tuple(round(v, 4) for v in b["bbox"]))
                      for i in d["images"] for b in i.get("detections") or [])  # fmt: skip

    src, out = (
        boxes(json.loads(source.read_text())),
        boxes(json.loads((tmp / "out.json").read_text())),
    )
    kept = sum(1 for b in src if b in set(out))
    print(f"shared MegaDetector file: {report.matched}/{report.images} images matched, {kept} of {len(src)} "
          "boxes identical to 4 decimals after import and export")  # fmt: skip
    return {"matched": report.matched, "boxes": len(src), "boxes_identical": kept}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--species", type=int, default=10_000)
    ap.add_argument("--boxes", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        species_s = species_import(tmp, args.species)
        boxes_s, kept = boxes_import(tmp, args.boxes)
        round_trip = shared_round_trip(tmp)
    print(json.dumps({"species": args.species, "species_import_s": round(species_s, 2), "boxes": args.boxes,
                      "boxes_import_s": round(boxes_s, 2), "boxes_kept": kept, "shared_round_trip": round_trip}))  # fmt: skip


if __name__ == "__main__":
    main()
