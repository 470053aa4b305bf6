"""Heads over embeddings, cross-validation by burst, temperature, metrics and the review queue."""

from __future__ import annotations

import numpy as np
import pytest

from training.head import (
    BALANCED,
    NONE,
    OVERSAMPLE,
    Head,
    class_weights,
    cross_validate,
    fit_head,
    fit_temperature,
    group_folds,
)
from training.metrics import coverage_at, evaluate
from training.queue import review_order, uncertainty


def blobs(n_per: dict[str, int], dim: int = 32, spread: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k, (label, n) in enumerate(n_per.items()):
        center = np.zeros(dim)
        center[k % dim] = 4.0
        xs.append(center + rng.normal(0, spread, (n, dim)))
        ys += [label] * n
    return np.concatenate(xs).astype(np.float32), ys


def test_head_learns_separable_classes_and_round_trips_its_arrays():
    x, y = blobs({"blank": 60, "red_fox": 30, "new_species": 10})
    head = fit_head(x, y)
    assert head.classes == ["blank", "new_species", "red_fox"]
    pred = np.array(head.classes)[head.predict_proba(x).argmax(1)]
    assert (pred == np.array(y)).mean() > 0.95
    again = Head.from_arrays(head.classes, head.to_arrays())
    assert np.allclose(again.predict_proba(x), head.predict_proba(x), atol=1e-6)


def test_head_refuses_a_single_class():
    x, y = blobs({"blank": 10})
    with pytest.raises(ValueError, match="two classes"):
        fit_head(x, y)


def test_balanced_weights_raise_recall_of_a_rare_class_when_classes_overlap():
    x, y = blobs({"blank": 400, "stoat": 12}, spread=2.5, seed=3)
    xt, yt = blobs({"blank": 400, "stoat": 100}, spread=2.5, seed=4)
    recall = {}
    for mode in (NONE, BALANCED, OVERSAMPLE):
        head = fit_head(x, y, imbalance=mode)
        pred = np.array(head.classes)[head.predict_proba(xt).argmax(1)]
        stoat = np.array(yt) == "stoat"
        recall[mode] = (pred[stoat] == "stoat").mean()
    assert recall[BALANCED] >= recall[NONE]
    assert recall[OVERSAMPLE] >= recall[NONE]


def test_class_weights_are_inverse_frequency():
    w = class_weights(np.array([0, 0, 0, 1]), 2)
    assert w[1] == pytest.approx(3 * w[0])


def test_folds_keep_every_burst_together():
    groups = ["a", "a", "a", "b", "b", "c", "d", "d", "e"]
    folds = group_folds(groups, 3)
    for g in set(groups):
        assert len({f for f, gg in zip(folds, groups, strict=True) if gg == g}) == 1


def test_cross_validation_is_out_of_fold_and_grouped():
    x, y = blobs({"blank": 40, "red_fox": 40}, seed=1)
    groups = [i // 4 for i in range(80)]
    cv = cross_validate(x, y, groups, k=4)
    assert cv.oof.shape == (80, 2)
    assert 0.8 < cv.accuracy <= 1.0
    t = fit_temperature(cv.oof, cv.y)
    assert 0.25 <= t <= 4.0


def test_evaluation_reports_top_k_prf_confusion_and_coverage():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    ev = evaluate(probs, ["a", "b", "c"], ["a", "b", "b", "c"], target=0.9)
    assert ev.top1 == 0.75 and ev.top5 == 1.0
    b = next(c for c in ev.per_class if c.label == "b")
    assert b.precision == 1.0 and b.recall == 0.5
    assert ev.confusion[ev.labels.index("b")][ev.labels.index("a")] == 1
    assert ev.coverage_at_target == pytest.approx(
        0.75
    )  # the three right answers are the most confident
    assert coverage_at(np.array([0.9, 0.8]), np.array([True, True]), 0.966) == 1.0


def test_review_queue_puts_uncertain_frames_first_and_spreads_over_bursts():
    probs = np.array([[0.5, 0.5], [0.51, 0.49], [0.52, 0.48], [0.99, 0.01], [0.6, 0.4]])
    bursts = [1, 1, 1, 2, 3]
    order = review_order(probs, bursts, strategy="margin")
    assert order[0] == 0
    assert set(order[:3]) == {0, 3, 4} or set(order[:3]) == {0, 4, 3}
    assert sorted(order.tolist()) == [0, 1, 2, 3, 4]
    assert uncertainty(probs, "entropy")[0] > uncertainty(probs, "entropy")[3]
    rnd = review_order(probs, bursts, strategy="random", seed=1)
    assert sorted(rnd.tolist()) == [0, 1, 2, 3, 4]


def test_coverage_curves_exist_per_species_and_overall():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
    ev = evaluate(probs, ["a", "b"], ["a", "b", "b", "a"])
    assert set(ev.coverage_by_class) == {"a", "b"}
    t0 = ev.coverage_by_class["b"][0]
    assert t0[1] == 1.0 and t0[2] == 0.5  # at threshold 0 all "b" predictions, half right
