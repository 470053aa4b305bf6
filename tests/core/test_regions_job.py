"""Regions in the catalog: built-in regions kept, detector runs, sources never mixed, and a
card pulled in the middle of a run."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from inference.models import load_classifier
from inference.pipeline import PredictProgress
from labeler.cli import main
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.predict_job import run_predict
from labeler.core.regions import BUILTIN_SOURCE, plan_regions
from labeler.core.store import Store
from tests.inference.test_regions import scene, with_animal
from tests.models import make_tiny_detector, make_tiny_model


@pytest.fixture
def burst_card(tmp_path):
    """One camera folder: empty frames of a scene, then an animal crossing it."""
    card = tmp_path / "card"
    (card / "cam").mkdir(parents=True)
    for i in range(8):
        frame = scene(i) if i < 4 else with_animal(scene(i), 10 + 30 * (i - 4), 60)
        Image.fromarray(frame).save(card / "cam" / f"IMG_{i:04d}.JPG", quality=95)
    return card


def test_builtin_regions_are_kept_and_the_model_version_names_its_region_source(
    tmp_path, burst_card
):
    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, burst_card)
        report = run_to_end(run_predict(store, str(burst_card), clf, regions="builtin"))
        assert report.predicted == 8 and report.model_version.endswith("@builtin-v1")
        assert "built-in" in report.regions
        regions = store.detections(source=BUILTIN_SOURCE)
        ids = store.image_ids_by_path()
        for i in range(4, 8):
            image = ids[f"cam/IMG_{i:04d}.JPG"]
            x = (10 + 30 * (i - 4) + 10) / 160
            assert any(d.bbox[0] <= x <= d.bbox[0] + d.bbox[2] for d in regions[image])
        model = store.active_model()
        cropped = store.scalar(
            "SELECT count(*) FROM image_predictions WHERE model_id=? AND cropped=1", (model["id"],)
        )
        assert cropped == report.cropped >= 4
        # Whole-frame predictions are another model: their embeddings never mix with these.
        whole = run_to_end(run_predict(store, str(burst_card), clf, regions="none"))
        assert whole.model_version.endswith("@whole-v1") and whole.predicted == 8
        assert store.model_id(whole.model_version) != model["id"]
        assert len(store.embeddings(model["id"])[0]) == 8


def test_detector_boxes_become_the_regions_predictions_crop_from(tmp_path, burst_card, capsys):
    detector = make_tiny_detector(tmp_path / "det" / "md.onnx")
    db = str(tmp_path / "c.sqlite")
    assert main(["detect", str(burst_card), "--db", db, "--model", str(detector), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["detected"] == 8 and data["source"] == "detector:md.onnx"
    assert main(["detect", str(burst_card), "--db", db, "--model", str(detector), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["detected"] == 0 and again["already_done"] == 8
    model = make_tiny_model(tmp_path / "m")
    assert main(["predict", str(burst_card), "--db", db, "--model", str(model), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["regions"] == "detector boxes from detector:md.onnx"
    with Store(db) as store:
        assert plan_regions(store).source == "detector:md.onnx"
        assert "@boxes-" in store.active_model()["version"]


def test_a_broken_detector_file_gets_one_line_and_prediction_goes_on(tmp_path, burst_card, capsys):
    bad = make_tiny_detector(tmp_path / "det" / "bad.onnx", layout="bad")
    db = str(tmp_path / "c.sqlite")
    with pytest.raises(SystemExit) as info:
        main(["detect", str(burst_card), "--db", db, "--model", str(bad)])
    message = str(info.value.code)
    assert message.startswith("labeler: cannot use detector") and "\n" not in message
    model = make_tiny_model(tmp_path / "m")
    assert main(["predict", str(burst_card), "--db", db, "--model", str(model), "--json"]) == 0
    assert "built-in" in json.loads(capsys.readouterr().out)["regions"]


def test_a_card_pulled_mid_run_pauses_it_and_the_next_run_predicts_each_image_once(tmp_path):
    card = tmp_path / "card"
    for k, cam in enumerate(("a", "b")):
        (card / cam).mkdir(parents=True)
        for i in range(12):
            Image.fromarray(scene(i + 100 * k)).save(card / cam / f"{i:03d}.jpg")
    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card)
        gen = run_predict(store, str(card), clf, batch_size=4, regions="builtin")
        pulled = False
        while True:
            try:
                event = next(gen)
            except StopIteration as stop:
                report = stop.value
                break
            if isinstance(event, PredictProgress) and event.done >= 4 and not pulled:
                os.rename(card, tmp_path / "away")  # the card is pulled out
                pulled = True
        assert pulled and report.paused and "media unavailable" in report.paused
        assert report.unavailable > 0 and report.failed == 0
        model_id = store.active_model()["id"]
        first = store.prediction_counts(model_id)
        assert first["failed"] == 0 and first["predicted"] < 24
        os.rename(tmp_path / "away", card)  # and comes back
        again = run_to_end(run_predict(store, str(card), clf, batch_size=4, regions="builtin"))
        assert again.paused is None and again.already_done == first["predicted"]
        rows = store.query(
            "SELECT image_id, count(*) FROM image_predictions WHERE model_id=? GROUP BY image_id",
            (model_id,),
        )
        assert len(rows) == 24 and all(n == 1 for _i, n in rows)
        assert store.prediction_counts(model_id) == {"predicted": 24, "failed": 0}
        assert np.isfinite(store.embeddings(model_id)[1]).all()
