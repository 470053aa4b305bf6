"""The empty-frame score before any training: the burst's background, the model's scene mass and
the animal regions found.

A frame that does not differ from the other frames of its burst is likely blank; a model that
puts its mass on scenes, plants and objects rather than animals says the same. The learned head
of active learning replaces this score once the user has confirmed some blanks (it implements
the same :class:`EmptyScorer` protocol).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

# Logistic weights fitted on the shared labeled images (benchmarks/empty_score.py prints the
# fit, its AUC and a held-out check). z = a * logit(blank probability) + b * motion + c
# + d * region score, where the region score is the best animal region's score (0 when the
# region source found nothing); without a region source d = 0 and the first pair applies.
SINGLE_FRAME = (1.0, 0.0, 1.9, 0.0)
IN_BURST = (0.9, -22.0, 2.2, 0.0)
# In bursts the region score adds nothing to the burst motion it is made from (its fitted
# weight comes out with the wrong sign), so bursts keep their motion-only weights.
SINGLE_FRAME_REGION = (1.191, 0.0, 2.714, -5.274)
IN_BURST_REGION = IN_BURST
MOTION_PERCENTILE = 99


class EmptyScorer(Protocol):
    """Anything that gives each frame of a burst a probability of being empty."""

    def scores(
        self,
        thumbs: Sequence[np.ndarray | None],
        blank_probs: Sequence[float | None],
        region_scores: Sequence[float | None] | None = None,
    ) -> list[float]:
        """One score in [0, 1] per frame, in the order given (``region_scores``: each frame's
        best animal-region score, None where no region source looked at it)."""
        ...


def _normalise(thumb: np.ndarray) -> np.ndarray:
    t = thumb.astype(np.float32)
    return (t - t.mean()) / (t.std() + 8.0)


def burst_motion(thumbs: Sequence[np.ndarray]) -> list[float]:
    """How strongly each frame departs from its burst's median background.

    The 99th percentile of the absolute difference between the frame and the per-pixel median
    of the burst, after normalising each thumbnail (exposure changes and infrared flash do not
    count). An animal is local, so a high percentile catches it where a mean would not. Bursts
    of one frame have no background: their motion is NaN.
    """
    if len(thumbs) < 2:
        return [math.nan] * len(thumbs)
    stack = np.stack([_normalise(t) for t in thumbs])
    diff = np.abs(stack - np.median(stack, axis=0))
    return [float(np.percentile(d, MOTION_PERCENTILE)) for d in diff]


def logit(p: float) -> float:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def combine(blank_prob: float | None, motion: float, region: float | None = None) -> float:
    """Probability that a frame is empty, from the model's blank mass, the burst motion and the
    best animal region's score."""
    single = math.isnan(motion)
    if region is None:
        a, b, c, d = SINGLE_FRAME if single else IN_BURST
    else:
        a, b, c, d = SINGLE_FRAME_REGION if single else IN_BURST_REGION
    z = a * logit(0.5 if blank_prob is None else blank_prob) + c
    if not single:
        z += b * motion
    if region is not None:
        z += d * region
    return 1.0 / (1.0 + math.exp(-z))


class BurstAndSceneScorer:
    """Default scorer: the logistic mix of burst motion and the model's blank mass."""

    def scores(
        self,
        thumbs: Sequence[np.ndarray | None],
        blank_probs: Sequence[float | None],
        region_scores: Sequence[float | None] | None = None,
    ) -> list[float]:
        if any(t is None for t in thumbs):
            motion = [math.nan] * len(thumbs)
        else:
            motion = burst_motion(thumbs)  # type: ignore[arg-type]
        regions = region_scores if region_scores is not None else [None] * len(thumbs)
        return [combine(p, m, r) for p, m, r in zip(blank_probs, motion, regions, strict=True)]
