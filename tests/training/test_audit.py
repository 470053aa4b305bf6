"""Audits and certification: exact bounds, inclusion probabilities, the fixed-sequence rule, and
open-world suggestions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.audit import (
    AuditEvidence,
    accuracy_lower_bound,
    audits_needed,
    betainc,
    certify,
    draw_audit,
)
from training.openworld import open_world, unfamiliarity


def test_the_lower_bound_is_the_exact_clopper_pearson_one():
    assert accuracy_lower_bound(87, 87, 0.05) == pytest.approx(0.05 ** (1 / 87), abs=1e-9)
    # Against the binomial tail: P(X >= k | p = bound) = alpha.
    k, n = 40, 50
    p = accuracy_lower_bound(k, n, 0.05)
    tail = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))
    assert tail == pytest.approx(0.05, abs=1e-6)
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-4)
    assert audits_needed(0.966, 0.05) == 87 and accuracy_lower_bound(0, 0) == 0.0


def test_audit_draws_have_the_inclusion_probability_they_claim():
    strata = np.array(["blank"] * 80 + ["fox"] * 15 + ["owl"] * 5, dtype=object)
    rng = np.random.default_rng(0)
    counts = np.zeros(len(strata))
    claimed = {}
    for _ in range(20000):
        d = draw_audit(strata, rng, tilt=0.5)
        counts[d.index] += 1
        claimed[d.index] = d.inclusion
    assert sum(claimed[i] for i in claimed) == pytest.approx(1.0, abs=1e-9)
    for i in (0, 85, 97):
        assert counts[i] / 20000 == pytest.approx(claimed[i], rel=0.25)
    uniform = draw_audit(strata, rng, tilt=1.0)
    assert uniform.inclusion == pytest.approx(1 / 100)
    banded = np.array(["blank|sure"] * 50 + ["blank|unsure"] * 50, dtype=object)
    d = draw_audit(banded, np.random.default_rng(1), tilt=1.0)
    expected = (1 / 1.35) / 50 if d.stratum == "blank|sure" else (0.35 / 1.35) / 50
    assert d.inclusion == pytest.approx(expected)


def _evidence(n_right: int, n_wrong: int, label: str = "blank") -> AuditEvidence:
    pred = np.array([label] * (n_right + n_wrong), dtype=object)
    conf = np.linspace(0.999, 0.9, n_right + n_wrong)
    truth = np.array([label] * n_right + ["fox"] * n_wrong, dtype=object)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(pred))
    return AuditEvidence(pred, conf, truth[order])


def test_a_species_is_certified_only_with_enough_audits_and_down_to_the_first_failure():
    pool_pred = np.array(["blank"] * 500, dtype=object)
    pool_conf = np.linspace(1.0, 0.5, 500)
    few = certify(_evidence(60, 0), pool_pred, pool_conf)
    assert not few["blank"].certified and math.isinf(few["blank"].threshold)
    many = certify(_evidence(120, 0), pool_pred, pool_conf)["blank"]
    assert many.certified and many.lower_bound >= 0.966 and many.candidates > 0
    assert many.threshold == pytest.approx(0.9, abs=1e-6)
    mixed = certify(_evidence(150, 4), pool_pred, pool_conf)["blank"]
    assert not mixed.certified or mixed.threshold > 0.9


def test_certifying_a_species_whose_true_accuracy_is_below_target_is_rare():
    rng = np.random.default_rng(7)
    wrongly = 0
    for _ in range(200):
        truth_ok = rng.random(150) < 0.95  # true accuracy 95 %, below the 96.6 % target
        ev = AuditEvidence(np.array(["blank"] * 150, dtype=object), rng.random(150),
                           np.where(truth_ok, "blank", "fox").astype(object))  # fmt: skip
        c = certify(ev, np.array(["blank"], dtype=object), np.array([1.0]))["blank"]
        wrongly += c.certified
    assert wrongly / 200 <= 0.05


def test_unseen_labels_keep_their_zero_shot_mass_and_win_on_unfamiliar_images():
    labels = ["blank", "red_fox", "vehicle", "other"]
    head = np.array([[0.9, 0.1], [0.6, 0.4]])
    zs = np.array([[0.1, 0.1, 0.7, 0.1], [0.05, 0.05, 0.85, 0.05]])
    p = open_world(head, ["blank", "red_fox"], zs, labels, np.array([0.1, 1.0]))
    assert p.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert p[0].argmax() == 0 and p[0, 2] > 0.05  # familiar: the head decides, vehicle suggestible
    assert labels[p[1].argmax()] == "vehicle"  # unfamiliar: the zero-shot label comes back


def test_an_embedding_far_from_every_labeled_one_is_unfamiliar():
    rng = np.random.default_rng(3)
    labeled = rng.normal(0, 1, (40, 16)) + np.eye(16)[0] * 8
    groups = [f"b{i // 2}" for i in range(40)]
    near = labeled[:3] + rng.normal(0, 0.1, (3, 16))
    far = rng.normal(0, 1, (3, 16)) - np.eye(16)[0] * 8
    u = unfamiliarity(np.vstack([near, far]), labeled, groups)
    assert (u[:3] < 0.5).all() and (u[3:] >= 0.99).all()


def test_a_corrected_acceptance_counts_against_its_species_like_a_failed_audit():
    from training.autoaccept import Labeled, Pool, decide

    rng = np.random.default_rng(5)
    labels = ["blank", "red_fox", "vehicle"]
    centre = {"blank": np.eye(8)[0] * 6, "red_fox": np.eye(8)[1] * 6}
    y = np.array(["blank"] * 120 + ["red_fox"] * 40, dtype=object)
    x = np.stack([centre[k] + rng.normal(0, 0.5, 8) for k in y]).astype(np.float32)
    zs = np.full((len(y), 3), 1 / 3, np.float32)
    # Every label an audit drawn with inclusion probability 1/200: each weighs 200.
    lab = Labeled(x, y, np.array([f"g{i}" for i in range(len(y))], dtype=object),
                  np.ones(len(y), bool), np.full(len(y), 1 / 200), zs)  # fmt: skip
    px = np.stack([centre["blank"] + rng.normal(0, 0.5, 8) for _ in range(50)]).astype(np.float32)
    pool = Pool(px, np.full((50, 3), 1 / 3, np.float32), np.ones(50), np.zeros(50),
                np.array([None] * 50, dtype=object))  # fmt: skip
    plain = decide(lab, pool, labels, target=0.9)
    cert = plain.certificates["blank"]
    assert cert.certified and cert.errors == 0
    _row, (_key, prob) = next(iter(plain.accepted.items()))
    corrected = decide(lab, pool, labels, target=0.9, corrections=[(7, "blank", prob, "red_fox")])
    after = corrected.certificates["blank"]
    assert after.errors > 0.5 or after.threshold > prob, "the correction weighs like an audit"
    assert after.lower_bound < cert.lower_bound
