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


@pytest.fixture
def specs():
    """The official Camtrap DP 1.0 schemas (skipped with the reason when absent)."""
    from tests.conftest import ROOT

    d = ROOT.parent / "shared" / "specs" / "camtrap-dp"
    if not (d / "observations-table-schema.json").is_file():
        pytest.skip("official Camtrap DP schemas not found at ../shared/specs/camtrap-dp")
    return d


def frictionless_errors(package_dir, specs) -> list[str]:
    """Problems frictionless finds in a package, against the local copies of the official
    table schemas (the package names them by URL; nothing is downloaded), plus the Camtrap DP
    profile's own rules checked with jsonschema."""
    import json

    import frictionless
    import jsonschema

    descriptor = json.loads((package_dir / "datapackage.json").read_text())
    local = json.loads(json.dumps(descriptor))
    for r in local["resources"]:
        if r.get("name") in ("deployments", "media", "observations"):
            r["schema"] = json.loads((specs / f"{r['name']}-table-schema.json").read_text())
    local.pop("profile", None)
    report = frictionless.Package(local, basepath=str(package_dir)).validate()
    errors = [f"{e[0]}: {e[1]}" for e in report.flatten(["type", "message"])]
    profile = json.loads((specs / "camtrap-dp-profile.json").read_text())
    offline = json.loads(
        json.dumps(profile)
        .replace('"$ref": "https://specs.frictionlessdata.io/schemas/data-package.json"', '"type": "object"')
        .replace('"$ref": "http://json.schemastore.org/geojson.json"', '"required": ["type"]')
    )  # fmt: skip
    errors += [e.message for e in jsonschema.Draft4Validator(offline).iter_errors(descriptor)]
    return errors


@pytest.fixture(scope="session")
def shared_catalog(tmp_path_factory):
    """The whole shared folder scanned once per session (copied for each test that uses it)."""
    from tests.conftest import shared_data_dir

    data = shared_data_dir()
    if data is None:
        pytest.skip("real camera-trap images not found: set LABELER_TEST_DATA or place them at "
                    "../shared/data/camera_traps")  # fmt: skip
    db = tmp_path_factory.mktemp("shared") / "shared.sqlite"
    with Store(db) as store:
        scan_to_end(store, data)
        ensure_default_species(store)
    return data, db
