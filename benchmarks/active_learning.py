"""Simulated labeling with active learning: labels used vs accuracy on the rest, and auto-accept.

A simulated person starts with no labels and answers the review queue from the truth file, a
batch at a time. After each round the head is retrained and measured on the images not yet
labeled: its accuracy, and the share of them it can auto-accept at the target accuracy
(per-class thresholds from cross-validated predictions of the labels so far), with the true
accuracy of what it accepted.

Usage: python benchmarks/active_learning.py --data DIR --truth labels.csv
         [--strategy uncertainty|random] [--batch 10] [--budget N] [--prefix FOLDER/]
         [--imbalance balanced|oversample|none] [--seeds 1]
``--truth`` paths are relative to ``--data``; its columns are path and label (or species).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.models import load_classifier  # noqa: E402
from labeler.cli.learn import read_truth  # noqa: E402
from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.predict_job import run_predict  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from training.calibration import auto_accept, per_class_thresholds  # noqa: E402
from training.head import cross_validate, fit_head, fit_temperature  # noqa: E402
from training.queue import review_order  # noqa: E402

PLACEHOLDERS = {
    "unlabeled",
    "unlabeled_hard_case",
    "invalid",
    "label",
    "unidentified",
    "animal_unspecified",
}
TARGET = 0.966


def embed_folder(
    data: Path, model: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, object]]:
    """Embeddings, zero-shot probabilities and burst of every image, by relative path."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.sqlite") as store:
        scan_to_end(store, data)
        for _ in run_predict(store, str(data), load_classifier(model)):
            pass
        model_id = store.active_model()["id"]
        paths = store.image_paths()
        ids, emb = store.embeddings(model_id)
        probs = store.stored_probs(model_id)
        bursts = store.burst_of_images()
    by_path_e = {paths[int(i)]: e for i, e in zip(ids, emb, strict=True)}
    by_path_p = {paths[int(i)]: probs[int(i)] for i in ids if int(i) in probs}
    by_path_b = {paths[int(i)]: bursts.get(int(i), f"single-{int(i)}") for i in ids}
    return by_path_e, by_path_p, by_path_b


def simulate(
    x, y, zero, bursts, *, strategy: str, batch: int, budget: int, imbalance: str, seed: int
) -> dict:
    n = len(y)
    labeled = np.zeros(n, bool)
    labels_used, accuracy, share, accepted_acc, retrain_s = [], [], [], [], []
    head = None
    rng_seed = seed
    while labeled.sum() < min(budget, n):
        pool = np.nonzero(~labeled)[0]
        if strategy == "random" or not labeled.any():
            # Both strategies start from the same seeded random batch; they differ afterwards.
            pick = np.random.default_rng(rng_seed).permutation(pool)[:batch]
            rng_seed += 1
        else:
            probs = head.predict_proba(x[pool]) if head is not None else zero[pool]
            order = review_order(
                probs, [bursts[i] for i in pool], strategy="margin", k=batch, embeddings=x[pool]
            )
            pick = pool[order]
        labeled[pick] = True
        lab = np.nonzero(labeled)[0]
        rest = np.nonzero(~labeled)[0]
        if len(set(y[lab])) < 2 or len(rest) == 0:
            continue
        t = time.perf_counter()
        head = fit_head(x[lab], list(y[lab]), imbalance=imbalance, init=head)
        cv = cross_validate(
            x[lab], list(y[lab]), [bursts[i] for i in lab], k=3, imbalance=imbalance, full=head
        )
        head.temperature = fit_temperature(cv.oof, cv.y)
        retrain_s.append(time.perf_counter() - t)
        th = per_class_thresholds(cv.oof, cv.classes, list(y[lab]), target=TARGET)
        probs = head.predict_proba(x[rest])
        pred = np.array(head.classes)[probs.argmax(axis=1)]
        acc = float((pred == y[rest]).mean())
        auto = auto_accept(probs, head.classes, th)
        labels_used.append(int(labeled.sum()))
        accuracy.append(round(acc, 4))
        share.append(round(len(auto) / len(rest), 4))
        hits = [pred[r] == y[rest][r] for r in auto]
        accepted_acc.append(round(float(np.mean(hits)), 4) if hits else None)
    to95 = next((u for u, a in zip(labels_used, accuracy, strict=True) if a >= 0.95), None)
    held = next(
        (u for k, u in enumerate(labels_used) if all(a >= 0.95 for a in accuracy[k:])), None
    )
    return {"labels_used": labels_used, "accuracy": accuracy, "auto_accept_share": share,
            "auto_accepted_true_accuracy": accepted_acc, "labels_to_95": to95, "labels_to_95_sustained": held,
            "retrain_seconds": round(float(np.mean(retrain_s)), 4) if retrain_s else None}  # fmt: skip


