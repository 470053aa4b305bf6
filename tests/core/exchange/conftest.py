"""A small labeled project for exchange tests."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.species import ensure_default_species
from labeler.core.store import PredictionRow, Store
from tests.gen import jpeg_bytes, write

T0 = dt.datetime(2023, 4, 2, 6, 30, 0)


def make_card(root):
    for cam in ("CAM_A", "CAM_B"):
        for i in range(6):
            when = T0 + dt.timedelta(minutes=20 * (i // 3), seconds=i % 3)
            write(
                root / cam / f"IMG_{i:04d}.JPG",
                jpeg_bytes((64, 48), seed=i + (0 if cam == "CAM_A" else 50), when=when),
            )
    write(root / "CAM_B" / "notime.jpg", jpeg_bytes((64, 48), seed=99, make=None, model=None))
    return root


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A scanned and partly labeled catalog, copied for each test."""
    base = tmp_path_factory.mktemp("exchange")
    card = make_card(base / "card")
    db = base / "template.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
        ensure_default_species(store)
        ids = {r["path"]: r["id"] for r in store.query("SELECT id, path FROM images")}
        model = store.register_model(
            "m-v1", "m", "pretrained", {"labels": ["blank", "red_fox", "other"]}
        )
        store.set_active_model(model)
        store.write_predictions(model, [
            PredictionRow(i, topk=[("red_fox", 0.7), ("blank", 0.2), ("other", 0.1)], blank_prob=0.2) for i in ids.values()
        ])  # fmt: skip
        store.set_empty_scores(model, dict.fromkeys(ids.values(), 0.25))
        s = LabelSession(store, author="ana")
        s.set_species([ids["CAM_A/IMG_0000.JPG"], ids["CAM_A/IMG_0001.JPG"]], "red_fox", count=2)
        s.mark_blank([ids["CAM_A/IMG_0002.JPG"], ids["CAM_B/IMG_0000.JPG"]])
        s.set_species([ids["CAM_B/IMG_0001.JPG"]], "human")
        s.set_species([ids["CAM_B/IMG_0002.JPG"]], "lion", count=1)
        s.add_species([ids["CAM_B/IMG_0002.JPG"]], "spotted_hyena", count=3)
        s.accept_machine({ids["CAM_A/IMG_0003.JPG"]: ("red_fox", 0.97)}, "m-v1", "auto")
    return card, db


@pytest.fixture
def project(template, tmp_path):
    card, db = template
    copy = tmp_path / "c.sqlite"
    shutil.copy(db, copy)
    store = Store(copy)
    yield store, card
    store.close()
