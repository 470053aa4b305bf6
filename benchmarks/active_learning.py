"""Simulated labeling with audits, open-world suggestions and certified auto-accept.

A simulated person answers, from the truth file, what the app shows in review mode: a batch
at a time, four images in five from the queue (unfamiliar images first, then the most
uncertain, one frame per burst) and one in five an audit drawn at random from the images
nobody labeled (stratified by predicted species, with its inclusion probability). Audits count
as labels. After each round the head is retrained and the app's own auto-accept decision
(training/autoaccept.py: per-species thresholds certified by the audits at the target with a
95 % lower bound, unfamiliar images and unsupported species held back, blanks only with
empty-frame evidence, bursts whole) is taken on the images nobody labeled. Each round reports
the accuracy of the suggestions on them, the share auto-accepted, the true accuracy of what was
accepted, and the ceiling: the largest share of them, most confident first, whose true accuracy
reaches the target (what perfect thresholds could accept).

Embeddings, zero-shot probabilities, empty scores and regions come from the app's own scan and
prediction (built-in regions) into a temporary catalog.

Usage: python benchmarks/active_learning.py --data DIR --truth CSV [--strategy uncertainty|random]
         [--batch 10] [--budget N] [--seeds K] [--prefix FOLDER/ ...] [--audit-share 0.2]
         [--holdout-sites] [--target 0.966]
``--truth`` has columns path and label (paths relative to DIR, or to its parent with DIR's name
first; labels ``unlabeled`` or empty are ignored; an optional site column is used by
``--holdout-sites``, which lets the queue pick only from half of the sites and measures on the
other half). The last line is one JSON object with, per round, the lists ``labels_used``,
``accuracy``, ``auto_accept_share``, ``auto_accepted_true_accuracy``, ``ceiling_share``, and
``auto_accepted_true_accuracy_pooled``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.shared_labels import LABEL_TO_TAXA, read_truth  # noqa: E402
from inference.aggregate import project_matrix  # noqa: E402
from inference.models import load_classifier  # noqa: E402
from inference.taxonomy import load_taxonomy  # noqa: E402
from labeler.core.generators import run_to_end  # noqa: E402
from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.predict_job import run_predict  # noqa: E402
from labeler.core.regions import plan_regions, region_scores  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from training.audit import DEFAULT_TARGET, audits_needed, draw_audit, stratum_of  # noqa: E402
from training.autoaccept import Labeled, Pool, decide  # noqa: E402
from training.openworld import UNFAMILIAR_GATE  # noqa: E402
from training.queue import review_order  # noqa: E402


def user_labels(truth_labels: list[str]) -> dict[str, str]:
    """The species a person would pick from the list for each truth label: the taxon when the
    label names exactly one (and no other label of the folder names the same), else the label
    itself as a species they added; empty frames are blank."""
    taxa = {t.key for t in load_taxonomy()}
    single = {}
    for lab in set(truth_labels):
        t = LABEL_TO_TAXA.get(lab.lower())
        if lab.lower() in ("empty", "blank"):
            single[lab] = "blank"
        elif t and len(t) == 1 and next(iter(t)) in taxa:
            single[lab] = next(iter(t))
    counts = defaultdict(int)
    for v in single.values():
        counts[v] += 1
    return {lab: (single[lab] if lab in single and counts[single[lab]] == 1 else lab)
            for lab in set(truth_labels)}  # fmt: skip


def embed(data: Path, model: str, paths: list[str]) -> dict:
    """The app's own catalog of the folder: embeddings, zero-shot, empty and region scores."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.sqlite") as store:
        scan_to_end(store, data)
        plan = plan_regions(store, "builtin")
        report = run_to_end(run_predict(store, str(data), load_classifier(model), regions=plan))
        model_id = store.model_id(report.model_version)
        ids_by_path = store.image_ids_by_path()
        ids, emb = store.embeddings(model_id)
        row_of = {int(i): r for r, i in enumerate(ids)}
        probs = store.stored_probs(model_id)
        empty = dict(store.query(
            "SELECT image_id, empty_score FROM image_predictions WHERE model_id=?", (model_id,)))  # fmt: skip
        region = region_scores(store, plan)
        bursts = store.burst_of_images()
        card_labels = store.active_model()["card"]["labels"]
    kept = [p for p in paths if p in ids_by_path and ids_by_path[p] in row_of]
    image = [ids_by_path[p] for p in kept]
    return {
        "paths": kept,
        "x": np.stack([emb[row_of[i]] for i in image]),
        "zs": np.stack([probs[i] for i in image]),
        "zs_labels": list(card_labels),
        "empty": np.array([empty.get(i) if empty.get(i) is not None else 0.5 for i in image]),
        "region": np.array([region.get(i, 0.0) for i in image]),
        "bursts": np.array([bursts.get(i) for i in image], dtype=object),
        "image": image,
    }


