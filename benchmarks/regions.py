"""Finding the animal, measured: localization against hand-drawn boxes, and classification on the
whole frame vs built-in regions vs hand-drawn boxes, with whole camera sites held out.

The folder is scanned and predicted into a temporary catalog three ways (the same code as
``labeler predict``): whole frame only (``--regions none``), built-in regions, and (with
``--boxes``) crops from the boxes of a MegaDetector-format file imported as a results file.
For each, a head is trained on the images of half the sites and tested on the other half
(``--splits`` random splits, stratified so that every label has sites on both sides when it
can); zero-shot top-1/top-5 of the pretrained model over the taxonomy is reported too.

Usage: python benchmarks/regions.py --data DIR --truth CSV [--boxes MD_FILE] [--splits 5]
``--truth`` has columns path, label, site (paths relative to DIR, or to its parent with DIR's
name first). Images with an empty or placeholder label are not scored. Without at least two
sites, a trigger id (the scan's burst, else the file-name prefix before the first "_") stands
in for the site. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared_labels import LABEL_TO_TAXA, read_truth  # noqa: E402
from inference.localize import Region, iou  # noqa: E402
from inference.models import load_classifier  # noqa: E402
from inference.taxonomy import load_taxonomy  # noqa: E402
from labeler.core.exchange.megadetector import import_megadetector  # noqa: E402
from labeler.core.generators import run_to_end  # noqa: E402
from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.predict_job import run_predict  # noqa: E402
from labeler.core.regions import BUILTIN_SOURCE, plan_regions  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from training.head import fit_head  # noqa: E402

# Label spellings of some collections that differ from the shared label map.
ALIASES = {"gazellethomsons": "gazelle_thomsons", "gazellegrants": "gazelle_grants",
           "hyenaspotted": "hyena_spotted", "hyenastriped": "hyena_striped",
           "lionfemale": "lion_female", "lionmale": "lion_male", "guineafowl": "guinea_fowl",
           "empty": "empty"}  # fmt: skip


def taxa_of(label: str) -> set[str] | None:
    """Taxonomy keys that count as a right zero-shot answer for a truth label."""
    key = ALIASES.get(label.lower(), label.lower())
    if key in LABEL_TO_TAXA:
        return LABEL_TO_TAXA[key]
    by_name = {t.key: t.key for t in load_taxonomy()}
    by_name.update({t.common_name.lower(): t.key for t in load_taxonomy()})
    hit = by_name.get(key) or by_name.get(key.replace("_", " "))
    return {hit} if hit else None


def stratified_split(groups: np.ndarray, labels: np.ndarray, rng) -> np.ndarray:
    """Train mask: half of each label's groups (by the group's majority label), at least one."""
    by_label = defaultdict(list)
    for g in sorted(set(groups)):
        by_label[Counter(labels[groups == g]).most_common(1)[0][0]].append(g)
    train = []
    for gs in by_label.values():
        gs = list(rng.permutation(gs))
        train += gs[: max(1, len(gs) // 2)] if len(gs) > 1 else gs
    return np.isin(groups, train)


def held_out_top1(x: np.ndarray, y: np.ndarray, groups: np.ndarray, splits: int) -> list[float]:
    out = []
    for s in range(splits):
        train = stratified_split(groups, y, np.random.default_rng(s))
        test = ~train
        if len(set(y[train])) < 2 or not test.any():
            continue
        head = fit_head(x[train], list(y[train]))
        pred = np.array(head.classes)[head.predict_proba(x[test]).argmax(axis=1)]
        out.append(float((pred == y[test]).mean()))
    return out


def zero_shot(probs: np.ndarray, labels: list[str], y: np.ndarray) -> dict:
    t1 = t5 = n = 0
    for p, lab in zip(probs, y, strict=True):
        taxa = taxa_of(str(lab))
        if not taxa:
            continue
        order = np.argsort(-p)[:5]
        n += 1
        t1 += labels[order[0]] in taxa
        t5 += any(labels[j] in taxa for j in order)
    return {
        "top1": round(t1 / n, 4) if n else None,
        "top5": round(t5 / n, 4) if n else None,
        "n": n,
    }


def localization(store: Store, boxes_source: str, ids: dict[str, int], y_of: dict[int, str]):
    """Hit rate (box centre inside a found region of at most half the frame) and IoU of the
    built-in regions against the hand-drawn boxes, overall and per label."""
    truth = store.detections(source=boxes_source)
    found = store.detections(source=BUILTIN_SOURCE)
    hits = top = total = 0
    ious = []
    per = defaultdict(lambda: [0, 0])
    for image_id, dets in truth.items():
        regs = [Region(*d.bbox, d.conf, "builtin") for d in found.get(image_id, []) if d.bbox]
        regs = [r for r in regs if r.area <= 0.5]
        for d in dets:
            if d.bbox is None:
                continue
            box = Region(*d.bbox, 1.0, "truth")
            cx, cy = box.x + box.w / 2, box.y + box.h / 2
            hit = any(r.contains(cx, cy) for r in regs)
            total += 1
            hits += hit
            top += bool(regs) and regs[0].contains(cx, cy)
            ious.append(max((iou(box, r) for r in regs), default=0.0))
            lab = y_of.get(image_id, "?")
            per[lab][0] += hit
            per[lab][1] += 1
    return {
        "boxes": total,
        "hit_rate": round(hits / total, 4) if total else None,
        "hit_rate_first_region": round(top / total, 4) if total else None,
        "median_iou": round(float(np.median(ious)), 4) if ious else None,
        "per_label": {k: round(v[0] / v[1], 3) for k, v in sorted(per.items())},
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--boxes", type=Path, help="hand-drawn boxes as a MegaDetector results file")
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--model", default="lite0")
    args = ap.parse_args()
    truth = read_truth(args.truth, args.data)
    clf = load_classifier(args.model)
    labels = list(clf.card.labels)
    result: dict = {"data": str(args.data), "model": args.model}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.sqlite") as store:
        scan_to_end(store, args.data)
        ids = store.image_ids_by_path()
        runs = [("whole", "none"), ("builtin", "builtin")]
        if args.boxes:
            imported = run_to_end(import_megadetector(store, args.boxes))
            result["boxes_matched"] = imported.matched
            runs.append(("boxes", imported.source))
        emb, probs, speed = {}, {}, {}
        for name, choice in runs:
            t = time.perf_counter()
            report = run_to_end(
                run_predict(store, str(args.data), clf, regions=plan_regions(store, choice))
            )
            speed[name] = round(report.predicted / (time.perf_counter() - t), 1)
            model_id = store.model_id(report.model_version)
            ids_e, e = store.embeddings(model_id)
            emb[name] = dict(zip(ids_e.tolist(), e, strict=True))
            probs[name] = store.stored_probs(model_id)
            result[f"cropped_{name}"] = report.cropped
        bursts = store.burst_of_images()
        keep = [(p, ids[p]) for p in truth if p in ids and all(ids[p] in emb[n] for n in emb)]
        y = np.array([truth[p][0] for p, _ in keep])
        sites = np.array([truth[p][1] for p, _ in keep])
        if len(set(sites)) < 2:
            sites = np.array([
                f"burst-{bursts[i]}" if i in bursts else Path(p).name.split("_")[0] for p, i in keep
            ])  # fmt: skip
            result["groups"] = "trigger (burst or file-name prefix)"
        else:
            result["groups"] = "site"
        result.update({"images": len(keep), "labels": dict(Counter(y.tolist())),
                       "groups_count": len(set(sites))})  # fmt: skip
        for name in emb:
            x = np.stack([emb[name][i] for _p, i in keep])
            accs = held_out_top1(x, y, sites, args.splits)
            result[f"top1_{name}"] = round(float(np.mean(accs)), 4) if accs else None
            result[f"top1_{name}_splits"] = [round(a, 4) for a in accs]
            zs = zero_shot(np.stack([probs[name][i] for _p, i in keep]), labels, y)
            result[f"zero_shot_top1_{name}"], result[f"zero_shot_top5_{name}"] = (
                zs["top1"],
                zs["top5"],
            )
            result["zero_shot_scored"] = zs["n"]
            result[f"images_per_second_{name}"] = speed[name]
        if args.boxes:
            loc = localization(store, imported.source, ids, {i: truth[p][0] for p, i in keep})
            result.update({"hit_rate_builtin": loc["hit_rate"], "iou_builtin": loc["median_iou"],
                           "hit_rate_builtin_first_region": loc["hit_rate_first_region"],
                           "boxes_scored": loc["boxes"], "hit_rate_builtin_per_label": loc["per_label"]})  # fmt: skip
    if result.get("top1_whole") is not None and result.get("top1_builtin") is not None:
        result["top1_gain_builtin_points"] = round(
            100 * (result["top1_builtin"] - result["top1_whole"]), 1
        )
    for k, v in result.items():
        if not isinstance(v, (dict, list)):
            print(f"{k:34} {v}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
