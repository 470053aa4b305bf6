"""Background job functions for the window (no Qt): each opens its own read-only snapshot.

They run in worker threads. They never write: what they produce goes to the catalog writer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

from inference.pipeline import PredictedBatch, PredictProgress, predict_batches
from labeler.core.catalog_view import CatalogSnapshot, load_snapshot
from labeler.core.generators import relay
from labeler.core.predict_job import empty_scores, plan, rows_for
from labeler.core.safepath import image_path
from labeler.core.scan import ScanBatch, ScanProgress, WalkResult, iter_scan
from labeler.core.store import Store


def snapshot_job(
    db_path: str, model_id: int | None, *, should_stop: Callable[[], bool]
) -> CatalogSnapshot:
    """Read the grid's snapshot through a private read-only connection."""
    with Store(db_path, readonly=True) as store:
        return load_snapshot(store, model_id)


def scan_job(
    db_path: str, root: str, *, should_stop: Callable[[], bool]
) -> Generator[ScanBatch | ScanProgress, None, WalkResult]:
    """Walk the card; batches go to the writer."""
    with Store(db_path, readonly=True) as store:
        known = store.file_index()
    return (yield from iter_scan(root, known, should_stop=should_stop))


def predict_job(
    db_path: str,
    root: str,
    model: str,
    model_id: int,
    labels: list[str],
    *,
    should_stop: Callable[[], bool],
    batch_size: int = 16,
) -> Generator[tuple[str, object], None, dict]:
    """Predict unpredicted images; yields ("rows", rows), ("progress", p), ("device", name)."""
    from inference.export import export_in_subprocess
    from inference.models import is_cached, load_classifier

    if not is_cached(model):
        yield ("status", "preparing the model (first use on this computer)…")
        export_in_subprocess(model)
    classifier = load_classifier(model)
    yield ("device", classifier.device)
    with Store(db_path, readonly=True) as store:
        items = plan(store, root, model_id)
    gen = predict_batches(items, classifier, batch_size=batch_size, should_stop=should_stop)

    def tag(event):
        if isinstance(event, PredictedBatch):
            return ("rows", rows_for(event, classifier.card, labels))
        if isinstance(event, PredictProgress):
            return ("progress", event)
        return None

    summary = yield from relay(gen, tag)
    return {"predicted": summary.predicted, "failed": summary.failed, "cancelled": summary.cancelled,
            "seconds": summary.seconds, "device": summary.device}  # fmt: skip


def empty_score_job(
    db_path: str, model_id: int, *, should_stop: Callable[[], bool]
) -> dict[int, float]:
    """Empty-frame scores of every predicted image (written by the caller)."""
    with Store(db_path, readonly=True) as store:
        return empty_scores(store, model_id)


def absolute(root: str, rel: str) -> str:
    """Path of a catalogued file under ``root`` ("" when the catalog path is unsafe)."""
    try:
        return image_path(root, rel)
    except ValueError:
        return ""


def head_job(db_path: str, imbalance: str, *, should_stop: Callable[[], bool]) -> dict:
    """Retrain the head from a read-only snapshot; predictions for all images when it is kept."""
    from labeler.core.learning import head_predictions, retrain_head
    from labeler.core.species import project_labels
    from training.metrics import evaluate

    with Store(db_path, readonly=True) as store:
        outcome = retrain_head(store, imbalance=imbalance)
        rows = None
        if outcome.accepted and outcome.head is not None and not should_stop():
            rows = head_predictions(store, outcome.head, outcome.backbone_id, project_labels(store))
    evaluation = None
    if outcome.oof is not None and len(outcome.truth):
        evaluation = evaluate(outcome.oof, outcome.head.classes, outcome.truth)
    return {"outcome": outcome, "rows": rows, "evaluation": evaluation}


def review_job(db_path: str, strategy: str, *, should_stop: Callable[[], bool]):
    """Unlabeled images in review order, with the audits drawn for it (to be recorded)."""
    from labeler.core.audits import plan_review

    with Store(db_path, readonly=True) as store:
        return plan_review(store, strategy=strategy)


def auto_accept_job(db_path: str, target: float, *, should_stop: Callable[[], bool]):
    """What auto-accept would label at ``target`` accuracy (decisions, summary)."""
    from labeler.core.audits import auto_accept_candidates

    with Store(db_path, readonly=True) as store:
        return auto_accept_candidates(store, target=target)


def fine_tune_job(
    db_path: str, root: str, device: str, epochs: int, *, should_stop: Callable[[], bool]
):
    """Plan from a read-only snapshot, then fine-tune; yields progress, returns (plan, result)."""
    from labeler.core.finetune_job import plan_fine_tune
    from training.finetune_process import fine_tune_in_process

    with Store(db_path, readonly=True) as store:
        plan = plan_fine_tune(store, root)
    result = yield from fine_tune_in_process(
        train=plan.train, val=plan.val, base=plan.base, out_dir=str(plan.out_dir), version=plan.version,
        init_head=plan.init_head, epochs=epochs, device=device, should_stop=should_stop,
    )  # fmt: skip
    return plan, result


def apply_head_job(db_path: str, *, should_stop: Callable[[], bool]) -> list:
    """The active head's predictions for every embedded image (none when no head is active)."""
    from labeler.core.learning import current_head, head_predictions
    from labeler.core.species import project_labels

    with Store(db_path, readonly=True) as store:
        found = current_head(store)
        if found is None:
            return []
        model, head = found
        backbone = next(
            m for m in store.models() if m["version"] == model["card"].get("parent_version")
        )
        return head_predictions(store, head, backbone["id"], project_labels(store))


def export_job(
    db_path: str, kind: str, out: str, model_id: int | None, *, should_stop: Callable[[], bool]
):
    """Run an export from a read-only snapshot; yields rows written, returns its report."""
    from labeler.core.exchange.camtrapdp import export_camtrapdp
    from labeler.core.exchange.coco import export_coco
    from labeler.core.exchange.csv_io import export_csv, export_suggestions_csv
    from labeler.core.exchange.megadetector import export_megadetector

    with Store(db_path, readonly=True) as store:
        if kind == "csv":
            gen = export_csv(store, out)
        elif kind == "suggestions":
            gen = export_suggestions_csv(store, out, model_id)
        elif kind == "camtrapdp":
            gen = export_camtrapdp(store, out)
        elif kind == "megadetector":
            gen = export_megadetector(store, out, model_id)
        elif kind == "coco":
            gen = export_coco(store, out)
        elif kind == "timelapse":
            from labeler.core.exchange.timelapse import export_timelapse

            gen = export_timelapse(store, out)
        else:
            raise ValueError(f"unknown export {kind!r}")
        return (yield from gen)


def burst_view_job(db_path: str, model_id: int, *, should_stop: Callable[[], bool]) -> dict:
    """Top-k of every image averaged over its burst (Norouzzadeh et al. S.3)."""
    from labeler.core.predict_job import suggestion_view

    with Store(db_path, readonly=True) as store:
        return suggestion_view(store, [model_id], bursts=True)
