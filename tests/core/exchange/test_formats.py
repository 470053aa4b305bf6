"""Camtrap DP tables against the official schemas, MegaDetector in and out, COCO Camera Traps."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest

from labeler.core.exchange.camtrapdp import export_camtrapdp, read_deployments_csv
from labeler.core.exchange.coco import export_coco
from labeler.core.exchange.megadetector import (
    MegaDetectorFormatError,
    export_megadetector,
    import_megadetector,
)
from labeler.core.exchange.tableschema import check_foreign_keys, validate_csv
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.store import Store
from tests.conftest import ROOT


@pytest.fixture
def specs() -> Path:
    d = ROOT.parent / "shared" / "specs" / "camtrap-dp"
    if not (d / "observations-table-schema.json").is_file():
        pytest.skip("official Camtrap DP schemas not found at ../shared/specs/camtrap-dp")
    return d


def _deployments_csv(tmp_path) -> Path:
    p = tmp_path / "deployments.csv"
    p.write_text(
        "folder,latitude,longitude,utcOffset,locationName,featureType,cameraHeight\n"
        "CAM_A,51.496,4.774,+02:00,Stream,trailGame,0.8\n"
        "CAM_B,-2.33,34.83,+03:00,Plain,,1.2\n"
    )
    return p


def _validate_package(out: Path, specs: Path) -> list[str]:
    schemas = {
        n: json.loads((specs / f"{n}-table-schema.json").read_text())
        for n in ("deployments", "media", "observations")
    }
    problems = []
    for name, schema in schemas.items():
        problems += [f"{name}: {e}" for e in validate_csv(str(out / f"{name}.csv"), schema)]
    problems += check_foreign_keys({n: str(out / f"{n}.csv") for n in schemas}, schemas)
    profile = json.loads((specs / "camtrap-dp-profile.json").read_text())
    # The profile refers to the generic Data Package and GeoJSON schemas online; offline they
    # are treated as "any object" and only the Camtrap DP rules are checked.
    registry_free = json.loads(
        json.dumps(profile)
        .replace(
            '"$ref": "https://specs.frictionlessdata.io/schemas/data-package.json"',
            '"type": "object"',
        )
        .replace('"$ref": "http://json.schemastore.org/geojson.json"', '"required": ["type"]')
    )
    jsonschema.validate(json.loads((out / "datapackage.json").read_text()), registry_free)
    return problems


def test_every_camtrapdp_table_validates_against_the_official_schemas(project, specs, tmp_path):
    store, _ = project
    for folder, values in read_deployments_csv(_deployments_csv(tmp_path)).items():
        store.set_deployment(folder, **values)
    out = tmp_path / "package"
    report = run_to_end(export_camtrapdp(store, out))
    assert _validate_package(out, specs) == []
    assert report["deployments"] == 2 and report["media"] == 13
    assert report["observations"] - report["events"] == 14
    with open(out / "observations.csv", newline="") as f:
        obs = list(csv.DictReader(f))
    obs = [o for o in obs if o["observationLevel"] == "media"]
    machine = [o for o in obs if o["classificationMethod"] == "machine"]
    assert (
        machine
        and machine[0]["classificationProbability"] == "0.97"
        and machine[0]["classifiedBy"] == "m-v1"
    )
    human = [o for o in obs if o["classificationMethod"] == "human"]
    assert all(o["classificationProbability"] == "" for o in human)
    assert {o["observationType"] for o in obs} == {"animal", "blank", "human", "unclassified"}
    lion = next(o for o in obs if o["scientificName"] == "Panthera leo")
    assert lion["count"] == "1" and lion["classifiedBy"] == "ana"
    with open(out / "media.csv", newline="") as f:
        media = {m["filePath"]: m for m in csv.DictReader(f)}
    assert media["CAM_A/IMG_0000.JPG"]["timestamp"] == "2023-04-02T06:30:00+02:00"
    assert any("no capture time" in p for p in report["problems"])
    pkg = json.loads((out / "datapackage.json").read_text())
    assert pkg["spatial"]["type"] == "Polygon"
    assert {t["scientificName"] for t in pkg["taxonomic"]} >= {
        "Vulpes vulpes",
        "Panthera leo",
        "Crocuta crocuta",
    }


def test_missing_coordinates_are_reported_plainly(project, specs, tmp_path):
    store, _ = project
    report = run_to_end(export_camtrapdp(store, tmp_path / "p", allow_incomplete=True))
    assert any("lack latitude/longitude" in p and "CAM_A" in p for p in report["problems"])
    assert any("no time zone" in p for p in report["problems"])
    problems = _validate_package(tmp_path / "p", specs)
    assert problems and all("latitude" in p or "longitude" in p for p in problems)


def test_megadetector_export_reimports_with_identical_classifications(project, tmp_path):
    store, _ = project
    out = tmp_path / "md.json"
    run_to_end(export_megadetector(store, out, store.active_model()["id"]))
    data = json.loads(out.read_text())
    assert data["info"]["format_version"] == "1.4" and data["detection_categories"]["1"] == "animal"
    by_file = {i["file"]: i for i in data["images"]}
    det = by_file["CAM_A/IMG_0004.JPG"]["detections"][0]
    assert det["bbox"] == [0.0, 0.0, 1.0, 1.0] and det["conf"] == pytest.approx(0.75)
    report = run_to_end(import_megadetector(store, out))
    assert report.matched == 13 and not report.unmatched
    stored = store.detections(source="md.json")
    names = data["classification_categories"]
    for entry in data["images"]:
        if not entry["detections"]:
            continue
        image_id = store.image_ids_by_path()[entry["file"]]
        want = [(names[c], s) for c, s in entry["detections"][0]["classifications"]]
        assert list(stored[image_id][0].classifications) == want


def test_megadetector_import_refuses_hostile_paths_and_keeps_failures(project, tmp_path):
    store, _ = project
    src = tmp_path / "boxes.json"
    src.write_text(json.dumps({
        "info": {"format_version": "3.0"},
        "detection_categories": {"1": "animal", "2": "person"},
        "images": [
            {"file": "CAM_A/IMG_0004.JPG", "detections": [{"category": "1", "conf": 0.93, "bbox": [0.1, 0.2, 0.3, 0.4]}]},
            {"file": "CAM_A\\\\IMG_0005.JPG", "detections": []},
            {"file": "../../etc/passwd", "detections": []},
            {"file": "/abs/x.jpg", "detections": []},
            {"file": "CAM_B/IMG_0003.JPG", "failure": "Failure image access", "detections": None},
            {"file": "CAM_Z/unknown.jpg", "detections": []},
        ],
    }))  # fmt: skip
    report = run_to_end(import_megadetector(store, src))
    assert report.matched == 3 and report.failures == 1 and len(report.refused) == 1
    assert sorted(report.unmatched) == ["CAM_Z/unknown.jpg", "abs/x.jpg"]
    assert any("3.0" in w for w in report.warnings)
    ids = store.image_ids_by_path()
    boxes = store.detections([ids["CAM_A/IMG_0004.JPG"]])
    assert boxes[ids["CAM_A/IMG_0004.JPG"]][0].bbox == (0.1, 0.2, 0.3, 0.4)
    empty = store.detector_empty_scores()
    assert empty[ids["CAM_A/IMG_0005.JPG"]] == 1.0 and empty[
        ids["CAM_A/IMG_0004.JPG"]
    ] == pytest.approx(0.07)
    assert ids["CAM_B/IMG_0003.JPG"] not in empty
    with pytest.raises(MegaDetectorFormatError):
        (tmp_path / "junk.json").write_text("[1, 2]")
        run_to_end(import_megadetector(store, tmp_path / "junk.json"))


def test_shared_megadetector_file_imports_boxes_for_the_shared_images(shared_data, tmp_path):
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, shared_data)
        report = run_to_end(import_megadetector(store, shared_data / "megadetector_v5a_animl.json"))
        assert report.matched == report.images == 34 and report.detections > 0
        boxes = store.detections(source="megadetector_v5a_animl.json")
        assert all(
            d.bbox is not None and 0 <= d.bbox[0] <= 1 for dets in boxes.values() for d in dets
        )


def test_coco_camera_traps_has_images_sequences_annotations_and_categories(project, tmp_path):
    store, _ = project
    out = tmp_path / "coco.json"
    report = run_to_end(export_coco(store, out))
    data = json.loads(out.read_text())
    assert report["images"] == len(data["images"]) == 13
    assert data["categories"][0] == {"id": 0, "name": "empty"}
    burst = [i for i in data["images"] if i.get("seq_id")]
    assert burst and {"seq_num_frames", "frame_num", "datetime"} <= set(burst[0])
    cats = {c["id"]: c["name"] for c in data["categories"]}
    names = sorted(cats[a["category_id"]] for a in data["annotations"])
    assert names.count("Red fox") == 3 and "empty" in names and "Spotted hyena" in names
    assert {a["image_id"] for a in data["annotations"]} <= {i["id"] for i in data["images"]}
