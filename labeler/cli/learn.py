"""``labeler train`` and ``labeler evaluate``: learn from confirmed labels, measure on a truth file."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from labeler.cli.common import add_common, emit, existing_file, fail, open_store, ranged, verb
from labeler.cli.progress import Bar
from labeler.core.applog import get_logger

log = get_logger("cli")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="retrain the head on confirmed labels (--full: fine-tune the backbone)"
    )
    add_common(p)
    p.add_argument("--full", action="store_true", help="also fine-tune the backbone")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto",
                   help="where --full fine-tunes (auto: the GPU when there is one)")  # fmt: skip
    p.add_argument("--epochs", type=ranged(int, 1, 1000, what="--epochs"), default=4,
                   help="fine-tuning epochs with --full, 1 to 1000 (default 4)")  # fmt: skip
    p.add_argument("--imbalance", choices=["balanced", "oversample", "none"], default="balanced",
                   help="how rare species are weighted (default balanced)")  # fmt: skip
    e = sub.add_parser("evaluate", help="score the current model against a truth file")
    add_common(e)
    e.add_argument("--truth", required=True, type=existing_file,
                   help="CSV with a relative path and a species per row")  # fmt: skip
    e.add_argument("--target", type=ranged(float, 0.5, 0.9999, what="--target"), default=0.966,
                   help="accuracy for the coverage figure, 0.5 to 0.9999 (default 0.966)")  # fmt: skip


def _ensure_predictions(store, folder: Path, args: argparse.Namespace) -> None:
    from labeler.cli.predict import open_model, predict_with_progress
    from labeler.cli.scan import scan_with_progress

    scan = scan_with_progress(store, folder, args)
    if scan.images == 0:
        raise fail(f"no usable images in {folder} ({scan.files} files scanned)")
    if store.active_model() is None:
        predict_with_progress(store, folder, open_model("lite0", args), args)


@verb("train")
def cmd_train(args: argparse.Namespace) -> int:
    """Retrain the head (and optionally fine-tune the backbone)."""
    from labeler.core.retrain import retrain

    with open_store(args) as store:
        _ensure_predictions(store, args.folder, args)
        outcome = retrain(store, imbalance=args.imbalance).outcome
        if outcome.head is None and not args.full:
            raise fail(f"nothing trained: {outcome.reason} ({outcome.n_labels} confirmed labels)")
        data = {"head": outcome.summary(), "active_model": store.active_model()["version"]}
        if args.full:
            from labeler.core.finetune_job import run_full_fine_tune

            with Bar(args, "fine-tune", "epochs") as bar:
                data["fine_tune"] = run_full_fine_tune(
                    store, args.folder, device=args.device, epochs=args.epochs,
                    progress=lambda event: _on_fine_tune_event(bar, event),
                )  # fmt: skip
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


def _on_fine_tune_event(bar: Bar, event) -> None:
    if getattr(event, "phase", None) == "validate":
        bar.update(event.epoch, event.epochs)
        log.info("epoch %s/%s (%s): loss %.3f, validation accuracy %.3f", event.epoch,
                 event.epochs, event.unfrozen, event.loss, event.val_accuracy)  # fmt: skip


def read_truth(path: str | Path) -> list[tuple[str, str]]:
    """(relative path, species) rows of a truth CSV (columns path and species/label, or the first two)."""
    from labeler.core.exchange.csvread import read_rows

    rows = read_rows(path)
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

    try:
        truth = read_truth(args.truth)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not truth:
        raise fail(f"nothing to evaluate: {args.truth} holds no rows of path and species")
    with open_store(args) as store:
        _ensure_predictions(store, args.folder, args)
        ids = {p: i for i, p in store.image_paths().items()}
        keys = _species_resolver(store)
        wanted = [(ids[p], keys(s)) for p, s in truth if p in ids]
        unmatched = [p for p, _ in truth if p not in ids]
        labels, probs, kept = evaluation_probabilities(store, [i for i, _ in wanted])
        answer = dict(wanted)
        if not kept:
            raise fail(f"nothing to evaluate: none of the {len(truth)} rows of {args.truth} "
                       f"matches a predicted image of {args.folder}")  # fmt: skip
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
    from labeler.core.species_match import SpeciesMatcher

    matcher = SpeciesMatcher(store.species())
    return lambda text: matcher.key(text) or text.strip()


__all__ = ["math", "read_truth"]
