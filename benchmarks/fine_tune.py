"""Full fine-tuning of the real backbone on shared labeled images, against the head-only model.

Predicts the images with the pretrained model (for embeddings), splits them by burst into
training and validation parts, trains a head on the training embeddings (the baseline), then
fine-tunes the backbone (progressive unfreezing, camera-trap augmentations) and compares
validation accuracy on the same held-out images.

Usage: python benchmarks/fine_tune.py [--data DIR] [--prefix smallmammal_tunnels/] [--images 200]
       [--epochs 4] [--device auto]
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

from benchmarks.shared_labels import PLACEHOLDERS  # noqa: E402
from inference.models import load_classifier  # noqa: E402
from labeler.cli.learn import read_truth  # noqa: E402
from labeler.core.generators import run_to_end  # noqa: E402
from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.labeling import LabelSession  # noqa: E402
from labeler.core.learning import training_set  # noqa: E402
from labeler.core.predict_job import run_predict  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from tests.conftest import shared_data_dir  # noqa: E402
from training.finetune import fine_tune  # noqa: E402
from training.head import fit_head, group_folds  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--truth", default="labels.csv")
    ap.add_argument("--prefix", default="smallmammal_tunnels/")
    ap.add_argument("--exclude", default=None, help="leave out paths starting with this")
    ap.add_argument("--min-per-class", type=int, default=1, help="drop classes with fewer images")
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    data = args.data or shared_data_dir()
    if data is None:
        raise SystemExit("shared data not found; pass --data")
    truth = [
        (p, lab)
        for p, lab in read_truth(str(data / args.truth))
        if p.startswith(args.prefix)
        and lab not in PLACEHOLDERS
        and not (args.exclude and p.startswith(args.exclude))
    ]
    counts = {lab: sum(1 for _, x in truth if x == lab) for _, lab in truth}
    truth = [(p, lab) for p, lab in truth if counts[lab] >= args.min_per_class][: args.images]
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.sqlite") as store:
        scan_to_end(store, data)
        for _ in run_predict(store, str(data), load_classifier("lite0")):
            pass
        ids = {p: i for i, p in store.image_paths().items()}
        session = LabelSession(store)
        by_label: dict[str, list[int]] = {}
        for p, lab in truth:
            if p in ids:
                by_label.setdefault(lab, []).append(ids[p])
        for lab, members in by_label.items():
            session.set_species(members, lab)
        ts = training_set(store, store.active_model()["id"])
        folds = group_folds(ts.groups, 5, seed=1)
        val = folds == 0
        labels = np.array(ts.labels, dtype=object)
        head = fit_head(ts.embeddings[~val], list(labels[~val]))
        head_val = float(
            (
                np.array(head.classes)[head.predict_proba(ts.embeddings[val]).argmax(1)]
                == labels[val]
            ).mean()
        )
        paths = store.image_paths()
        pairs = [
            (str(data / paths[int(i)]), str(lab))
            for i, lab in zip(ts.image_ids, labels, strict=True)
        ]
        train_items = [x for x, v in zip(pairs, val, strict=True) if not v]
        val_items = [x for x, v in zip(pairs, val, strict=True) if v]
        t0 = time.perf_counter()
        gen = fine_tune(train_items, val_items, base="lite0", out_dir=Path(tmp) / "ft", version="bench-ft",
                        init_head=head, epochs=args.epochs, device=args.device, batch_size=args.batch)  # fmt: skip

        def show(event) -> None:
            if event.phase == "validate":
                print(f"epoch {event.epoch}/{event.epochs} ({event.unfrozen}): loss {event.loss:.3f}, "
                      f"validation accuracy {event.val_accuracy:.3f}, {event.elapsed_s:.0f} s")  # fmt: skip

        result = run_to_end(gen, show)
        seconds = time.perf_counter() - t0
    out = {
        "images": len(pairs),
        "train": len(train_items),
        "val": len(val_items),
        "classes": {k: len(v) for k, v in by_label.items()},
        "device": result.device,
        "epochs": args.epochs,
        "fine_tune_val_accuracy": round(result.best_val_accuracy, 4),
        "head_only_val_accuracy": round(head_val, 4),
        "fine_tune_beats_head": result.best_val_accuracy > head_val,
        "seconds": round(seconds, 1),
        "history": result.history,
        "onnx_exported": result.onnx is not None,
    }
    print(f"fine-tune validation accuracy {out['fine_tune_val_accuracy']} vs head-only {out['head_only_val_accuracy']} "
          f"on {out['val']} held-out images; {out['seconds']} s on {out['device']}")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
