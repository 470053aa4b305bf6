"""The exchange verbs end to end: species added once with their own scientific names, imports
told apart by their content with a dry run, a Camtrap DP package built from settings files."""

from __future__ import annotations

import json

import pytest

from labeler.cli import main
from labeler.core.store import Store
from tests.core.exchange.conftest import frictionless_errors, make_card


@pytest.fixture
def scanned(tmp_path, capsys):
    card = make_card(tmp_path / "card")
    db = tmp_path / "c.sqlite"
    assert main(["scan", str(card), "--db", str(db)]) == 0
    capsys.readouterr()
    return card, db


def test_species_add_matches_existing_names_and_pairs_each_scientific_name(scanned, capsys):
    card, db = scanned
    args = ["species", str(card), "--db", str(db), "--json"]
    assert main([*args, "--add", "Burrowing Owl", "--add", "Jaguarundi", "--scientific",
                 "Herpailurus yagouaroundi", "--add", "Fossa", "--scientific", "Cryptoprocta ferox"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["added"] == ["jaguarundi", "fossa"] and data["already_listed"] == ["burrowing_owl"]
    rows = {s["key"]: s for s in data["species"]}
    assert rows["jaguarundi"]["scientific_name"] == "Herpailurus yagouaroundi"
    assert rows["fossa"]["scientific_name"] == "Cryptoprocta ferox"
    assert not any(k.startswith("burrowing_owl_") for k in rows)
    with pytest.raises(SystemExit, match="nothing added"):
        main([*args, "--add", "burrowing owls"])
    with pytest.raises(SystemExit) as info:
        main([*args, "--scientific", "Tyto alba"])
    assert info.value.code == 2
    assert "--scientific must follow the --add" in capsys.readouterr().err


def test_import_tells_the_format_from_the_file_and_dry_run_shows_the_mapping(
    scanned, tmp_path, capsys
):
    card, db = scanned
    timelapse = tmp_path / "tl.csv"
    timelapse.write_text("File,RelativePath,DateTime,DeleteFlag,Species,Count\r\n"
                         "IMG_0001.JPG,CAM_A,2023-04-02 06:30:01,false,Red Foxes,2\r\n"
                         "IMG_0002.JPG,CAM_A,2023-04-02 06:30:02,false,Fossa,1\r\n")  # fmt: skip
    assert main(["import", str(card), "--db", str(db), "--in", str(timelapse), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "dry run (nothing changed)" in text and "'Red Foxes' -> red_fox" in text
    assert "names matching no species: Fossa (1)" in text and "--add-species" in text
    with Store(db) as store:
        assert store.label_counts()["labeled"] == 0
    assert (
        main(
            [
                "import",
                str(card),
                "--db",
                str(db),
                "--in",
                str(timelapse),
                "--add-species",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "timelapse" and data["images_updated"] == 2
    assert data["species_added"] == ["fossa"]


def test_a_camtrapdp_export_takes_its_deployments_and_project_from_files(
    scanned, tmp_path, capsys, specs
):
    card, db = scanned
    deployments = tmp_path / "deployments.csv"
    deployments.write_text("folder,latitude,longitude,timezone,locationName\n"
                           "CAM_A,51.5,4.77,Europe/Brussels,Stream\nCAM_B,-2.33,34.83,Africa/Nairobi,Plain\n")  # fmt: skip
    project = tmp_path / "project.json"
    project.write_text(json.dumps({"title": "Two cameras", "project": {"samplingDesign": "targeted"},
                                   "contributors": [{"title": "Ana Silva", "role": "contact"}]}))  # fmt: skip
    out = tmp_path / "package"
    args = ["export", str(card), "--db", str(db), "--format", "camtrapdp", "--out", str(out)]
    with pytest.raises(
        SystemExit, match="2 deployment\\(s\\) lack latitude/longitude.*CAM_A, CAM_B"
    ):
        main(args)
    assert not out.exists()
    assert (
        main([*args, "--deployments", str(deployments), "--project", str(project), "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["media"] == 13 and frictionless_errors(out, specs) == []
    package = json.loads((out / "datapackage.json").read_text())
    assert package["title"] == "Two cameras" and package["contributors"][0]["title"] == "Ana Silva"
    assert main([*args, "--json"]) == 0, (
        "deployments and project settings are kept for the next export"
    )
    assert json.loads((out / "datapackage.json").read_text())["title"] == "Two cameras"
