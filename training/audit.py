"""Audits and certified auto-accept: random checks with known inclusion probabilities, and
per-species confidence thresholds whose accuracy has a one-sided lower confidence bound.

Labels the review queue picks are the hardest images and the species met so far; estimates
from them are biased (pessimistic under uncertainty sampling, blind to species nobody labeled).
Audits are drawn at random from the images nobody labeled, stratified by predicted species with
a recorded inclusion probability, so that weighted by the inverse of that probability they
estimate, without bias, how accurate accepting the rest would be.

The decision rule is selective classification with a guaranteed risk (Geifman & El-Yaniv,
2017), in its fixed-sequence form (Angelopoulos et al., "Learn then Test", 2021): for each
species, thresholds are tested from the most confident downward, each with an exact binomial
(Clopper-Pearson) lower bound on the audited accuracy above it; the species is accepted down to
the last threshold before the first one whose bound falls below the target. Because the tests
run in a fixed order and stop at the first failure, no correction for testing many thresholds
is needed, and the chance of certifying any threshold whose true accuracy is below the target
stays at most ``alpha``. Weighted audits enter through Kish's effective sample size.

Certifying accuracy ``a`` at confidence ``1 - alpha`` needs at least ``log(alpha) / log(a)``
audited images above the threshold with no error (87 for 96.6 % at 95 %): a species the audits
have not reached that often is never accepted, however confident the model is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_TARGET = 0.966
DEFAULT_ALPHA = 0.05
DEFAULT_AUDIT_SHARE = 0.2
# Predictions at least this confident form the strata audits concentrate on; the others are
# drawn at a lower rate.
CONFIDENT = 0.9
UNSURE_WEIGHT = 0.35
# Each stratum is drawn with probability proportional to its size to this power. 1 is a
# self-weighting sample (every image equally likely, exact binomial bounds, and the most audits
# for the large strata that can be certified at all); below 1 small species get more audits
# and the estimates carry importance weights.
STRATUM_TILT = 1.0


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-12:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def accuracy_lower_bound(correct: float, n: float, alpha: float = DEFAULT_ALPHA) -> float:
    """One-sided ``1 - alpha`` Clopper-Pearson lower bound on a proportion (``correct`` out of
    ``n``; both may be effective, non-integer counts). 0 when nothing was observed."""
    if n <= 0 or correct <= 0:
        return 0.0
    correct = min(correct, n)
    a, b = correct, n - correct + 1.0
    lo, hi = 0.0, 1.0
    # The bound p solves I_p(correct, n - correct + 1) = alpha (the beta quantile); bisection.
    for _ in range(60):
        mid = (lo + hi) / 2
        if betainc(a, b, mid) < alpha:
            lo = mid
        else:
            hi = mid
    return lo


def audits_needed(target: float = DEFAULT_TARGET, alpha: float = DEFAULT_ALPHA) -> int:
    """Error-free audits above a threshold needed before it can be certified at ``target``."""
    return math.ceil(math.log(alpha) / math.log(target))


@dataclass(frozen=True)
class AuditDraw:
    """One audit: the image drawn, the probability that it was the one drawn, its stratum."""

    index: int
    inclusion: float
    stratum: str
    stratum_size: int
    pool_size: int


def stratum_of(label: str, confidence: float) -> str:
    """The audit stratum of an image: its predicted label and whether the prediction is
    confident (only confident predictions can ever be accepted)."""
    return f"{label}|{'sure' if confidence >= CONFIDENT else 'unsure'}"


def draw_audit(
    strata: Sequence[str], rng: np.random.Generator, *, tilt: float = STRATUM_TILT
) -> AuditDraw | None:
    """Draw one audit from a pool whose members are labelled with their stratum: a stratum with
    probability proportional to its size ** ``tilt`` (strata of unsure predictions count
    ``UNSURE_WEIGHT`` as much: they can never be accepted, but surprises hide there too), then
    a member uniformly. Returns the member's index and its inclusion probability."""
    if len(strata) == 0:
        return None
    names, inverse, counts = np.unique(np.asarray(strata, dtype=object), return_inverse=True,
                                       return_counts=True)  # fmt: skip
    weight = counts.astype(np.float64) ** tilt
    weight *= np.array([UNSURE_WEIGHT if str(n).endswith("|unsure") else 1.0 for n in names])
    q = weight / weight.sum()
    s = int(rng.choice(len(names), p=q))
    members = np.nonzero(inverse == s)[0]
    pick = int(rng.choice(members))
    return AuditDraw(pick, float(q[s] / counts[s]), str(names[s]), int(counts[s]), len(strata))


