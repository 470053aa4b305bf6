"""Running a user's object detector (an ONNX export in the YOLO style of MegaDetector v5/v6).

The file is untrusted: it is vetted like any model (external data must stay in its folder),
its input and output shapes are checked before the first image, and a run yields per-image
failures instead of stopping. Images are letterboxed to the detector's input size, boxes are
filtered by confidence and non-maximum suppression and mapped back to normalised
``[x, y, w, h]`` with a top-left origin (the MegaDetector convention).

Two output layouts are understood: ``N x boxes x (5 + classes)`` with an objectness column
(YOLOv5, MegaDetector v5) and ``N x (4 + classes) x boxes`` without one (YOLOv8/v9,
MegaDetector v6).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.pipeline import PredictItem, PredictProgress, decoded_batches
from inference.preprocess import (
    ImageLoadError,
    check_regular_file,
    load_error,
    open_oriented,
)
from inference.weights import WeightsError, sha256_file

DEFAULT_CATEGORIES = {1: "animal", 2: "person", 3: "vehicle"}
STORE_MIN_CONF = 0.05
NMS_IOU = 0.45
MAX_BOXES = 50
PAD_VALUE = 114


class DetectorError(WeightsError):
    """A detector file cannot be used: malformed, unsafe, or with outputs we cannot read."""


@dataclass(frozen=True)
class Box:
    """One detection: category name, confidence, normalised (x, y, w, h) from the top left."""

    category: str
    conf: float
    bbox: tuple[float, float, float, float]


@dataclass
class DetectedBatch:
    """Boxes of a batch of images (aligned with ``keys``) and per-image failures."""

    keys: list[int]
    boxes: list[list[Box]]
    failures: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DetectSummary:
    """How a detector run ended."""

    images: int
    detected: int
    failed: int
    boxes: int
    seconds: float
    device: str
    cancelled: bool
    unavailable: int = 0
    paused: str | None = None


def letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, int, int]:
    """Fit ``rgb`` into a ``size`` square keeping its aspect (grey padding); returns the square,
    the scale and the left/top padding."""
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = min(size / w, size / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = Image.fromarray(rgb).resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = np.full((size, size, 3), PAD_VALUE, np.uint8)
    left, top = (size - nw) // 2, (size - nh) // 2
    out[top : top + nh, left : left + nw] = np.asarray(resized, np.uint8)
    return out, scale, left, top


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Indices kept by greedy non-maximum suppression (boxes as x1, y1, x2, y2)."""
    order = np.argsort(-scores)
    keep: list[int] = []
    area = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    while len(order) and len(keep) < MAX_BOXES:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = (xx2 - xx1).clip(0) * (yy2 - yy1).clip(0)
        overlap = inter / (area[i] + area[rest] - inter + 1e-9)
        order = rest[overlap <= iou]
    return keep


