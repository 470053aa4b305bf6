"""Background job functions for the window (no Qt): each opens its own read-only snapshot.

They run in worker threads. They never write: what they produce goes to the catalog writer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator

from inference.pipeline import PredictedBatch, PredictProgress, predict_batches
from labeler.core.catalog_view import CatalogSnapshot, load_snapshot
from labeler.core.predict_job import empty_scores, plan, rows_for
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
    summary = None
    gen = predict_batches(items, classifier, batch_size=batch_size, should_stop=should_stop)
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            summary = stop.value
            break
        if isinstance(event, PredictedBatch):
            yield ("rows", rows_for(event, classifier.card, labels))
        elif isinstance(event, PredictProgress):
            yield ("progress", event)
    return {"predicted": summary.predicted, "failed": summary.failed, "cancelled": summary.cancelled,
            "seconds": summary.seconds, "device": summary.device}  # fmt: skip


def empty_score_job(
    db_path: str, model_id: int, *, should_stop: Callable[[], bool]
) -> dict[int, float]:
    """Empty-frame scores of every predicted image (written by the caller)."""
    with Store(db_path, readonly=True) as store:
        return empty_scores(store, model_id)


def absolute(root: str, rel: str) -> str:
    """Absolute path of a catalogued file."""
    return os.path.join(root, *rel.split("/"))
