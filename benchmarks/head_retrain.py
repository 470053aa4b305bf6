"""Seconds for one head retrain on 5,000 confirmed labels stored in a catalog.

Builds a catalog with N images whose float16 embeddings are drawn around real embedding
statistics (20 classes), labels them all as confirmed, then times ``retrain_head`` end to end:
reading the embeddings from SQLite, fitting, 3-fold cross-validation by burst, temperature
and per-class thresholds. Also times writing the head's predictions for every image.

Usage: python benchmarks/head_retrain.py [--labels 5000] [--classes 20] [--repeat 3]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler.core.labeling import LabelSession  # noqa: E402
from labeler.core.learning import head_predictions, retrain_head, save_head, write_head_predictions  # noqa: E402
from labeler.core.media import FileRecord  # noqa: E402
from labeler.core.species import ensure_default_species, project_labels  # noqa: E402
from labeler.core.store import PredictionRow, Store  # noqa: E402


def build(store: Store, n: int, classes: int, args_spread: float, dim: int = 1280) -> None:
    rng = np.random.default_rng(0)
    ensure_default_species(store)
    keys = [s.key for s in store.species() if s.observation_type == "animal"][: classes - 1] + [
        "blank"
    ]
    store.upsert_files([FileRecord(f"cam{i % 8}/IMG_{i:05d}.JPG", 1, i, "ok", datetime=f"2023-01-01T00:{(i // 3) % 60:02d}:00")
                        for i in range(n)])  # fmt: skip
    from labeler.core.sequences import group_sequences

    seqs, _ = group_sequences(store.frames(), 60)
    store.replace_sequences(seqs)
    labels = [s.key for s in store.species()]
    model = store.register_model("bench-backbone", "lite0", "pretrained", {"labels": labels})
    store.set_active_model(model)
    centers = rng.normal(0, 1.0, (classes, dim)).astype(np.float32)
    ids = [r[0] for r in store.query("SELECT id FROM images ORDER BY id")]
    truth = rng.integers(0, classes, n)
    emb = np.abs(centers[truth] * args_spread + rng.normal(0, 1.0, (n, dim))).astype(np.float32)
    probs = rng.dirichlet(np.ones(len(labels)), n).astype(np.float32)
    rows = [
        PredictionRow(int(i), topk=[(labels[0], 0.5)], probs=probs[k], embedding=emb[k])
        for k, i in enumerate(ids)
    ]
    for start in range(0, n, 1000):
        store.write_predictions(model, rows[start : start + 1000])
    session = LabelSession(store)
    by_class: dict[int, list[int]] = {}
    for k, i in enumerate(ids):
        by_class.setdefault(int(truth[k]), []).append(int(i))
    for c, members in by_class.items():
        session.set_species(members, keys[c])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--labels", type=int, default=5000)
    ap.add_argument("--classes", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--separation", type=float, default=0.08, help="class-centre scale (smaller is harder)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.sqlite") as store:
        build(store, args.labels, args.classes, args.separation)
        times, outcome = [], None
        retrain_head(store)  # warm-up: the first call imports torch
        for _ in range(args.repeat):
            t = time.perf_counter()
            outcome = retrain_head(store)
            times.append(time.perf_counter() - t)
        model_id = save_head(store, outcome)
        t = time.perf_counter()
        rows = head_predictions(store, outcome.head, outcome.backbone_id, project_labels(store))
        write_head_predictions(store, model_id, rows)
        write_s = time.perf_counter() - t
    result = {
        "labels": args.labels,
        "classes": args.classes,
        "separation": args.separation,
        "retrain_seconds_median": round(statistics.median(times), 3),
        "retrain_seconds": [round(t, 3) for t in times],
        "cv_accuracy": round(outcome.cv_accuracy, 4),
        "predict_and_write_all_seconds": round(write_s, 3),
    }
    print(f"head retrain on {args.labels} stored embeddings: median {result['retrain_seconds_median']} s "
          f"(runs {result['retrain_seconds']}), CV accuracy {result['cv_accuracy']}; predictions for all "
          f"images written in {result['predict_and_write_all_seconds']} s")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
