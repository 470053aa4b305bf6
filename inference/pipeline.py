"""The prediction pipeline: decode in a thread pool while the model runs batches on the whole
frame and on a crop around the animal.

``predict_batches`` is a plain generator (no Qt, no SQL): it yields :class:`PredictedBatch`
and :class:`PredictProgress` events and returns a :class:`PredictSummary`.

Each frame is seen twice by the network when it has an animal region: once whole (squashed to
the input size, so nothing at the edges is cut off) and once as a padded square crop around the
region at the full input size, which makes small animals large. The two probability vectors and
the two embeddings are averaged; a frame without a region keeps its whole-frame outputs. On the
location-held-out Snapshot Serengeti sites this average beat either view alone (benchmarks
/regions.py prints the figures).
"""

from __future__ import annotations

import functools
import os
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from inference.backends import Classifier
from inference.localize import THUMB_LONG, BuiltinLocalizer, Region, square_crop_box
from inference.preprocess import MID_LONG, ImageLoadError, MediaUnavailableError, load_frame

PROGRESS_EVERY_S = 0.5
# Region modes: no regions, the built-in localizer, or boxes given by the caller (a detector's
# or an imported results file's).
WHOLE, BUILTIN, GIVEN = "whole", "builtin", "given"
REGION_MODES = (WHOLE, BUILTIN, GIVEN)
# A crop is classified only for regions at least this confident, and only when the region is
# small enough that the crop shows the animal larger than the whole frame does (above 25 % of
# the frame a second pass changed nothing measurable on the shared sets and costs a pass).
CROP_MIN_SCORE = 0.05
CROP_MAX_AREA = 0.25


@dataclass(frozen=True)
class PredictItem:
    """One image to predict: the caller's key, the file, and its camera (frames of one camera
    share a background)."""

    key: int
    path: str
    group: object = None


@dataclass
class PredictedBatch:
    """Results for a batch: rows align with ``keys``; failures are per image.

    ``regions`` holds each image's animal regions (best first) and ``cropped`` whether its
    outputs include the crop around the first one.
    """

    keys: list[int]
    probs: np.ndarray
    embeddings: np.ndarray
    thumbs: np.ndarray
    failures: list[tuple[int, str]] = field(default_factory=list)
    regions: list[list[Region]] = field(default_factory=list)
    cropped: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class PredictProgress:
    """Throttled progress."""

    done: int
    total: int
    failed: int
    elapsed_s: float


@dataclass(frozen=True)
class PredictSummary:
    """How a prediction run ended. ``unavailable`` images could not be reached (the medium
    went away) and were left to be predicted later; ``paused`` says why the run stopped."""

    images: int
    predicted: int
    failed: int
    seconds: float
    device: str
    cancelled: bool
    unavailable: int = 0
    paused: str | None = None
    cropped: int = 0


def _decode(item: PredictItem, size: int, regions: bool):
    try:
        # Without regions nothing is cropped: decode only as much as the whole frame needs.
        frame = load_frame(item.path, size, MID_LONG if regions else size,
                           THUMB_LONG if regions else 0)  # fmt: skip
        return item, (frame, frame.small), None
    except ImageLoadError as exc:
        return item, None, exc
    except Exception as exc:  # one bad file must never stop a batch
        return item, None, ImageLoadError(f"{type(exc).__name__}: {exc}"[:300])


def decode_threads() -> int:
    """Decoder threads: one per core, at least two so decoding overlaps the model."""
    return max(2, os.cpu_count() or 2)


@dataclass
class DecodedBatch:
    """One batch of decoded items (item, what the decoder made of it) and failures (key, why)."""

    ok: list[tuple[PredictItem, object]]
    failures: list[tuple[object, str]]


def decoded_batches(
    items: Sequence[PredictItem],
    decode: Callable[[PredictItem], tuple[PredictItem, object, Exception | None]],
    *,
    batch_size: int,
    threads: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    retry_wait_s: float = 0.5,
) -> Generator[DecodedBatch, None, tuple[bool, str | None]]:
    """``items`` decoded ahead in a thread pool, in order, in batches; returns (cancelled,
    paused).

    A file whose media is unavailable is tried once more after ``retry_wait_s`` (a transient
    read error is not a missing card); still unavailable, the run pauses there and the rest is
    left for the next run.
    """
    cancelled, paused = False, None
    with ThreadPoolExecutor(max_workers=threads or decode_threads()) as pool:
        queue: deque[Future] = deque()
        it = iter(items)

        def fill() -> None:
            while len(queue) < batch_size * 3:
                nxt = next(it, None)
                if nxt is None:
                    return
                queue.append(pool.submit(decode, nxt))

        try:
            fill()
            while queue and paused is None:
                if should_stop():
                    cancelled = True
                    break
                batch = DecodedBatch([], [])
                while queue and len(batch.ok) < batch_size:
                    item, payload, err = queue[0].result()
                    if isinstance(err, MediaUnavailableError):
                        time.sleep(retry_wait_s)
                        item, payload, err = decode(item)
                        if isinstance(err, MediaUnavailableError):
                            paused = f"media unavailable at {item.path}: {err}"
                            break
                    queue.popleft()
                    fill()
                    if err is not None:
                        batch.failures.append((item.key, str(err)))
                    else:
                        batch.ok.append((item, payload))
                yield batch
        finally:
            # Also when the consumer stops early: queued decodes never start.
            for f in queue:
                f.cancel()
    return cancelled, paused


