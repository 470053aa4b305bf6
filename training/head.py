"""Instant learning: a softmax-regression head over stored embeddings, cross-validated by burst.

Training is full-batch L-BFGS on standardised embeddings, in numpy: on 5,000 embeddings it takes
a fraction of a second, so the head can be retrained after every few confirmations.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BALANCED = "balanced"
OVERSAMPLE = "oversample"
NONE = "none"


@dataclass
class Head:
    """A trained head: standardisation, weights, and the classes it knows."""

    classes: list[str]
    mean: np.ndarray
    scale: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    temperature: float = 1.0
    info: dict = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Raw class scores for embeddings ``x`` (N x D)."""
        z = (np.asarray(x, np.float32) - self.mean) / self.scale
        return z @ self.weight + self.bias

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probabilities over ``classes`` (N x C)."""
        s = self.logits(x) / self.temperature
        s -= s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Tensors to save (safetensors); classes and info go to the model card."""
        return {
            "mean": self.mean.astype(np.float32),
            "scale": self.scale.astype(np.float32),
            "weight": self.weight.astype(np.float32),
            "bias": self.bias.astype(np.float32),
            "temperature": np.array([self.temperature], np.float32),
        }

    @classmethod
    def from_arrays(
        cls, classes: list[str], arrays: dict[str, np.ndarray], info: dict | None = None
    ) -> Head:
        """Inverse of :meth:`to_arrays`."""
        w = np.asarray(arrays["weight"], np.float32)
        if w.shape[1] != len(classes):
            raise ValueError(f"head has {w.shape[1]} outputs for {len(classes)} classes")
        return cls(list(classes), np.asarray(arrays["mean"], np.float32), np.asarray(arrays["scale"], np.float32),
                   w, np.asarray(arrays["bias"], np.float32), float(np.asarray(arrays["temperature"])[0]), info or {})  # fmt: skip


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Inverse-frequency weights (Norouzzadeh et al. S.4), normalised to mean 1 over samples."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = np.zeros(n_classes)
    present = counts > 0
    w[present] = len(y) / (present.sum() * counts[present])
    return w.astype(np.float32)


def _oversample(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(y)
    target = counts.max()
    idx = [np.nonzero(y == c)[0] for c in range(len(counts)) if counts[c] > 0]
    picks = np.concatenate([np.concatenate([i, rng.choice(i, target - len(i))]) for i in idx])
    return x[picks], y[picks]


def _objective(params, z, onehot, sample_w, l2):
    """Weighted multinomial log-loss with L2 on the weights, and its gradient."""
    d, c = z.shape[1], onehot.shape[1]
    w = params[: d * c].reshape(d, c)
    b = params[d * c :]
    logits = z @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    norm = sample_w / sample_w.sum()
    loss = float(-(norm * (onehot * logp).sum(axis=1)).sum() + l2 * float((w * w).sum()))
    g = (np.exp(logp) - onehot) * norm[:, None]
    grad_w = z.T @ g + 2 * l2 * w
    return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])