def _mean_or_none(values: list) -> float | None:
    """Mean over seeds; a seed that never got there counts as all the images (None if none did)."""
    if all(v is None for v in values):
        return None
    return (
        round(float(np.mean([v for v in values if v is not None])), 1)
        if None not in values
        else None
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--strategy", choices=["uncertainty", "random"], default="uncertainty")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--budget", type=int, default=None)
    ap.add_argument("--prefix", default="", help="only images whose path starts with this")
    ap.add_argument("--exclude", default=None, help="leave out images whose path starts with this")
    ap.add_argument("--imbalance", choices=["balanced", "oversample", "none"], default="balanced")
    ap.add_argument("--seeds", type=int, default=1, help="repeat with this many seeds and average")
    ap.add_argument("--model", default="lite0")
    args = ap.parse_args()
    truth_path = Path(args.truth) if Path(args.truth).is_absolute() else Path(args.truth)
    if not truth_path.exists():
        truth_path = args.data / args.truth
    truth = [
        (p, lab)
        for p, lab in read_truth(str(truth_path))
        if p.startswith(args.prefix)
        and lab not in PLACEHOLDERS
        and not (args.exclude and p.startswith(args.exclude))
    ]
    emb, zero, bursts = embed_folder(args.data, args.model)
    rows = [(p, lab) for p, lab in truth if p in emb]
    x = np.stack([emb[p] for p, _ in rows])
    y = np.array([lab for _, lab in rows], dtype=object)
    width = max(len(v) for v in zero.values())
    z = np.stack([zero.get(p, np.zeros(width)) for p, _ in rows])
    b = [bursts[p] for p, _ in rows]
    budget = args.budget or len(rows)
    runs = [simulate(x, y, z, b, strategy=args.strategy, batch=args.batch, budget=budget,
                     imbalance=args.imbalance, seed=s) for s in range(args.seeds)]  # fmt: skip
    result = runs[0]
    if args.seeds > 1:
        k = min(len(r["accuracy"]) for r in runs)
        result = {
            "labels_used": runs[0]["labels_used"][:k],
            "accuracy": [
                round(float(np.mean([r["accuracy"][i] for r in runs])), 4) for i in range(k)
            ],
            "auto_accept_share": [
                round(float(np.mean([r["auto_accept_share"][i] for r in runs])), 4)
                for i in range(k)
            ],
            "labels_to_95": _mean_or_none([r["labels_to_95"] for r in runs]),
            "labels_to_95_per_seed": [r["labels_to_95"] for r in runs],
            "labels_to_95_sustained": _mean_or_none([r["labels_to_95_sustained"] for r in runs]),
            "labels_to_95_sustained_per_seed": [r["labels_to_95_sustained"] for r in runs],
            "retrain_seconds": round(float(np.mean([r["retrain_seconds"] for r in runs])), 4),
        }
    classes = {c: int((y == c).sum()) for c in sorted(set(y))}
    print(
        f"{len(rows)} images, classes {classes}; strategy {args.strategy}, batch {args.batch}, {args.imbalance}"
    )
    print(f"{'labels':>6} {'acc(rest)':>9} {'auto-accept':>11}")
    for u, a, s in zip(
        result["labels_used"], result["accuracy"], result["auto_accept_share"], strict=True
    ):
        print(f"{u:6d} {a:9.3f} {s:11.3f}")
    tenth = next((i for i, u in enumerate(result["labels_used"]) if u >= 0.1 * len(rows)), None)
    extra = {}
    if tenth is not None:
        extra = {"auto_accept_share_at_10pct": result["auto_accept_share"][tenth],
                 "accuracy_at_10pct": result["accuracy"][tenth],
                 "labels_at_10pct": result["labels_used"][tenth]}  # fmt: skip
        if "auto_accepted_true_accuracy" in result:
            extra["auto_accepted_true_accuracy_at_10pct"] = result["auto_accepted_true_accuracy"][
                tenth
            ]
    print(f"labels to reach 95% accuracy on the rest: first {result['labels_to_95']}, "
          f"for good {result.get('labels_to_95_sustained')}; "
          f"seconds per head retrain: {result['retrain_seconds']}; at 10% labeled: {extra}")  # fmt: skip
    out = {
        "strategy": args.strategy,
        "images": len(rows),
        "imbalance": args.imbalance,
        **result,
        **extra,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