def predict_batches(
    items: Sequence[PredictItem],
    classifier: Classifier,
    *,
    batch_size: int = 32,
    threads: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    regions: str = WHOLE,
    boxes: Mapping[int, Sequence[Region]] | None = None,
    retry_wait_s: float = 0.5,
) -> Generator[PredictedBatch | PredictProgress, None, PredictSummary]:
    """Predict ``items`` in order, in batches; failures are reported per image and skipped.

    ``regions`` is ``whole`` (no crops), ``builtin`` (the built-in localizer finds the animal)
    or ``given`` (``boxes`` maps an item's key to its regions, best first). When a file cannot
    be reached (its folder is gone or reads fail twice), the run stops there: that image and
    the rest stay unpredicted, and the summary says why.
    """
    mode = regions
    if mode not in REGION_MODES:
        raise ValueError(f"unknown region mode {mode!r}; use one of {', '.join(REGION_MODES)}")
    size = classifier.card.input_size
    localizer = BuiltinLocalizer() if regions == BUILTIN else None
    t0 = time.perf_counter()
    total = len(items)
    done = failed = cropped_total = 0
    last = 0.0
    cancelled = False
    paused: str | None = None
    yield PredictProgress(0, total, 0, 0.0)
    batches = decoded_batches(items, functools.partial(_decode, size=size, regions=mode != WHOLE),
                              batch_size=batch_size, threads=threads, should_stop=should_stop,
                              retry_wait_s=retry_wait_s)  # fmt: skip
    try:
        while True:
            try:
                got = next(batches)
            except StopIteration as stop:
                cancelled, paused = stop.value
                break
            decoded = [(item, frame, small) for item, (frame, small) in got.ok]
            batch = _predict(decoded, got.failures, classifier, size, localizer, mode, boxes)
            cropped_total += sum(batch.cropped)
            done += len(batch.keys) + len(got.failures)
            failed += len(got.failures)
            yield batch
            now = time.perf_counter()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                yield PredictProgress(done, total, failed, now - t0)
    finally:
        # Closing it stops the decoder threads now, not whenever it is collected.
        batches.close()
    seconds = time.perf_counter() - t0
    yield PredictProgress(done, total, failed, seconds)
    return PredictSummary(total, done - failed, failed, seconds, classifier.device, cancelled,
                          total - done if paused else 0, paused, cropped_total)  # fmt: skip


def _predict(decoded, failures, classifier, size, localizer, mode, boxes) -> PredictedBatch:
    """Whole-frame pass, regions, crop pass and the averaged outputs of one batch."""
    if not decoded:
        empty = np.zeros((0, 0), np.float32)
        return PredictedBatch([], empty, empty, np.zeros((0, 0, 0), np.uint8), failures)
    keys = [item.key for item, _f, _s in decoded]
    probs, emb, attention = classifier.predict_maps(np.stack([f.whole for _i, f, _s in decoded]))
    if mode == BUILTIN:
        found = localizer.localize(
            [
                (item.group, small, None if attention is None else attention[r])
                for r, (item, _f, small) in enumerate(decoded)
            ]  # fmt: skip
        )
    elif mode == GIVEN:
        found = [list((boxes or {}).get(item.key, ())) for item, _f, _s in decoded]
    else:
        found = [[] for _ in decoded]
    rows, crops = [], []
    for r, ((_item, frame, _s), regs) in enumerate(zip(decoded, found, strict=True)):
        best = next(
            (g for g in regs if g.score >= CROP_MIN_SCORE and g.area <= CROP_MAX_AREA), None
        )
        if best is not None:
            h, w = frame.mid.shape[:2]
            rows.append(r)
            crops.append(frame.crop(square_crop_box(best, w, h), size))
    cropped = [False] * len(decoded)
    if crops:
        cp, ce, _ca = classifier.predict_maps(np.stack(crops))
        probs = probs.copy()
        emb = emb.copy()
        probs[rows] = (probs[rows] + cp) / 2
        emb[rows] = (emb[rows] + ce) / 2
        for r in rows:
            cropped[r] = True
    thumbs = np.stack([f.thumb for _i, f, _s in decoded])
    return PredictedBatch(keys, probs, emb, thumbs, failures, found, cropped)