def _fit_lbfgs(
    z: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    weights: np.ndarray | None,
    l2: float,
    max_iter: int,
    init: tuple[np.ndarray, np.ndarray] | None = None,
    history: int = 10,
    tol: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS (two-loop recursion, backtracking Armijo line search) in numpy.

    Numpy's matrix products release the interpreter lock, so a retrain in a background thread
    leaves the window's event loop free; torch is not needed in the window's process at all.
    """
    z = np.ascontiguousarray(z, np.float32)
    d = z.shape[1]
    onehot = np.zeros((len(y), n_classes), np.float32)
    onehot[np.arange(len(y)), y] = 1.0
    sample_w = np.ones(len(y), np.float32) if weights is None else weights[y].astype(np.float32)
    x = np.zeros(d * n_classes + n_classes, np.float32)
    if init is not None:
        x[: d * n_classes] = np.asarray(init[0], np.float32).ravel()
        x[d * n_classes :] = np.asarray(init[1], np.float32)
    f, g = _objective(x, z, onehot, sample_w, l2)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        if float(np.abs(g).max()) < tol:
            break
        q = g.astype(np.float64)
        alphas = []
        for s_k, y_k in zip(reversed(s_hist), reversed(y_hist), strict=True):
            rho = 1.0 / float(y_k @ s_k)
            a = rho * float(s_k @ q)
            alphas.append((rho, a))
            q = q - a * y_k
        if y_hist:
            q = q * (float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1]))
        else:
            q = q / max(float(np.linalg.norm(q)), 1e-12)
        for (rho, a), s_k, y_k in zip(reversed(alphas), s_hist, y_hist, strict=True):
            q = q + s_k * (a - rho * float(y_k @ q))
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction = -g.astype(np.float64) / max(float(np.linalg.norm(g)), 1e-12)
            slope = float(g @ direction)
        step = 1.0
        for _ in range(30):
            x_new = (x + step * direction).astype(np.float32)
            f_new, g_new = _objective(x_new, z, onehot, sample_w, l2)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break
        s_k = (x_new - x).astype(np.float64)
        y_k = (g_new - g).astype(np.float64)
        if float(y_k @ s_k) > 1e-10:
            s_hist.append(s_k)
            y_hist.append(y_k)
            if len(s_hist) > history:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(f - f_new) <= 1e-7 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x[: d * n_classes].reshape(d, n_classes).copy(), x[d * n_classes :].copy()


def fit_head(
    x: np.ndarray,
    labels: Sequence[str],
    *,
    imbalance: str = BALANCED,
    l2: float = 1e-3,
    max_iter: int = 60,
    seed: int = 0,
    init: Head | None = None,
) -> Head:
    """Train a head on embeddings ``x`` with string ``labels``.

    ``imbalance`` is ``balanced`` (class-weighted loss), ``oversample`` or ``none``.
    """
    t0 = time.perf_counter()
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("a head needs confirmed labels of at least two classes")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in labels], np.int64)
    x = np.asarray(x, np.float32)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-3
    z = (x - mean) / scale
    weights = None
    if imbalance == BALANCED:
        weights = class_weights(y, len(classes))
    elif imbalance == OVERSAMPLE:
        z, y = _oversample(z, y, np.random.default_rng(seed))
    elif imbalance != NONE:
        raise ValueError(f"unknown imbalance handling {imbalance!r}")
    start = None
    if init is not None and init.classes == classes and init.weight.shape[0] == z.shape[1]:
        start = (init.weight, init.bias)
    w, b = _fit_lbfgs(z, y, len(classes), weights, l2, max_iter, start)
    return Head(classes, mean, scale, w, b, 1.0,
                {"imbalance": imbalance, "l2": l2, "n_labels": len(labels), "fit_s": time.perf_counter() - t0})  # fmt: skip


def group_folds(groups: Sequence[object], k: int, seed: int = 0) -> np.ndarray:
    """Fold number of each sample; samples of one group (a burst) share a fold."""
    uniq = list(dict.fromkeys(groups))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    fold_of = {uniq[j]: i % k for i, j in enumerate(order)}
    return np.array([fold_of[g] for g in groups], np.int64)


@dataclass
class CrossValidation:
    """Out-of-fold probabilities of every labeled sample, and the accuracy they give."""

    classes: list[str]
    oof: np.ndarray
    y: np.ndarray
    accuracy: float
    seconds: float


def cross_validate(
    x: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[object],
    *,
    k: int = 3,
    imbalance: str = BALANCED,
    l2: float = 1e-3,
    full: Head | None = None,
    max_iter: int = 20,
) -> CrossValidation:
    """k-fold cross-validation grouped by burst (frames of a burst never straddle folds).

    Each fold starts from ``full`` (the head fitted on all labels), which makes it converge in
    a few iterations.
    """
    t0 = time.perf_counter()
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in labels], np.int64)
    folds = group_folds(groups, k)
    oof = np.full((len(y), len(classes)), 1.0 / len(classes), np.float32)
    labels_arr = np.asarray(labels, dtype=object)
    for f in range(k):
        test = folds == f
        train = ~test
        if test.sum() == 0 or len(set(labels_arr[train])) < 2:
            continue
        head = fit_head(x[train], list(labels_arr[train]), imbalance=imbalance, l2=l2, max_iter=max_iter,
                        init=full if full is not None and set(labels_arr[train]) == set(classes) else None)  # fmt: skip
        probs = head.predict_proba(x[test])
        cols = [index[c] for c in head.classes]
        block = np.zeros((int(test.sum()), len(classes)), np.float32)
        block[:, cols] = probs
        oof[test] = block
    accuracy = float((oof.argmax(axis=1) == y).mean()) if len(y) else float("nan")
    return CrossValidation(classes, oof, y, accuracy, time.perf_counter() - t0)


def fit_temperature(oof: np.ndarray, y: np.ndarray) -> float:
    """Temperature that makes out-of-fold probabilities best calibrated (grid search on NLL)."""
    logp = np.log(np.clip(oof, 1e-7, 1.0))
    best, best_t = np.inf, 1.0
    for t in np.exp(np.linspace(np.log(0.25), np.log(4.0), 41)):
        s = logp / t
        s -= s.max(axis=1, keepdims=True)
        lse = np.log(np.exp(s).sum(axis=1))
        nll = float(np.mean(lse - s[np.arange(len(y)), y]))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t
