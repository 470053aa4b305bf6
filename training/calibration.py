"""Calibrated auto-accept: per-species confidence thresholds that reach a target accuracy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_TARGET = 0.966
MIN_SUPPORT = 5


@dataclass(frozen=True)
class Threshold:
    """The lowest confidence at which a species' predictions reach the target accuracy."""

    label: str
    threshold: float
    support: int
    accuracy: float
    coverage: float


def per_class_thresholds(
    oof: np.ndarray,
    classes: Sequence[str],
    truth: Sequence[str],
    *,
    target: float = DEFAULT_TARGET,
    min_support: int = MIN_SUPPORT,
) -> dict[str, Threshold]:
    """Thresholds from out-of-fold predictions on verified labels.

    For each predicted class, predictions are sorted by confidence and the threshold is set
    where the accuracy of everything above it still reaches ``target``; classes with fewer
    than ``min_support`` verified predictions get no threshold (never auto-accepted).
    """
    classes = list(classes)
    pred = np.argmax(oof, axis=1)
    conf = oof.max(axis=1)
    truth_arr = np.asarray(truth, dtype=object)
    out: dict[str, Threshold] = {}
    for ci, c in enumerate(classes):
        mine = np.nonzero(pred == ci)[0]
        if len(mine) < min_support:
            out[c] = Threshold(c, math.inf, len(mine), float("nan"), 0.0)
            continue
        order = mine[np.argsort(-conf[mine], kind="stable")]
        correct = truth_arr[order] == c
        acc = np.cumsum(correct) / np.arange(1, len(order) + 1)
        ok = np.nonzero(acc >= target)[0]
        ok = [k for k in ok if k + 1 >= min_support]
        if not ok:
            out[c] = Threshold(c, math.inf, len(mine), float(acc[-1]), 0.0)
            continue
        k = max(ok)
        out[c] = Threshold(c, float(conf[order[k]]), len(mine), float(acc[k]), (k + 1) / len(mine))
    return out


def auto_accept(
    probs: np.ndarray, classes: Sequence[str], thresholds: dict[str, Threshold]
) -> dict[int, tuple[str, float]]:
    """Rows whose top class reaches that class's threshold: row -> (label, probability)."""
    classes = list(classes)
    pred = np.argmax(probs, axis=1)
    conf = probs.max(axis=1)
    out = {}
    for row, (ci, p) in enumerate(zip(pred, conf, strict=True)):
        t = thresholds.get(classes[ci])
        if t is not None and p >= t.threshold:
            out[row] = (classes[ci], float(p))
    return out


def missed_animals(threshold: Threshold | None, accepted_blanks: int) -> float:
    """Expected animals among auto-accepted blanks: their number times the blank error rate."""
    if threshold is None or accepted_blanks == 0 or math.isnan(threshold.accuracy):
        return 0.0
    return accepted_blanks * (1.0 - threshold.accuracy)
