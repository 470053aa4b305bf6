"""Empty-frame score on the shared labeled images: each signal, the shipped mix, a held-out check.

Scans and predicts the shared folder into a temporary catalog, then scores every labeled image.
The shipped weights (inference/empty.py) were fitted on these images; the held-out figures refit
them with each source collection left out in turn, which is the honest estimate.

Usage: python benchmarks/empty_score.py [--data DIR] [--model lite0]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared_labels import load_labels  # noqa: E402
from inference.empty import burst_motion, combine, logit  # noqa: E402
from inference.metrics import roc_auc  # noqa: E402
from inference.models import load_classifier  # noqa: E402
from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.predict_job import run_predict  # noqa: E402
from labeler.core.regions import plan_regions, region_scores  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from tests.conftest import shared_data_dir  # noqa: E402


def features(
    store: Store, model_id: int, regions: dict[int, float]
) -> dict[int, tuple[float, float, float]]:
    groups: dict[object, list] = defaultdict(list)
    for image_id, seq, thumb, blank in store.empty_inputs(model_id):
        groups[seq if seq is not None else ("single", image_id)].append((image_id, thumb, blank))
    out = {}
    for g in groups.values():
        motion = burst_motion([x[1] for x in g]) if len(g) > 1 else [math.nan]
        for (image_id, _t, blank), m in zip(g, motion, strict=True):
            out[image_id] = (blank, m, regions.get(image_id, 0.0))
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x.T * (p * (1 - p))) @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def design(blank: np.ndarray, motion: np.ndarray, burst: bool, region=None) -> np.ndarray:
    lg = np.array([logit(b) for b in blank])
    cols = [lg, motion, np.ones(len(lg))] if burst else [lg, np.ones(len(lg))]
    if region is not None:
        cols.append(region)
    return np.stack(cols, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--model", default="lite0")
    ap.add_argument("--regions", default="builtin", help="region source: builtin, none, ...")
    args = ap.parse_args()
    data = args.data or shared_data_dir()
    if data is None:
        raise SystemExit("shared data not found; pass --data")
    labels = {r["path"]: r for r in load_labels(data) if r["taxa"] is not None}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.sqlite") as store:
        scan_to_end(store, data)
        plan = plan_regions(store, args.regions)
        gen = run_predict(store, str(data), load_classifier(args.model), regions=plan)
        for _ in gen:
            pass
        model_id = store.active_model()["id"]
        feats = features(store, model_id, region_scores(store, plan))
        paths = dict(store.query("SELECT id, path FROM images"))
        shipped = {r[0]: r[1] for r in store.query(
            "SELECT image_id, empty_score FROM image_predictions WHERE model_id=?", (model_id,))}  # fmt: skip
    rows = []
    for image_id, (blank, motion, region) in feats.items():
        r = labels.get(paths[image_id])
        if r is not None:
            rows.append((blank, motion, r["taxa"] == {"blank"}, r["source_set"], shipped[image_id],
                         region))  # fmt: skip
    blank = np.array([r[0] for r in rows])
    motion = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    src = np.array([r[3] for r in rows])
    score = np.array([r[4] for r in rows])
    region = np.array([r[5] for r in rows])
    in_burst = ~np.isnan(motion)
    # Leave one source collection out: refit on the others, score the one left out; with and
    # without the region score.
    held = np.empty(len(rows))
    held_plain = np.empty(len(rows))
    for s in sorted(set(src)):
        test = src == s
        for burst in (False, True):
            part = in_burst == burst
            train = ~test & part
            if not (test & part).any():
                continue
            for out, reg in ((held, region), (held_plain, None)):
                w = fit_logistic(design(blank[train], motion[train], burst, None if reg is None else reg[train]),
                                 y[train].astype(float))  # fmt: skip
                z = design(blank[test & part], motion[test & part], burst,
                           None if reg is None else reg[test & part]) @ w  # fmt: skip
                out[test & part] = 1 / (1 + np.exp(-z))
    # The weights to ship: fitted on every image (printed; in-sample, so the held-out AUC above
    # is the honest figure).
    fitted = {}
    for burst in (False, True):
        part = in_burst == burst
        w = fit_logistic(
            design(blank[part], motion[part], burst, region[part]), y[part].astype(float)
        )
        a, c, d = w[0], w[-2], w[-1]
        b = w[1] if burst else 0.0
        fitted["in_burst" if burst else "single_frame"] = [round(float(v), 3) for v in (a, b, c, d)]
    result = {
        "images": len(rows),
        "empties": int(y.sum()),
        "in_bursts": int(in_burst.sum()),
        "empties_in_bursts": int(y[in_burst].sum()),
        "auc_blank_probability": round(roc_auc(y, blank), 4),
        "auc_burst_motion_in_bursts": round(roc_auc(y[in_burst], -motion[in_burst]), 4),
        "auc_shipped": round(roc_auc(y, score), 4),
        "accuracy_shipped_at_0.5": round(float(((score > 0.5) == y).mean()), 4),
        "auc_shipped_in_bursts": round(roc_auc(y[in_burst], score[in_burst]), 4),
        "accuracy_shipped_in_bursts": round(
            float(((score[in_burst] > 0.5) == y[in_burst]).mean()), 4
        ),
        "auc_region_score": round(roc_auc(y, -region), 4),
        "auc_held_out": round(roc_auc(y, held), 4),
        "auc_held_out_without_region": round(roc_auc(y, held_plain), 4),
        "accuracy_held_out_at_0.5": round(float(((held > 0.5) == y).mean()), 4),
        "check_combine": round(combine(0.5, math.nan), 4),
        "regions": args.regions,
        "fitted_weights_abcd": fitted,
    }
    for k, v in result.items():
        print(f"{k:32} {v}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
