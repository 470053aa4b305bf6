"""``labeler detect``: run a user's detector over the catalog and keep its boxes as regions."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass

from inference.detector import DetectedBatch, Detector, detect_batches
from inference.pipeline import PredictItem, PredictProgress
from labeler.core.generators import relay
from labeler.core.regions import DETECTOR
from labeler.core.safepath import image_path
from labeler.core.store import Detection, Store


@dataclass
class DetectReport:
    """Figures of a detector run (the ``--json`` object of ``labeler detect``)."""

    images: int
    detected: int
    failed: int
    already_done: int
    boxes: int
    seconds: float
    images_per_second: float
    device: str
    source: str
    cancelled: bool
    unavailable: int = 0
    paused: str | None = None

    def to_json(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self)


def detector_source(detector: Detector) -> str:
    """The region-source name of a detector's boxes in the catalog."""
    return f"detector:{detector.name}"


def run_detect(
    store: Store,
    root: str,
    detector: Detector,
    *,
    batch_size: int = 8,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[PredictProgress, None, DetectReport]:
    """Detect animals in every image this detector has not looked at yet (resumable)."""
    source = detector_source(detector)
    store.register_region_source(source, DETECTOR, {
        "model": detector.path, "sha256": detector.sha256, "input_size": detector.size,
        "min_conf": detector.min_conf, "categories": detector.categories,
    })  # fmt: skip
    already = len(store.region_image_ids(source))
    items = [
        PredictItem(image_id, image_path(root, rel), rel.rpartition("/")[0])
        for image_id, rel in store.undetected_images(source)
    ]
    t0 = time.perf_counter()

    def handle(event):
        if isinstance(event, DetectedBatch):
            results = {
                key: ([Detection(b.category, b.conf, b.bbox) for b in boxes], None)
                for key, boxes in zip(event.keys, event.boxes, strict=True)
            }
            results.update({key: (None, msg) for key, msg in event.failures})
            if results:
                store.write_detections(source, results)
            return None
        return event

    summary = yield from relay(
        detect_batches(items, detector, batch_size=batch_size, should_stop=should_stop), handle
    )
    seconds = time.perf_counter() - t0
    done = summary.detected + summary.failed
    return DetectReport(
        images=len(items) + already, detected=summary.detected, failed=summary.failed,
        already_done=already, boxes=summary.boxes, seconds=round(seconds, 3),
        images_per_second=round(done / seconds, 1) if seconds > 0 and done else 0.0,
        device=summary.device, source=source, cancelled=summary.cancelled,
        unavailable=summary.unavailable, paused=summary.paused,
    )  # fmt: skip
