"""Certified auto-accept on arrays: the same decision for the window, the command line and the
simulation benchmark.

Inputs are the labeled images (embeddings, answers, bursts, which of them are audits and with
what inclusion probability) and the unlabeled pool (embeddings, zero-shot probabilities, empty
scores, best region scores, bursts). The head is trained on every label; audits are judged out
of fold by heads that never saw them or their burst; each species is certified from the audits
alone (see :mod:`training.audit`). An unlabeled image is accepted when its species is certified
down to its confidence, it is not unfamiliar, a blank is backed by the empty-frame evidence, and
every unlabeled frame of its burst would be accepted with the same label (and that label agrees
with the labels already given in the burst).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from training.audit import (
    DEFAULT_ALPHA,
    DEFAULT_TARGET,
    AuditEvidence,
    Certificate,
    certify,
)
from training.head import BALANCED, Head, cross_validate, fit_head, fit_temperature, group_folds
from training.openworld import UNFAMILIAR_GATE, open_world, unfamiliarity

BLANK = "blank"
# A blank is accepted only when the empty-frame score agrees and no region says "animal".
EMPTY_AGREE = 0.5
REGION_DISAGREE = 0.5


@dataclass
class Labeled:
    """The labeled images: embeddings, answers, burst (or own id) and audit facts."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    audit: np.ndarray
    inclusion: np.ndarray
    zero_shot: np.ndarray


@dataclass
class Pool:
    """The unlabeled images the decision is about."""

    x: np.ndarray
    zero_shot: np.ndarray
    empty: np.ndarray
    region: np.ndarray
    bursts: np.ndarray


@dataclass
class Decision:
    """What auto-accept would do: accepted pool rows with label and probability, certificates,
    and why the others were held back."""

    accepted: dict[int, tuple[str, float]]
    certificates: dict[str, Certificate]
    probs: np.ndarray
    unfamiliar: np.ndarray
    held_back: dict[str, int] = field(default_factory=dict)
    head: Head | None = None

    def per_species(self) -> dict[str, dict]:
        """Counts, estimate, bound, audits and expected errors of each accepted species."""
        counts: dict[str, int] = defaultdict(int)
        for label, _p in self.accepted.values():
            counts[label] += 1
        out = {}
        for label, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            c = self.certificates[label]
            out[label] = {
                "images": n,
                "estimate": round(c.estimate, 4),
                "lower_bound": round(c.lower_bound, 4),
                "audits": round(c.audits, 1),
                "threshold": round(c.threshold, 4),
                "expected_errors": round(n * (1 - c.estimate), 2),
                "errors_at_bound": round(n * (1 - c.lower_bound), 2),
            }
        return out


def project_head_probs(
    head: Head, x: np.ndarray, zero_shot: np.ndarray, labels: Sequence[str], unfamiliar: np.ndarray
) -> np.ndarray:
    """The head's open-world probabilities over the project's labels."""
    return open_world(head.predict_proba(x), head.classes, zero_shot, labels, unfamiliar)


def audit_evidence(
    lab: Labeled,
    labels: Sequence[str],
    *,
    folds: int = 5,
    imbalance: str = BALANCED,
    l2: float = 1e-3,
    full: Head | None = None,
) -> AuditEvidence:
    """Open-world predictions for every answered audit from heads trained without it (and
    without any label of its burst), with the audit's weight (1 / inclusion probability)."""
    audits = np.nonzero(lab.audit)[0]
    labels = list(labels)
    pred = np.empty(len(audits), dtype=object)
    conf = np.zeros(len(audits))
    if len(audits) == 0:
        return AuditEvidence(pred, conf, np.zeros(0, dtype=object), np.zeros(0))
    fold_of = group_folds(list(lab.groups[audits]), min(folds, len(audits)))
    for f in sorted(set(fold_of.tolist())):
        held = audits[fold_of == f]
        banned = set(lab.groups[held].tolist())
        train = np.array([g not in banned for g in lab.groups])
        if len(set(lab.y[train].tolist())) < 2:
            pred[fold_of == f] = lab.y[train][0] if train.any() else BLANK
            conf[fold_of == f] = 0.0
            continue
        head = fit_head(lab.x[train], list(lab.y[train]), imbalance=imbalance, l2=l2, max_iter=30,
                        init=full if full is not None and set(lab.y[train]) == set(full.classes) else None)  # fmt: skip
        if full is not None:
            head.temperature = full.temperature
        unf = unfamiliarity(lab.x[held], lab.x[train], lab.groups[train])
        p = project_head_probs(head, lab.x[held], lab.zero_shot[held], labels, unf)
        top = p.argmax(axis=1)
        pred[fold_of == f] = np.array(labels, dtype=object)[top]
        conf[fold_of == f] = p[np.arange(len(held)), top]
    weight = 1.0 / np.clip(lab.inclusion[audits], 1e-9, 1.0)
    return AuditEvidence(pred, conf, lab.y[audits].astype(object), weight)