class Detector:
    """An ONNX object detector run with onnxruntime (CUDA when present and asked for)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        device: str = "auto",
        categories: dict[int, str] | None = None,
        min_conf: float = STORE_MIN_CONF,
    ):
        import onnxruntime as ort

        from inference.backends import cpu_threads
        from inference.export import vet_onnx

        p = Path(path)
        if not p.is_file():
            raise DetectorError(f"no detector file at {p}")
        vet_onnx(p)
        providers = ["CPUExecutionProvider"]
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        elif device == "cuda":
            raise DetectorError("CUDA was asked for but onnxruntime has no CUDA provider here")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cpu_threads()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(p), opts, providers=providers)
        except Exception as exc:
            raise DetectorError(
                f"{p.name} cannot be loaded as a detector: {str(exc).splitlines()[0][:200]}"
            ) from exc
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise DetectorError(f"{p.name}: a detector takes one N x 3 x H x W image input")
        shape = inputs[0].shape
        if shape[1] not in (3, "3") and isinstance(shape[1], int):
            raise DetectorError(f"{p.name}: the input has {shape[1]} channels, not 3")
        sides = [s for s in shape[2:] if isinstance(s, int)]
        self.size = sides[0] if sides else 640
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        self.input = inputs[0].name
        self.path = str(p)
        self.name = p.name
        self.sha256 = sha256_file(p)
        self.categories = dict(categories or DEFAULT_CATEGORIES)
        self.min_conf = min_conf
        used = self.session.get_providers()[0]
        self.device = (
            "cuda (onnxruntime)" if used == "CUDAExecutionProvider" else "cpu (onnxruntime)"
        )
        if not outputs:
            raise DetectorError(f"{p.name} has no outputs")
        # One dry run on a grey frame: a wrong output shape is found now, not on image 1.
        self._layout(self._run(np.full((1, self.size, self.size, 3), PAD_VALUE, np.uint8)))

    def _run(self, batch: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), np.float32) / 255.0
        try:
            out = self.session.run(None, {self.input: x})[0]
        except Exception as exc:
            raise DetectorError(
                f"{self.name} failed to run: {str(exc).splitlines()[0][:200]}"
            ) from exc
        return np.asarray(out)

    def _layout(self, out: np.ndarray) -> tuple[bool, bool, int]:
        """(transposed, has objectness, number of classes) of a raw output, or DetectorError."""
        if out.ndim != 3 or out.shape[0] < 1:
            raise DetectorError(
                f"{self.name}: output of shape {tuple(out.shape)} is not a YOLO-style "
                "N x boxes x (5 + classes) or N x (4 + classes) x boxes"
            )
        if out.shape[1] < out.shape[2]:
            classes = out.shape[1] - 4
            transposed, objectness = True, False
        else:
            classes = out.shape[2] - 5
            transposed, objectness = False, True
        if classes < 1 or classes > 1000:
            raise DetectorError(f"{self.name}: output of shape {tuple(out.shape)} has no classes")
        return transposed, objectness, classes

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Box]]:
        """Boxes of each RGB frame (uint8, any size)."""
        boxed = [letterbox(f, self.size) for f in frames]
        step = self.fixed_batch or len(boxed) or 1
        results: list[list[Box]] = []
        for start in range(0, len(boxed), step):
            chunk = boxed[start : start + step]
            raw = self._run(np.stack([b[0] for b in chunk]))
            transposed, objectness, _classes = self._layout(raw)
            for k, (_im, scale, left, top) in enumerate(chunk):
                h, w = frames[start + k].shape[:2]
                results.append(self._decode(raw[k], transposed, objectness, scale, left, top, w, h))
        return results

    def _decode(self, rows, transposed, objectness, scale, left, top, w, h) -> list[Box]:
        rows = np.asarray(rows, np.float32)
        if transposed:
            rows = rows.T
        if not np.isfinite(rows).all():
            rows = np.nan_to_num(rows, nan=0.0, posinf=0.0, neginf=0.0)
        cls = rows[:, 5:] * rows[:, 4:5] if objectness else rows[:, 4:]
        best = cls.argmax(axis=1)
        conf = cls[np.arange(len(cls)), best]
        keep = conf >= self.min_conf
        if not keep.any():
            return []
        xywh, conf, best = rows[keep, :4], conf[keep], best[keep]
        x1 = (xywh[:, 0] - xywh[:, 2] / 2 - left) / scale
        y1 = (xywh[:, 1] - xywh[:, 3] / 2 - top) / scale
        x2 = (xywh[:, 0] + xywh[:, 2] / 2 - left) / scale
        y2 = (xywh[:, 1] + xywh[:, 3] / 2 - top) / scale
        corners = np.stack([x1.clip(0, w), y1.clip(0, h), x2.clip(0, w), y2.clip(0, h)], 1)
        out = []
        for c in sorted(set(best.tolist())):
            idx = np.nonzero(best == c)[0]
            for i in (idx[j] for j in nms(corners[idx], conf[idx])):
                bx1, by1, bx2, by2 = corners[i]
                if bx2 - bx1 <= 0 or by2 - by1 <= 0:
                    continue
                box = (
                    float(bx1 / w),
                    float(by1 / h),
                    float((bx2 - bx1) / w),
                    float((by2 - by1) / h),
                )
                out.append(
                    Box(self.categories.get(int(c) + 1, str(int(c) + 1)), float(conf[i]), box)
                )
        return sorted(out, key=lambda b: -b.conf)[:MAX_BOXES]


def _read(item: PredictItem, draft: int):
    try:
        check_regular_file(item.path)
        im = open_oriented(item.path, draft)
        return item, np.asarray(im, np.uint8), None
    except ImageLoadError as exc:
        return item, None, exc
    except (OSError, SyntaxError, ValueError) as exc:
        return item, None, load_error(exc)
    except Exception as exc:  # one bad file never stops a run
        return item, None, ImageLoadError(f"{type(exc).__name__}: {exc}"[:300])


def detect_batches(
    items: Sequence[PredictItem],
    detector: Detector,
    *,
    batch_size: int = 8,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[DetectedBatch | PredictProgress, None, DetectSummary]:
    """Detect in ``items`` in order, decoding ahead in threads; stops (paused) when the card
    goes away, leaving the rest for the next run."""
    t0 = time.perf_counter()
    total, done, failed, n_boxes = len(items), 0, 0, 0
    cancelled, paused, last = False, None, 0.0
    yield PredictProgress(0, total, 0, 0.0)
    draft = detector.size * 3 // 4
    batches = decoded_batches(items, lambda item: _read(item, draft), batch_size=batch_size,
                              should_stop=should_stop)  # fmt: skip
    try:
        while True:
            try:
                got = next(batches)
            except StopIteration as stop:
                cancelled, paused = stop.value
                break
            boxes = detector.detect([rgb for _item, rgb in got.ok]) if got.ok else []
            n_boxes += sum(len(b) for b in boxes)
            done += len(got.ok) + len(got.failures)
            failed += len(got.failures)
            yield DetectedBatch([item.key for item, _r in got.ok], boxes, got.failures)
            now = time.perf_counter()
            if now - last >= 0.5:
                last = now
                yield PredictProgress(done, total, failed, now - t0)
    finally:
        # Closing it stops the decoder threads now, not whenever it is collected.
        batches.close()
    seconds = time.perf_counter() - t0
    yield PredictProgress(done, total, failed, seconds)
    return DetectSummary(total, done - failed, failed, n_boxes, seconds, detector.device, cancelled,
                         total - done if paused else 0, paused)  # fmt: skip
