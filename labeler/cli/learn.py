"""``labeler train`` and ``labeler evaluate``: learn from confirmed labels, measure on a truth file."""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

from labeler.cli.common import add_common, emit, open_store, verb


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="retrain the head on confirmed labels (--full: fine-tune the backbone)"
    )
    add_common(p)
    p.add_argument("--full", action="store_true", help="also fine-tune the backbone")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--imbalance", choices=["balanced", "oversample", "none"], default="balanced")
    e = sub.add_parser("evaluate", help="score the current model against a truth file")
    add_common(e)
    e.add_argument("--truth", required=True, help="CSV with a relative path and a species per row")
    e.add_argument("--target", type=float, default=0.966, help="accuracy for the coverage figure")


def _ensure_predictions(store, folder: Path) -> None:
    from inference.models import load_classifier
    from labeler.core.ingest import scan_to_end
    from labeler.core.predict_job import run_predict

    scan_to_end(store, folder)
    if store.active_model() is None:
        gen = run_predict(store, str(folder), load_classifier("lite0"))
        for _ in gen:
            pass


@verb("train")
def cmd_train(args: argparse.Namespace) -> int:
    """Retrain the head (and optionally fine-tune the backbone)."""
    from labeler.core.learning import install_head, retrain_head

    with open_store(args) as store:
        _ensure_predictions(store, args.folder)
        outcome = retrain_head(store, imbalance=args.imbalance)
        if outcome.accepted and outcome.head is not None:
            install_head(store, outcome)
        data = {"head": outcome.summary(), "active_model": store.active_model()["version"]}
        if args.full:
            from labeler.core.finetune_job import run_full_fine_tune

            data["fine_tune"] = run_full_fine_tune(store, args.folder, device=args.device, epochs=args.epochs,
                                                   progress=None if args.json else _print_progress)  # fmt: skip
            data["active_model"] = store.active_model()["version"]
    h = data["head"]
    lines = [
        f"head on {h['labels']} confirmed labels, classes {', '.join(h['classes']) or '-'}",
        f"cross-validated accuracy {h['cv_accuracy']}; {'kept' if h['accepted'] else 'not kept'}: {h['reason']}",
        f"retrain took {h['seconds']} s; active model {data['active_model']}",
    ]
    if "fine_tune" in data:
        f = data["fine_tune"]
        lines.append(
            f"fine-tune on {f.get('device')}: validation {f.get('val_accuracy')} vs head-only "
            f"{f.get('head_only_val_accuracy')} -> {'swapped in' if f.get('swapped_in') else 'not swapped in'}"
        )
        if f.get("error"):
            lines.append(f"fine-tune: {f['error']}")
    emit(args, data, "\n".join(lines))
    return 0


def _print_progress(event) -> None:
    if event.phase == "validate":
        print(f"epoch {event.epoch}/{event.epochs} ({event.unfrozen}): loss {event.loss:.3f}, "
              f"validation accuracy {event.val_accuracy:.3f}", file=sys.stderr)  # fmt: skip


def read_truth(path: str) -> list[tuple[str, str]]:
    """(relative path, species) rows of a truth CSV (columns path and species/label, or the first two)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "path" in header:
        pi = header.index("path")
        si = next(
            (header.index(k) for k in ("species", "label", "scientific_name") if k in header), 1
        )
        body = rows[1:]
    else:
        pi, si, body = 0, 1, rows
    return [(r[pi].strip().replace("\\", "/"), r[si].strip()) for r in body if len(r) > max(pi, si)]


@verb("evaluate")
def cmd_evaluate(args: argparse.Namespace) -> int:
    """Compare the current model's suggestions with a truth file (never on training labels)."""
    from labeler.core.audits import describe_audited, plan_auto_accept
    from labeler.core.learning import evaluation_probabilities
    from training.metrics import evaluate

    truth = read_truth(args.truth)
    with open_store(args) as store:
        _ensure_predictions(store, args.folder)
        ids = {p: i for i, p in store.image_paths().items()}
        keys = _species_resolver(store)
        wanted = [(ids[p], keys(s)) for p, s in truth if p in ids]
        unmatched = [p for p, _ in truth if p not in ids]
        labels, probs, kept = evaluation_probabilities(store, [i for i, _ in wanted])
        answer = dict(wanted)
        ev = evaluate(probs, labels, [answer[i] for i in kept], target=args.target)
        version = store.active_model()["version"] if store.active_model() else None
        audited = plan_auto_accept(store, args.target).summary
    data = ev.to_json()
    data.update({"model_version": version, "unmatched": unmatched, "coverage": ev.coverage[::10]})
    data["audited"] = {k: audited.get(k) for k in (
        "accepted", "unlabeled", "share", "target", "confidence", "per_species", "expected_errors",
        "audits_answered", "audits_needed_per_species", "certificates", "held_back")}  # fmt: skip
    lines = [
        f"{ev.n} images scored with {version}; {len(unmatched)} truth rows match no image",
        f"top-1 {ev.top1:.3f}  top-5 {ev.top5:.3f}  coverage at {args.target:.1%} accuracy: {ev.coverage_at_target:.1%}",
        f"{'species':28} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>5}",
    ]
    for c in sorted(ev.per_class, key=lambda c: -c.support):
        if c.support:
            lines.append(
                f"{c.label[:28]:28} {c.precision:9.3f} {c.recall:7.3f} {c.f1:6.3f} {c.support:5d}"
            )
    lines.append("audited estimate (what auto-accept would do now):")
    lines += ["  " + line for line in describe_audited(audited).splitlines()]
    emit(args, data, "\n".join(lines))
    return 0


def _species_resolver(store):
    species = store.species()
    by = {}
    for s in species:
        by[s.key.casefold()] = s.key
        by[s.common_name.casefold()] = s.key
        if s.scientific_name:
            by[s.scientific_name.casefold()] = s.key
    return lambda text: by.get(text.strip().casefold(), text.strip())


__all__ = ["math", "read_truth"]
