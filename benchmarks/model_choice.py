"""Compare the built-in models on the shared labeled images: speed, top-1/top-5, empty AUC.

Usage: python benchmarks/model_choice.py [--data DIR] [--models lite0,lite2]
Prints a table and the misses of each model; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared_labels import load_labels  # noqa: E402
from inference.metrics import roc_auc  # noqa: E402
from inference.models import load_classifier  # noqa: E402
from inference.pipeline import PredictedBatch, PredictItem, predict_batches  # noqa: E402
from tests.conftest import shared_data_dir  # noqa: E402

NON_ANIMAL = {"blank", "human", "vehicle"}


def evaluate(name: str, data: Path, rows: list[dict]) -> dict:
    clf = load_classifier(name)
    labels = list(clf.card.labels)
    items = [PredictItem(i, str(data / r["path"])) for i, r in enumerate(rows)]
    probs: dict[int, np.ndarray] = {}
    t = time.perf_counter()
    for ev in predict_batches(items, clf):
        if isinstance(ev, PredictedBatch):
            for k, p in zip(ev.keys, ev.probs, strict=True):
                probs[k] = p
    seconds = time.perf_counter() - t
    blank = labels.index("blank")
    top1 = top5 = n_animal = 0
    misses = []
    y_true, y_score = [], []
    for i, r in enumerate(rows):
        if i not in probs:
            continue
        p = probs[i]
        y_true.append(r["taxa"] == {"blank"})
        y_score.append(float(p[blank]))
        if r["taxa"] & NON_ANIMAL:
            continue
        n_animal += 1
        order = np.argsort(-p)[:5]
        ranked = [labels[j] for j in order]
        hit1 = ranked[0] in r["taxa"]
        hit5 = bool(set(ranked) & r["taxa"])
        top1 += hit1
        top5 += hit5
        if not hit5:
            misses.append(f"{r['path']} ({r['label']}): {', '.join(ranked[:3])}")
    return {
        "model": name,
        "version": clf.card.version,
        "input_size": clf.card.input_size,
        "images": len(items),
        "decoded": len(probs),
        "images_per_s": round(len(items) / seconds, 1),
        "animal_images": n_animal,
        "top1": round(top1 / max(n_animal, 1), 4),
        "top5": round(top5 / max(n_animal, 1), 4),
        "blank_auc": round(roc_auc(np.array(y_true), np.array(y_score)), 4),
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--models", default="lite0,lite2")
    args = ap.parse_args()
    data = args.data or shared_data_dir()
    if data is None:
        raise SystemExit("shared data not found; pass --data")
    rows = [r for r in load_labels(data) if r["taxa"] is not None]
    results = [evaluate(m, data, rows) for m in args.models.split(",")]
    print(
        f"{'model':8} {'px':>4} {'img/s':>7} {'top1':>6} {'top5':>6} {'blankAUC':>8}  (animals: n)"
    )
    for r in results:
        print(
            f"{r['model']:8} {r['input_size']:>4} {r['images_per_s']:>7} {r['top1']:>6} "
            f"{r['top5']:>6} {r['blank_auc']:>8}  ({r['animal_images']})"
        )
    for r in results:
        print(f"\n{r['model']} misses (not in top-5): {len(r['misses'])}")
        for m in r["misses"]:
            print("  " + m)
    print(json.dumps({r["model"]: {k: v for k, v in r.items() if k != "misses"} for r in results}))


if __name__ == "__main__":
    main()