@dataclass(frozen=True)
class Certificate:
    """What the audits say about accepting one species down to a threshold."""

    label: str
    threshold: float
    estimate: float
    lower_bound: float
    audits: float
    errors: float
    candidates: int
    certified: bool
    needed: int = 0

    def to_json(self) -> dict:
        """JSON-ready figures (infinite threshold as None)."""
        return {
            "label": self.label,
            "threshold": None if math.isinf(self.threshold) else round(self.threshold, 4),
            "estimate": None if math.isnan(self.estimate) else round(self.estimate, 4),
            "lower_bound": round(self.lower_bound, 4),
            "audits": round(self.audits, 1),
            "errors": round(self.errors, 1),
            "candidates": self.candidates,
            "certified": self.certified,
            "audits_needed": self.needed,
        }


@dataclass
class AuditEvidence:
    """Audited images judged by a model that never trained on them.

    ``pred``/``conf`` are the model's top label and confidence for each audit (out of fold),
    ``truth`` the person's answer, ``weight`` the inverse inclusion probability.
    """

    pred: np.ndarray
    conf: np.ndarray
    truth: np.ndarray
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if len(self.weight) != len(self.pred):
            self.weight = np.ones(len(self.pred))


def effective(weights: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """(effective number correct, effective n) of weighted Bernoulli outcomes (Kish)."""
    if len(weights) == 0:
        return 0.0, 0.0
    w = np.asarray(weights, np.float64)
    n_eff = float(w.sum() ** 2 / (w * w).sum())
    p = float((w * correct).sum() / w.sum())
    return p * n_eff, n_eff


def certify(
    evidence: AuditEvidence,
    pool_pred: np.ndarray,
    pool_conf: np.ndarray,
    *,
    target: float = DEFAULT_TARGET,
    alpha: float = DEFAULT_ALPHA,
) -> dict[str, Certificate]:
    """Per species, the lowest confidence threshold that the audits certify at ``target``.

    Thresholds are the audits' own confidences for that predicted species, tested from the
    highest downward; testing starts where enough audits lie above the threshold to possibly
    pass (a count that does not depend on whether they were right) and stops at the first
    failure. Species never reached get an infinite threshold.
    """
    out: dict[str, Certificate] = {}
    need = audits_needed(target, alpha)
    pred_all = np.asarray(evidence.pred, dtype=object)
    for label in sorted(set(pool_pred.tolist()) | set(pred_all.tolist())):
        mine = np.nonzero(pred_all == label)[0]
        order = mine[np.argsort(-evidence.conf[mine], kind="stable")]
        correct = (evidence.truth[order] == label).astype(np.float64)
        w = evidence.weight[order]
        best: Certificate | None = None
        for k in range(len(order)):
            if k + 1 < need:
                continue  # too few audits above this threshold for any bound to pass
            k_eff, n_eff = effective(w[: k + 1], correct[: k + 1])
            if n_eff < need * 0.999:
                continue
            lb = accuracy_lower_bound(k_eff, n_eff, alpha)
            if lb < target:
                break
            t = float(evidence.conf[order[k]])
            best = Certificate(label, t, k_eff / n_eff, lb, n_eff, n_eff - k_eff,
                               int(((pool_pred == label) & (pool_conf >= t)).sum()), True, need)  # fmt: skip
        if best is None:
            k_eff, n_eff = effective(w, correct)
            est = k_eff / n_eff if n_eff else float("nan")
            best = Certificate(label, math.inf, est, accuracy_lower_bound(k_eff, n_eff, alpha),
                               n_eff, n_eff - k_eff, 0, False, need)  # fmt: skip
        else:
            best = Certificate(best.label, best.threshold, best.estimate, best.lower_bound,
                               best.audits, best.errors, best.candidates, True, need)  # fmt: skip
        out[label] = best
    return out