def ceiling(conf: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Largest share of the rows, most confident first, whose accuracy reaches ``target``."""
    if len(conf) == 0:
        return 0.0
    order = np.argsort(-conf, kind="stable")
    acc = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.nonzero(acc >= target)[0]
    return float((ok.max() + 1) / len(conf)) if len(ok) else 0.0


def simulate(
    d: dict, y: np.ndarray, sites: np.ndarray, labels: list[str], zs: np.ndarray, args, seed: int
) -> dict:
    n = len(y)
    rng = np.random.default_rng(seed)
    groups = np.array(
        [b if b is not None else f"single-{i}" for i, b in enumerate(d["bursts"])], dtype=object
    )
    queue_ok = np.ones(n, bool)
    measure = np.ones(n, bool)
    if args.holdout_sites:
        uniq = sorted(set(sites.tolist()))
        picked = set(
            np.random.default_rng(1000 + seed).permutation(uniq)[: len(uniq) // 2].tolist()
        )
        queue_ok = np.array([s in picked for s in sites])
        measure = ~queue_ok
    labeled = np.zeros(n, bool)
    audit = np.zeros(n, bool)
    inclusion = np.ones(n)
    rows = {k: [] for k in ("labels_used", "accuracy", "auto_accept_share", "auto_accepted_true_accuracy",
                            "ceiling_share", "audits", "certified_species", "retrain_seconds")}  # fmt: skip
    pooled_right = pooled_n = 0
    wrong_unlabeled_species = 0
    seen_species: set[str] = set()
    probs = zs.copy()
    unf = np.ones(n, np.float32)
    budget = min(args.budget or n, n)
    while labeled.sum() < budget:
        pool = np.nonzero(~labeled)[0]
        n_audit = sum(1 for k in range(args.batch) if rng.random() < args.audit_share)
        n_queue = args.batch - n_audit
        picks: list[int] = []
        candidates = pool[queue_ok[pool]]
        if len(candidates) and n_queue:
            if args.strategy == "random" or not labeled.any():
                picks += list(rng.permutation(candidates)[:n_queue])
            else:
                unfamiliar = candidates[unf[candidates] > UNFAMILIAR_GATE]
                first = list(unfamiliar[np.argsort(-unf[unfamiliar])][:n_queue])
                rest = np.array([c for c in candidates if c not in set(first)])
                if len(rest) and len(first) < n_queue:
                    order = review_order(probs[rest], [groups[i] for i in rest], strategy="margin",
                                         k=n_queue - len(first), embeddings=d["x"][rest])  # fmt: skip
                    first += list(rest[order])
                picks += first
        for _ in range(n_audit):
            free = np.array([i for i in pool if i not in set(picks)])
            if not len(free):
                break
            top = probs[free].argmax(axis=1)
            strata = np.array([stratum_of(labels[t], float(probs[free][r, t])) for r, t in enumerate(top)],
                              dtype=object)  # fmt: skip
            drawn = draw_audit(strata, rng)
            i = int(free[drawn.index])
            picks.append(i)
            audit[i] = True
            inclusion[i] = drawn.inclusion
        if not picks:
            break
        labeled[picks] = True
        seen_species |= set(y[picks].tolist())
        lab = np.nonzero(labeled)[0]
        rest = np.nonzero(~labeled & measure)[0]
        if len(set(y[lab].tolist())) < 2 or len(rest) == 0:
            continue
        t = time.perf_counter()
        labeled_set = Labeled(
            d["x"][lab], y[lab].astype(object), groups[lab], audit[lab], inclusion[lab], zs[lab]
        )
        burst_labels: dict[object, set[str]] = defaultdict(set)
        for i in lab:
            if d["bursts"][i] is not None:
                burst_labels[d["bursts"][i]].add(str(y[i]))
        pool_all = np.nonzero(~labeled)[0]
        decision = decide(labeled_set, Pool(d["x"][pool_all], zs[pool_all], d["empty"][pool_all], d["region"][pool_all],
                                            d["bursts"][pool_all]), labels, burst_labels=burst_labels, target=args.target)  # fmt: skip
        rows["retrain_seconds"].append(time.perf_counter() - t)
        probs = np.zeros((n, len(labels)), np.float32)
        probs[pool_all] = decision.probs
        unf = np.zeros(n, np.float32)
        unf[pool_all] = decision.unfamiliar
        pred = np.array(labels, dtype=object)[probs.argmax(axis=1)]
        conf = probs.max(axis=1)
        correct = pred == y
        pos = {int(i): r for r, i in enumerate(pool_all)}
        accepted = [int(pool_all[r]) for r in decision.accepted if measure[pool_all[r]]]
        right = int(sum(correct[i] for i in accepted))
        pooled_right += right
        pooled_n += len(accepted)
        wrong_unlabeled_species += sum(1 for i in accepted if y[i] not in seen_species)
        del pos
        rows["labels_used"].append(int(labeled.sum()))
        rows["accuracy"].append(round(float(correct[rest].mean()), 4))
        rows["auto_accept_share"].append(round(len(accepted) / len(rest), 4))
        rows["auto_accepted_true_accuracy"].append(
            round(right / len(accepted), 4) if accepted else None
        )
        rows["ceiling_share"].append(round(ceiling(conf[rest], correct[rest], args.target), 4))
        rows["audits"].append(int(audit.sum()))
        rows["certified_species"].append(
            sorted(k for k, c in decision.certificates.items() if c.certified)
        )
    rows["retrain_seconds"] = (
        round(float(np.mean(rows["retrain_seconds"])), 3) if rows["retrain_seconds"] else None
    )
    rows["pooled"] = (pooled_right, pooled_n)
    rows["accepted_as_another_species_never_labeled"] = wrong_unlabeled_species
    return rows


def _mean(values):
    vals = [v for v in values if v is not None]
    return round(float(np.mean(vals)), 4) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--strategy", choices=["uncertainty", "random"], default="uncertainty")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--budget", type=int, default=None, help="stop after this many labels")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument(
        "--prefix", action="append", default=[], help="only paths starting with this (repeatable)"
    )
    ap.add_argument("--audit-share", type=float, default=0.2)
    ap.add_argument("--holdout-sites", action="store_true")
    ap.add_argument("--target", type=float, default=DEFAULT_TARGET)
    ap.add_argument("--model", default="lite0")
    args = ap.parse_args()
    truth = read_truth(
        args.truth if args.truth.exists() else args.data / args.truth, args.data, args.prefix
    )
    d = embed(args.data, args.model, sorted(truth))
    mapping = user_labels([truth[p][0] for p in d["paths"]])
    y = np.array([mapping[truth[p][0]] for p in d["paths"]], dtype=object)
    sites = np.array([truth[p][1] or p.rsplit("/", 1)[0] for p in d["paths"]], dtype=object)
    labels = list(dict.fromkeys(list(d["zs_labels"]) + sorted(set(y.tolist()))))
    zs = d["zs"] @ project_matrix(d["zs_labels"], labels)
    runs = [simulate(d, y, sites, labels, zs, args, seed) for seed in range(args.seeds)]
    k = min(len(r["labels_used"]) for r in runs)
    out = {"strategy": args.strategy, "images": len(y), "classes": {c: int((y == c).sum()) for c in sorted(set(y.tolist()))},
           "batch": args.batch, "audit_share": args.audit_share, "target": args.target, "seeds": args.seeds,
           "holdout_sites": args.holdout_sites, "audits_needed_per_species": audits_needed(args.target)}  # fmt: skip
    out["labels_used"] = runs[0]["labels_used"][:k]
    for key in ("accuracy", "auto_accept_share", "ceiling_share"):
        out[key] = [_mean([r[key][i] for r in runs]) for i in range(k)]
    out["auto_accepted_true_accuracy"] = [
        _mean([r["auto_accepted_true_accuracy"][i] for r in runs]) for i in range(k)
    ]
    out["auto_accepted_true_accuracy_min_round"] = min(
        (v for r in runs for v in r["auto_accepted_true_accuracy"] if v is not None), default=None)  # fmt: skip
    right = sum(r["pooled"][0] for r in runs)
    total = sum(r["pooled"][1] for r in runs)
    out["auto_accepted_images_pooled"] = total
    out["auto_accepted_true_accuracy_pooled"] = round(right / total, 4) if total else None
    out["accepted_as_another_species_never_labeled"] = sum(
        r["accepted_as_another_species_never_labeled"] for r in runs
    )
    out["audits"] = runs[0]["audits"][:k]
    out["certified_species"] = runs[0]["certified_species"][:k]
    out["retrain_seconds"] = _mean([r["retrain_seconds"] for r in runs])
    tenth = next((i for i, u in enumerate(out["labels_used"]) if u >= 0.1 * len(y)), None)
    if tenth is not None:
        out.update({"labels_at_10pct": out["labels_used"][tenth], "accuracy_at_10pct": out["accuracy"][tenth],
                    "auto_accept_share_at_10pct": out["auto_accept_share"][tenth],
                    "ceiling_share_at_10pct": out["ceiling_share"][tenth]})  # fmt: skip
    print(
        f"{len(y)} images, classes {out['classes']}; {args.strategy}, batch {args.batch}, audits {args.audit_share}"
    )
    print(
        f"{'labels':>6} {'audits':>6} {'acc(rest)':>9} {'accepted':>8} {'true acc':>8} {'ceiling':>7}"
    )
    for i in range(k):
        ta = out["auto_accepted_true_accuracy"][i]
        print(f"{out['labels_used'][i]:6d} {out['audits'][i]:6d} {out['accuracy'][i]:9.3f} "
              f"{out['auto_accept_share'][i]:8.3f} {'-' if ta is None else f'{ta:.3f}':>8} {out['ceiling_share'][i]:7.3f}")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
