"""The prediction pipeline and its helpers: failures per image, order, aggregation, empty score."""

from __future__ import annotations

import numpy as np
import pytest

from inference.aggregate import burst_average, ensemble, project_matrix, topk
from inference.empty import BurstAndSceneScorer, burst_motion
from inference.models import load_classifier
from inference.pipeline import PredictedBatch, PredictItem, PredictSummary, predict_batches
from inference.taxonomy import aggregation_matrix, imagenet_map, load_taxonomy
from labeler.core.generators import collect
from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model


def test_bad_files_are_reported_per_image_and_the_rest_predicted(tmp_path):
    from PIL import Image

    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    good = [write(tmp_path / f"g{i}.jpg", jpeg_bytes((80, 60), seed=i)) for i in range(5)]
    full = jpeg_bytes((200, 150), seed=9)
    truncated = write(tmp_path / "t.jpg", full[: len(full) // 3])
    broken = bytearray(full)
    sos = broken.find(b"\xff\xda")
    for i in range(sos + 100, len(broken) - 100, 7):
        broken[i] = 0xFF if i % 2 else broken[i]
    corrupt = write(tmp_path / "c.jpg", bytes(broken))
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (50, 40), (0, 50, 200, 10)).save(cmyk)
    gray = tmp_path / "gray.jpg"
    Image.new("L", (50, 40), 90).save(gray)
    paths = [*good, truncated, corrupt, cmyk, gray, tmp_path / "gone.jpg"]
    items = [PredictItem(i, str(p)) for i, p in enumerate(paths)]
    events, summary = collect(predict_batches(items, clf, batch_size=4))
    batches = [e for e in events if isinstance(e, PredictedBatch)]
    keys = [k for b in batches for k in b.keys]
    failures = dict(f for b in batches for f in b.failures)
    assert sorted(keys) == [0, 1, 2, 3, 4, 7, 8]
    assert set(failures) == {5, 6, 9}
    assert "truncated" in failures[5]
    assert isinstance(summary, PredictSummary)
    assert summary.predicted == 7 and summary.failed == 3 and not summary.cancelled
    for b in batches:
        if b.keys:
            assert b.probs.shape == (len(b.keys), len(clf.card.labels))
            assert b.thumbs.shape[0] == len(b.keys)


def test_prediction_stops_between_batches_when_cancelled(tmp_path):
    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    items = [
        PredictItem(i, str(write(tmp_path / f"{i}.jpg", jpeg_bytes(seed=i)))) for i in range(40)
    ]
    calls = {"n": 0}

    def stop_after_first_batch() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    events, summary = collect(
        predict_batches(items, clf, batch_size=8, should_stop=stop_after_first_batch)
    )
    assert summary.cancelled
    assert sum(len(e.keys) for e in events if isinstance(e, PredictedBatch)) == 8


def test_taxonomy_has_the_promised_breadth_and_the_map_covers_imagenet():
    taxa = load_taxonomy()
    keys = {t.key for t in taxa}
    assert {"blank", "human", "vehicle", "other"} <= keys
    animals = [
        t for t in taxa if t.observation_type == "animal" and t.klass in ("Mammalia", "Aves")
    ]
    assert len(animals) >= 80
    rows = imagenet_map()
    by_name = {name: taxon for _, name, _, taxon in rows}
    assert by_name["golden retriever"] == "domestic_dog"
    assert by_name["timber wolf"] == by_name["white wolf"] == "gray_wolf"
    assert by_name["tabby"] == by_name["Siamese cat"] == "domestic_cat"
    assert by_name["pickup"] == by_name["jeep"] == "vehicle"
    assert by_name["lakeside"] == "blank"
    assert all(taxon in keys for *_, taxon in rows)


def test_aggregation_gives_probabilities_that_sum_to_one_over_taxa():
    labels = [t.key for t in load_taxonomy()]
    m = aggregation_matrix(labels)
    p = np.random.default_rng(0).dirichlet(np.ones(1000), size=3)
    scores = p @ m
    probs = scores / scores.sum(1, keepdims=True)
    assert np.allclose(probs.sum(1), 1)
    assert (m > 0).sum(axis=1).tolist() == [1] * 1000


def test_top5_is_over_the_project_list_and_unlisted_mass_goes_to_other():
    model_labels = ["blank", "a", "b", "c", "other"]
    probs = np.array([[0.1, 0.5, 0.3, 0.1, 0.0]])
    tops = topk(probs, model_labels, ["blank", "a", "new_species", "other"], k=5)[0]
    assert tops[0] == ("a", pytest.approx(0.5))
    assert dict(tops)["other"] == pytest.approx(0.4)
    assert dict(tops)["new_species"] == 0.0
    assert project_matrix(model_labels, ["other"]).sum() == 5


def test_burst_average_replaces_each_frame_by_the_burst_mean_and_keeps_singletons():
    probs = {1: np.array([1.0, 0.0]), 2: np.array([0.0, 1.0]), 3: np.array([0.3, 0.7])}
    out = burst_average(probs, {1: 10, 2: 10, 3: None})
    assert np.allclose(out[1], [0.5, 0.5]) and np.allclose(out[2], [0.5, 0.5])
    assert np.allclose(out[3], [0.3, 0.7])


def test_ensemble_averages_over_the_union_of_labels():
    labels, p = ensemble(
        [(["a", "b"], np.array([[1.0, 0.0]])), (["b", "c"], np.array([[0.0, 1.0]]))]
    )
    assert labels == ["a", "b", "c"]
    assert np.allclose(p, [[0.5, 0.0, 0.5]])


def test_burst_motion_flags_the_frame_with_an_animal_when_the_background_is_still():
    rng = np.random.default_rng(0)
    bg = rng.integers(60, 120, (32, 32)).astype(np.uint8)
    # Thumbnails average thousands of pixels, so sensor noise in them is about one grey level.
    frames = [
        np.clip(bg.astype(int) + rng.integers(-1, 2, bg.shape), 0, 255).astype(np.uint8)
        for _ in range(4)
    ]
    frames[2][10:18, 12:20] = 250
    motion = burst_motion(frames)
    assert int(np.argmax(motion)) == 2
    scores = BurstAndSceneScorer().scores(frames, [0.5] * 4)
    assert scores[2] < 0.5 < min(scores[0], scores[1], scores[3])
    assert np.isnan(burst_motion(frames[:1])[0])
