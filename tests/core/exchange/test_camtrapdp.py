"""Camtrap DP: validated with frictionless, events, metadata, hostile cells, import round trip."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from labeler.core.exchange.camtrapdp import (
    IncompleteDeployments,
    export_camtrapdp,
    missing_coordinates,
)
from labeler.core.exchange.camtrapdp_in import import_camtrapdp
from labeler.core.exchange.camtrapdp_meta import check_settings, read_settings
from labeler.core.exchange.validate import BadValue
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.store import Observation, Store
from tests.core.exchange.conftest import frictionless_errors
from tests.gen import jpeg_bytes, write

SETTINGS = {
    "title": "Stream cameras 2023",
    "project": {"title": "Otters on the Dijle", "acronym": "OD", "samplingDesign": "targeted",
                "captureMethod": ["activityDetection"], "individualAnimals": False},
    "contributors": [{"title": "Ana Silva", "email": "ana@example.org", "role": "principalInvestigator"},
                     {"title": "Field Station", "role": "rightsHolder"}],
    "licenses": [{"name": "CC0-1.0", "scope": "data"}, {"name": "CC-BY-4.0", "scope": "media"}],
    "keywords": ["otter", "camera trap"],
}  # fmt: skip


def _table(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _place(store, **extra):
    for folder in store.deployments():
        store.set_deployment(
            folder, latitude=50.88, longitude=4.70, timezone="Europe/Brussels", **extra
        )


def test_the_shared_folder_validates_with_frictionless_once_coordinates_are_set(
    shared_catalog, specs, tmp_path
):
    _data, template = shared_catalog
    shutil.copy(template, tmp_path / "c.sqlite")
    with Store(tmp_path / "c.sqlite") as store:
        deployments = sorted(d or "root" for d in store.deployments())
        with pytest.raises(IncompleteDeployments) as info:
            run_to_end(export_camtrapdp(store, tmp_path / "refused"))
        assert sorted(info.value.missing) == deployments and len(deployments) > 100
        assert not (tmp_path / "refused").exists(), "nothing is written when it is refused"
        message = str(info.value)
        assert message.startswith(f"{len(deployments)} deployment(s) lack latitude/longitude")
        assert deployments[0] in message and "more (`labeler deployments FOLDER`" in message
        assert "\n" not in message
        _place(store)
        report = run_to_end(export_camtrapdp(store, tmp_path / "package", settings=SETTINGS))
    assert frictionless_errors(tmp_path / "package", specs) == []
    assert report["media"] > 1400 and report["deployments"] == len(deployments)


def test_an_incomplete_package_is_written_only_when_allowed_and_then_fails_validation(
    project, specs, tmp_path
):
    store, _ = project
    assert missing_coordinates(store) == ["CAM_A", "CAM_B"]
    report = run_to_end(export_camtrapdp(store, tmp_path / "p", allow_incomplete=True))
    assert any("lack latitude/longitude" in p and "CAM_A" in p for p in report["problems"])
    errors = frictionless_errors(tmp_path / "p", specs)
    assert errors and all("latitude" in e or "longitude" in e for e in errors)


def test_events_carry_one_observation_per_burst_and_species_with_its_count(
    project, specs, tmp_path
):
    store, _ = project
    _place(store)
    ids = store.image_ids_by_path()
    session = LabelSession(store, author="ana")
    session.set_species([ids["CAM_A/IMG_0004.JPG"]], "red_fox", count=1)
    session.set_species([ids["CAM_A/IMG_0005.JPG"]], "red_fox", count=4)
    report = run_to_end(export_camtrapdp(store, tmp_path / "p", settings=SETTINGS))
    assert frictionless_errors(tmp_path / "p", specs) == []
    obs = _table(tmp_path / "p" / "observations.csv")
    events = [o for o in obs if o["observationLevel"] == "event"]
    assert report["events"] == len(events) > 0
    by_event = {}
    for e in events:
        by_event.setdefault(e["eventID"], []).append(e)
    media = {m["mediaID"]: m["filePath"] for m in _table(tmp_path / "p" / "media.csv")}
    burst = {
        o["eventID"] for o in obs if o["mediaID"] and media[o["mediaID"]] == "CAM_A/IMG_0004.JPG"
    }
    (second,) = burst  # frames 3-5 of CAM_A: auto-accepted fox, fox x1, fox x4
    (fox,) = by_event[second]
    assert fox["scientificName"] == "Vulpes vulpes" and fox["count"] == "4" and fox["mediaID"] == ""
    assert fox["classificationMethod"] == "human" and fox["eventStart"] < fox["eventEnd"]
    first = {
        o["eventID"] for o in obs if o["mediaID"] and media[o["mediaID"]] == "CAM_A/IMG_0000.JPG"
    }
    assert [e["scientificName"] for e in by_event[first.pop()]] == [
        "Vulpes vulpes"
    ]  # blank frame joins
    two = {
        o["eventID"] for o in obs if o["mediaID"] and media[o["mediaID"]] == "CAM_B/IMG_0002.JPG"
    }
    # CAM_B's first burst: a blank frame, a person, then a lion with a hyena.
    assert sorted((e["observationType"], e["scientificName"]) for e in by_event[two.pop()]) == [
        ("animal", "Crocuta crocuta"),
        ("animal", "Panthera leo"),
        ("human", ""),
    ]
    pkg = json.loads((tmp_path / "p" / "datapackage.json").read_text())
    assert pkg["project"]["observationLevel"] == ["media", "event"]


def test_project_contributors_and_licences_come_from_the_settings_file(project, specs, tmp_path):
    store, _ = project
    _place(store)
    path = tmp_path / "project.json"
    path.write_text(json.dumps(SETTINGS))
    settings = read_settings(path)
    store.set_meta("camtrapdp_project", settings)
    report = run_to_end(export_camtrapdp(store, tmp_path / "p"))
    pkg = json.loads((tmp_path / "p" / "datapackage.json").read_text())
    assert pkg["title"] == "Stream cameras 2023" and pkg["keywords"] == ["otter", "camera trap"]
    assert pkg["project"]["samplingDesign"] == "targeted" and pkg["project"]["acronym"] == "OD"
    assert [c["title"] for c in pkg["contributors"]] == ["Ana Silva", "Field Station"]
    assert {lic["scope"] for lic in pkg["licenses"]} == {"data", "media"}
    assert not any("defaults" in p for p in report["problems"])
    assert frictionless_errors(tmp_path / "p", specs) == []
    for bad, phrase in (({"project": {"samplingDesign": "random"}}, "samplingDesign"),
                        ({"contributors": [{"role": "boss", "title": "x"}]}, "role"),
                        ({"licenses": [{"name": "CC0-1.0", "scope": "data"}]}, "scope 'media'"),
                        ([1, 2], "JSON object")):  # fmt: skip
        with pytest.raises(BadValue, match=phrase):
            check_settings(bad)


def test_formula_cells_bad_times_and_out_of_range_values_never_break_the_package(
    project, specs, tmp_path
):
    store, _ = project
    _place(store, location_name="=HYPERLINK(\"http://x\")", habitat="@SUM(1+1)", setup_by="\tcmd",
           comments="+1 trail", camera_height=1.2)  # fmt: skip
    ids = store.image_ids_by_path()
    store.add_species("evil", "=cmd|' /C calc'!A0", None)
    store.apply_labels({
        ids["CAM_A/IMG_0004.JPG"]: [Observation("animal", "red_fox", 2, "human", "-ana", None, 0, "not-a-date")],
        ids["CAM_A/IMG_0005.JPG"]: [Observation("animal", "red_fox", None, "machine", "m-v1", 1.7)],
        ids["CAM_B/IMG_0003.JPG"]: [Observation("animal", "evil", 1, "human", "ana")],
    }, kind="import")  # fmt: skip
    report = run_to_end(export_camtrapdp(store, tmp_path / "p", settings=SETTINGS))
    assert frictionless_errors(tmp_path / "p", specs) == []
    for name in ("deployments", "media", "observations"):
        for row in _table(tmp_path / "p" / f"{name}.csv"):
            for value in row.values():
                if value.startswith(("=", "+", "-", "@", "\t", "\r")):
                    float(value)  # only numbers may start like a formula
    obs = _table(tmp_path / "p" / "observations.csv")
    by_media = {o["mediaID"]: o for o in obs if o["observationLevel"] == "media"}
    assert by_media[f"m{ids['CAM_A/IMG_0004.JPG']}"]["classificationTimestamp"] == ""
    assert by_media[f"m{ids['CAM_A/IMG_0004.JPG']}"]["classifiedBy"] == "'-ana"
    assert by_media[f"m{ids['CAM_A/IMG_0005.JPG']}"]["classificationProbability"] == ""
    assert by_media[f"m{ids['CAM_B/IMG_0003.JPG']}"]["observationComments"].startswith(
        "species: =cmd"
    )
    text = " ".join(report["problems"])
    assert "not a date" in text and "outside 0-1" in text
    store.set_deployment("CAM_A", latitude=95.0)
    assert missing_coordinates(store) == ["CAM_A"]


def test_a_package_imported_into_a_fresh_catalog_keeps_every_observation(project, tmp_path):
    store, card = project
    _place(store, location_name="Stream", coordinate_uncertainty=30)
    first = tmp_path / "first"
    run_to_end(export_camtrapdp(store, first, settings=SETTINGS))
    with Store(tmp_path / "fresh.sqlite") as fresh:
        scan_to_end(fresh, card)
        report = run_to_end(import_camtrapdp(fresh, first))
        assert report.images_updated == 7 and not report.unmatched and not report.species.unmatched
        assert fresh.deployments()["CAM_A"]["latitude"] == 50.88
        assert fresh.deployments()["CAM_A"]["location_name"] == "Stream"
        second = tmp_path / "second"
        run_to_end(export_camtrapdp(fresh, second, settings=SETTINGS))

    def observations(folder):
        media = {m["mediaID"]: m["filePath"] for m in _table(folder / "media.csv")}
        keep = ("observationLevel", "observationType", "scientificName", "count", "classificationMethod",
                "classifiedBy", "classificationTimestamp", "classificationProbability", "eventStart",
                "eventEnd", "observationComments")  # fmt: skip
        return sorted(
            (media.get(o["mediaID"], ""), *(o[k] for k in keep))
            for o in _table(folder / "observations.csv")
        )

    assert observations(first) == observations(second)


def test_a_foreign_package_with_event_level_observations_labels_its_media(specs, tmp_path):
    example = specs / "example"
    media = _table(example / "media.csv")[:20]
    card = tmp_path / "card"
    for i, m in enumerate(media):
        write(card / "cam" / m["fileName"], jpeg_bytes((48, 36), seed=i))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card)
        report = run_to_end(import_camtrapdp(store, example))
        # Only the blanks match the bundled taxonomy; the mallards are listed, not invented.
        assert report.images_updated == 3 and not report.refused and not report.species_added
        assert report.species.to_json()["unmatched"] == {"mallard": 17}
        report = run_to_end(import_camtrapdp(store, example, add_unknown=True))
        assert report.images_updated == 20 and report.species_added == ["mallard"]
        mallard = next(s for s in store.species() if s.key == "mallard")
        assert mallard.scientific_name == "Anas platyrhynchos"
        dep = store.deployments()["cam"]
        assert (dep["latitude"], dep["longitude"], dep["utc_offset"]) == (51.496, 4.774, "+02:00")
