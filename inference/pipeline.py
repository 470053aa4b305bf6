"""The prediction pipeline: decode in a thread pool while the model runs batches.

``predict_batches`` is a plain generator (no Qt, no SQL): it yields :class:`PredictedBatch`
and :class:`PredictProgress` events and returns a :class:`PredictSummary`.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from inference.backends import Classifier
from inference.preprocess import ImageLoadError, load_rgb

PROGRESS_EVERY_S = 0.5


@dataclass(frozen=True)
class PredictItem:
    """One image to predict: the caller's key and the file to read."""

    key: int
    path: str


@dataclass
class PredictedBatch:
    """Results for a batch: rows align with ``keys``; failures are per image."""

    keys: list[int]
    probs: np.ndarray
    embeddings: np.ndarray
    thumbs: np.ndarray
    failures: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PredictProgress:
    """Throttled progress."""

    done: int
    total: int
    failed: int
    elapsed_s: float


@dataclass(frozen=True)
class PredictSummary:
    """How a prediction run ended."""

    images: int
    predicted: int
    failed: int
    seconds: float
    device: str
    cancelled: bool


def _decode(item: PredictItem, size: int):
    try:
        rgb, thumb = load_rgb(item.path, size)
        return item.key, rgb, thumb, None
    except ImageLoadError as exc:
        return item.key, None, None, str(exc)
    except Exception as exc:  # one bad file must never stop a batch
        return item.key, None, None, f"{type(exc).__name__}: {exc}"[:300]


def decode_threads() -> int:
    """Decoder threads: one per core, at least two so decoding overlaps the model."""
    return max(2, os.cpu_count() or 2)


def predict_batches(
    items: Sequence[PredictItem],
    classifier: Classifier,
    *,
    batch_size: int = 32,
    threads: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[PredictedBatch | PredictProgress, None, PredictSummary]:
    """Predict ``items`` in order, in batches; failures are reported per image and skipped."""
    size = classifier.card.input_size
    t0 = time.perf_counter()
    total = len(items)
    done = failed = 0
    last = 0.0
    cancelled = False
    yield PredictProgress(0, total, 0, 0.0)
    with ThreadPoolExecutor(max_workers=threads or decode_threads()) as pool:
        queue: deque[Future] = deque()
        it = iter(items)
        ahead = batch_size * 3

        def fill() -> None:
            while len(queue) < ahead:
                nxt = next(it, None)
                if nxt is None:
                    return
                queue.append(pool.submit(_decode, nxt, size))

        fill()
        while queue:
            if should_stop():
                cancelled = True
                for f in queue:
                    f.cancel()
                break
            keys, rgbs, thumbs, failures = [], [], [], []
            while queue and len(keys) < batch_size:
                key, rgb, thumb, err = queue.popleft().result()
                fill()
                if err is not None:
                    failures.append((key, err))
                else:
                    keys.append(key)
                    rgbs.append(rgb)
                    thumbs.append(thumb)
            if keys:
                probs, emb = classifier.predict(np.stack(rgbs))
                batch = PredictedBatch(keys, probs, emb, np.stack(thumbs), failures)
            else:
                empty = np.zeros((0, 0), np.float32)
                batch = PredictedBatch([], empty, empty, np.zeros((0, 0, 0), np.uint8), failures)
            done += len(keys) + len(failures)
            failed += len(failures)
            yield batch
            now = time.perf_counter()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                yield PredictProgress(done, total, failed, now - t0)
    seconds = time.perf_counter() - t0
    yield PredictProgress(done, total, failed, seconds)
    return PredictSummary(total, done - failed, failed, seconds, classifier.device, cancelled)