def train_head(
    lab: Labeled, *, imbalance: str = BALANCED, l2: float = 1e-3, init: Head | None = None
) -> Head:
    """The head on every label, with its temperature fitted on grouped cross-validation."""
    head = fit_head(lab.x, list(lab.y), imbalance=imbalance, l2=l2, init=init)
    if len(set(lab.groups.tolist())) >= 2:
        cv = cross_validate(lab.x, list(lab.y), list(lab.groups), k=min(3, len(set(lab.groups.tolist()))),
                            imbalance=imbalance, full=head, l2=l2)  # fmt: skip
        head.temperature = fit_temperature(cv.oof, cv.y)
    return head


def decide(
    lab: Labeled,
    pool: Pool,
    labels: Sequence[str],
    *,
    burst_labels: dict[object, set[str]] | None = None,
    target: float = DEFAULT_TARGET,
    alpha: float = DEFAULT_ALPHA,
    head: Head | None = None,
    imbalance: str = BALANCED,
    corrections: Sequence[tuple[int, str, float, str]] = (),
) -> Decision:
    """Which pool rows auto-accept takes, with the audited certificates behind it.

    ``burst_labels`` holds, for each burst, the labels already given to its frames; a burst is
    accepted only whole and only with a label that agrees with them. ``corrections`` are
    machine labels a person later changed (image, machine label, its probability, the
    person's label): they count against the machine label's species as failed audits, which
    can only lower its bound.
    """
    labels = list(labels)
    n = len(pool.x)
    if len(set(lab.y.tolist())) < 2:
        return Decision({}, {}, np.zeros((n, len(labels)), np.float32), np.ones(n, np.float32),
                        {"no head yet": n})  # fmt: skip
    head = head or train_head(lab, imbalance=imbalance)
    unf = unfamiliarity(pool.x, lab.x, lab.groups) if n else np.zeros(0, np.float32)
    probs = (
        project_head_probs(head, pool.x, pool.zero_shot, labels, unf)
        if n
        else np.zeros((0, len(labels)))
    )
    evidence = audit_evidence(lab, labels, imbalance=imbalance, full=head)
    if corrections:
        # Each correction weighs as much as an average audit (audits weigh 1 / inclusion
        # probability; a weight of 1 would make a correction all but invisible).
        scale = float(evidence.weight.mean()) if len(evidence.weight) else 1.0
        evidence = AuditEvidence(
            np.concatenate([evidence.pred, np.array([c[1] for c in corrections], dtype=object)]),
            np.concatenate([evidence.conf, np.array([c[2] for c in corrections], np.float64)]),
            np.concatenate([evidence.truth, np.array([c[3] for c in corrections], dtype=object)]),
            np.concatenate([evidence.weight, np.full(len(corrections), scale)]),
        )
    top = probs.argmax(axis=1) if n else np.zeros(0, int)
    pred = np.array(labels, dtype=object)[top] if n else np.zeros(0, dtype=object)
    conf = probs[np.arange(n), top] if n else np.zeros(0)
    certs = certify(evidence, pred, conf, target=target, alpha=alpha)
    held: dict[str, int] = defaultdict(int)
    ok = np.zeros(n, bool)
    for i in range(n):
        c = certs.get(pred[i])
        if c is None or not c.certified:
            held["species not certified by audits"] += 1
        elif conf[i] < c.threshold:
            held["below the certified threshold"] += 1
        elif unf[i] > UNFAMILIAR_GATE:
            held["unlike anything labeled"] += 1
        elif pred[i] == BLANK and not (
            pool.empty[i] >= EMPTY_AGREE and not (pool.region[i] >= REGION_DISAGREE)
        ):
            held["blank without empty-frame evidence"] += 1
        else:
            ok[i] = True
    by_burst: dict[object, list[int]] = defaultdict(list)
    for i, b in enumerate(pool.bursts):
        if b is not None and not (isinstance(b, float) and math.isnan(b)):
            by_burst[b].append(i)
    given = burst_labels or {}
    for b, rows in by_burst.items():
        chosen = {pred[i] for i in rows if ok[i]}
        whole = all(ok[i] for i in rows)
        agrees = len(chosen) == 1 and given.get(b, set()) <= chosen
        if chosen and not (whole and agrees):
            for i in rows:
                if ok[i]:
                    ok[i] = False
                    held["its burst is not all accepted alike"] += 1
    accepted = {int(i): (str(pred[i]), float(conf[i])) for i in np.nonzero(ok)[0]}
    return Decision(accepted, certs, probs, unf, dict(held), head)
