"""Metrics from verified labels: top-k, per-class precision/recall/F1, confusion, coverage curves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class ClassReport:
    """Precision, recall, F1 and support of one class."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    """Everything the metrics view and ``labeler evaluate`` show."""

    n: int
    top1: float
    top5: float
    per_class: list[ClassReport]
    labels: list[str]
    confusion: list[list[int]]
    coverage: list[tuple[float, float, float]]
    coverage_at_target: float
    target: float
    coverage_by_class: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Plain JSON-ready dict."""
        d = asdict(self)
        d["per_class"] = [asdict(c) for c in self.per_class]
        return d


def coverage_curve(
    confidence: np.ndarray, correct: np.ndarray, steps: int = 101
) -> list[tuple[float, float, float]]:
    """(threshold, coverage, accuracy) for thresholds from 0 to 1 (Norouzzadeh et al. Fig. 5).

    Coverage is the share of images whose confidence reaches the threshold; accuracy is
    measured on those images (NaN when none).
    """
    out = []
    n = max(len(confidence), 1)
    for t in np.linspace(0.0, 1.0, steps):
        kept = confidence >= t
        cov = float(kept.sum()) / n
        acc = float(correct[kept].mean()) if kept.any() else float("nan")
        out.append((float(t), cov, acc))
    return out


def coverage_at(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Largest share of images that can be accepted above one threshold at ``target`` accuracy."""
    if len(confidence) == 0:
        return 0.0
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    acc = hits / np.arange(1, len(order) + 1)
    ok = np.nonzero(acc >= target)[0]
    if len(ok) == 0:
        return 0.0
    k = ok.max()
    # Only cut where the confidence changes, so that the threshold is realisable.
    while k + 1 < len(order) and confidence[order[k + 1]] == confidence[order[k]]:
        k -= 1
        if k < 0:
            return 0.0
    return float(k + 1) / len(order)


def evaluate(
    probs: np.ndarray, classes: Sequence[str], truth: Sequence[str], *, target: float = 0.966
) -> Evaluation:
    """Score probabilities (N x classes) against true labels (strings)."""
    classes = list(classes)
    labels = sorted(set(classes) | set(truth))
    index = {c: i for i, c in enumerate(labels)}
    n = len(truth)
    p = np.asarray(probs, np.float64)
    order = np.argsort(-p, axis=1)
    pred = [classes[o[0]] for o in order] if n else []
    top5 = [{classes[j] for j in o[:5]} for o in order]
    correct = np.array([a == b for a, b in zip(pred, truth, strict=True)], bool)
    conf = p.max(axis=1) if n else np.zeros(0)
    cm = np.zeros((len(labels), len(labels)), np.int64)
    for t, q in zip(truth, pred, strict=True):
        cm[index[t], index[q]] += 1
    reports = []
    for c in labels:
        i = index[c]
        tp = cm[i, i]
        fp = cm[:, i].sum() - tp
        fn = cm[i, :].sum() - tp
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        reports.append(ClassReport(c, float(prec), float(rec), float(f1), int(cm[i, :].sum())))
    pred_arr = np.array(pred, dtype=object)
    by_class = {
        c: coverage_curve(conf[pred_arr == c], correct[pred_arr == c], steps=51)
        for c in labels
        if n and (pred_arr == c).any()
    }
    return Evaluation(
        coverage_by_class=by_class,
        n=n,
        top1=float(correct.mean()) if n else float("nan"),
        top5=float(np.mean([t in s for t, s in zip(truth, top5, strict=True)]))
        if n
        else float("nan"),
        per_class=reports,
        labels=labels,
        confusion=cm.tolist(),
        coverage=coverage_curve(conf, correct),
        coverage_at_target=coverage_at(conf, correct, target),
        target=target,
    )
