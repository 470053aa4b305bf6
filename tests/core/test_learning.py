"""Active learning over a real catalog: head retrain and keep rule, review queue, auto-accept."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from inference.models import load_classifier
from labeler.core.audits import review_queue
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.learning import (
    current_head,
    head_predictions,
    install_head,
    retrain_head,
    save_head,
    write_head_predictions,
)
from labeler.core.predict_job import run_predict
from labeler.core.store import Store
from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model


@pytest.fixture
def project(tmp_path):
    """60 frames in bursts of 3: greenish empty scenes and orange 'animals'."""
    card = tmp_path / "card"
    t0 = dt.datetime(2022, 1, 1)
    truth = {}
    for i in range(60):
        animal = (i // 3) % 3 == 0
        colour = (200, 100, 30) if animal else (40, 110, 50)
        name = f"IMG_{i:04d}.JPG"
        when = t0 + dt.timedelta(minutes=10 * (i // 3), seconds=i % 3)
        write(card / "cam" / name, jpeg_bytes((96, 72), colour, seed=i, when=when))
        truth[name] = "red_fox" if animal else "blank"
    store = Store(tmp_path / "c.sqlite")
    scan_to_end(store, card)
    run_to_end(run_predict(store, str(card), load_classifier(make_tiny_model(tmp_path / "m"))))
    yield store, truth
    store.close()


def _label(store, truth, names):
    ids = {r["name"]: r["id"] for r in store.query("SELECT id, name FROM images")}
    s = LabelSession(store)
    for name in names:
        s.set_species([ids[name]], truth[name])
    return s, ids


def test_no_head_without_two_classes(project):
    store, truth = project
    _label(store, truth, [n for n in sorted(truth) if truth[n] == "blank"][:5])
    outcome = retrain_head(store)
    assert outcome.head is None and not outcome.accepted and "two species" in outcome.reason


def test_a_head_trained_on_confirmations_beats_the_untrained_model_and_is_kept(project):
    store, truth = project
    names = sorted(truth)[:30]
    _label(store, truth, names)
    outcome = retrain_head(store)
    assert outcome.head is not None and outcome.accepted, outcome.reason
    assert outcome.n_labels == 30 and outcome.cv_accuracy > 0.9
    model_id = save_head(store, outcome)
    assert store.active_model()["id"] == model_id
    found = current_head(store)
    assert found is not None and found[1].classes == ["blank", "red_fox"]
    rows = head_predictions(store, found[1], outcome.backbone_id, ["blank", "red_fox", "other"])
    write_head_predictions(store, model_id, rows)
    unlabeled = [n for n in sorted(truth) if n not in names]
    ids = {r["name"]: r["id"] for r in store.query("SELECT id, name FROM images")}
    right = sum(store.topk(model_id, ids[n])[0][0] == truth[n] for n in unlabeled)
    assert right / len(unlabeled) > 0.9
    blank_scores = {n: store.scalar("SELECT empty_score FROM image_predictions WHERE image_id=? AND model_id=?",
                                    (ids[n], model_id)) for n in unlabeled}  # fmt: skip
    assert np.mean([blank_scores[n] for n in unlabeled if truth[n] == "blank"]) > np.mean(
        [blank_scores[n] for n in unlabeled if truth[n] == "red_fox"]
    )


def test_a_worse_head_does_not_replace_a_better_one(project):
    store, truth = project
    names = sorted(truth)[:30]
    s, ids = _label(store, truth, names)
    save_head(store, retrain_head(store))
    more = [n for n in sorted(truth) if n not in names][:12]
    _label(store, truth, more)
    # Crushing regularisation makes the new head predict one class for everything.
    worse = retrain_head(store, l2=1e4, imbalance="none")
    assert worse.previous_accuracy == 1.0
    assert not worse.accepted, worse.reason
    better = retrain_head(store)
    assert better.accepted, better.reason


def test_review_queue_lists_unlabeled_images_spread_over_bursts(project):
    store, truth = project
    names = sorted(truth)[:12]
    _label(store, truth, names)
    install_head(store, retrain_head(store))
    queue = review_queue(store, k=10, share=0.0)
    assert len(queue) == 10
    labeled = {r[0] for r in store.query("SELECT image_id FROM observations")}
    assert not set(queue) & labeled
    bursts = [store.scalar("SELECT sequence_id FROM images WHERE id=?", (i,)) for i in queue]
    assert len(set(bursts)) == len(bursts), "one frame per burst in the first pass"


def test_head_suggestions_range_over_the_whole_species_list(project):
    store, truth = project
    _label(store, truth, sorted(truth)[:30])
    install_head(store, retrain_head(store))
    model = store.active_model()
    ids = {r["name"]: r["id"] for r in store.query("SELECT id, name FROM images")}
    tops = [store.topk(model["id"], ids[n]) for n in sorted(truth)[30:]]
    unseen = {k for top in tops for k, _p in top} - {"blank", "red_fox"}
    assert unseen, "labels the head never learned stay among the suggestions"
    assert all(top[0][0] in ("blank", "red_fox") for top in tops)


def test_corrected_labels_count_as_new_when_the_next_head_is_judged(project):
    store, truth = project
    names = sorted(truth)[:30]
    wrong = {n: ("blank" if truth[n] == "red_fox" else "red_fox") for n in names[:9]}
    s, ids = _label(store, {**truth, **wrong}, names)
    install_head(store, retrain_head(store))
    # The user notices nine mistakes and corrects them; nothing new is labeled.
    for n in wrong:
        s.set_species([ids[n]], truth[n])
    outcome = retrain_head(store)
    assert "no new labels" not in outcome.reason, outcome.reason
    assert outcome.accepted, outcome.reason
    install_head(store, outcome)
    found = current_head(store)
    fixed = [ids[n] for n in wrong]
    assert set(fixed) <= set(found[0]["card"]["extra"]["trained_on"])
