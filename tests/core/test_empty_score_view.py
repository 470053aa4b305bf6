"""The grid and the panel show one empty-frame score: the model's (with its own region evidence),
or an imported detector file's confidence where the user brought one."""

from __future__ import annotations

import json

import numpy as np

from inference.models import load_classifier
from labeler.core.catalog_view import load_snapshot
from labeler.core.exchange.megadetector import import_megadetector
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.predict_job import run_predict
from labeler.core.store import Store
from tests.models import make_tiny_model
from tests.ui.conftest import make_burst_card


def test_the_built_in_localizer_regions_do_not_replace_the_empty_score(tmp_path):
    card = make_burst_card(tmp_path / "card")
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card)
        clf = load_classifier(make_tiny_model(tmp_path / "m"))
        run_to_end(run_predict(store, str(card), clf, regions="builtin"))
        model = store.active_model()["id"]
        assert store.region_sources(), "the localizer's regions are stored"
        snap = load_snapshot(store, model)
        panel = [store.image_facts(int(i), model)["empty_score"] for i in snap.ids]
        assert np.allclose(snap.empty_score, np.array(panel, float))
        md = tmp_path / "md.json"
        path = "A/IMG_0001.JPG"
        md.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                                  "images": [{"file": path, "detections": [{"category": "1", "conf": 0.9,
                                                                             "bbox": [0.1, 0.1, 0.2, 0.2]}]}]}))  # fmt: skip
        run_to_end(import_megadetector(store, md))
        snap = load_snapshot(store, model)
        image = store.image_ids_by_path()[path]
        assert abs(snap.empty_score[snap.row_of(image)] - 0.1) < 1e-6, "the imported box decides"
        assert abs(store.image_facts(image, model)["empty_score"] - 0.1) < 1e-6
