"""CSV export and import: columns, formula safety, exact round trip, hostile input refused."""

from __future__ import annotations

import csv
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler.core.exchange.csv_io import (
    COLUMNS,
    cell,
    export_csv,
    export_suggestions_csv,
    import_csv,
    uncell,
)
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.species import default_species
from labeler.core.species_match import SpeciesMatcher, normalize, undecided
from labeler.core.store import Store


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _labels(path) -> list[tuple]:
    keep = ("path", "common_name", "scientific_name", "species_key", "count", "observation_type",
            "classification_method", "classified_by", "classification_probability", "decision_timestamp")  # fmt: skip
    return sorted(tuple(r[k] for k in keep) for r in _read(path))


def test_csv_has_the_documented_columns_and_one_row_per_observation(project, tmp_path):
    store, _ = project
    out = tmp_path / "labels.csv"
    result = run_to_end(export_csv(store, out))
    rows = _read(out)
    assert list(rows[0]) == COLUMNS
    assert result["rows"] == len(rows) == 14  # 13 images, one with two species
    two = [r for r in rows if r["path"] == "CAM_B/IMG_0002.JPG"]
    assert [(r["common_name"], r["count"]) for r in two] == [("Lion", "1"), ("Spotted hyena", "3")]
    machine = next(r for r in rows if r["classification_method"] == "machine")
    assert machine["classification_probability"] == "0.97" and machine["model_version"] == "m-v1"
    assert {r["observation_type"] for r in rows} >= {"animal", "blank", "human", "unclassified"}
    untimed = next(r for r in rows if r["path"] == "CAM_B/notime.jpg")
    assert untimed["timestamp"] == ""


def test_formulas_are_neutralised_and_numbers_stay_numeric():
    assert cell("=SUM(A1)") == "'=SUM(A1)"
    assert cell("+1") == "'+1" and cell("-1") == "'-1" and cell("@x") == "'@x"
    assert cell("\tx") == "'\tx"
    assert cell(3) == 3 and cell(0.5) == 0.5
    assert cell("'quoted") == "''quoted"
    for text in ("=1", "'a", "plain", "a\x00b"):
        assert uncell(cell(text)) == text


def test_suggestions_csv_has_top5_per_image(project, tmp_path):
    store, _ = project
    out = tmp_path / "s.csv"
    run_to_end(export_suggestions_csv(store, out, store.active_model()["id"]))
    rows = _read(out)
    assert len(rows) == 13
    assert rows[0]["suggestion_1"] == "Red fox" and float(rows[0]["score_1"]) == 0.7
    assert rows[0]["empty_score"] == "0.25"


def test_round_trip_into_a_fresh_project_gives_identical_labels(project, tmp_path):
    store, card = project
    first = tmp_path / "first.csv"
    run_to_end(export_csv(store, first))
    with Store(tmp_path / "fresh.sqlite") as fresh:
        scan_to_end(fresh, card)
        report = run_to_end(import_csv(fresh, first))
        assert report.images_updated == 7 and not report.refused and not report.unmatched
        second = tmp_path / "second.csv"
        run_to_end(export_csv(fresh, second))
    assert _labels(first) == _labels(second)


def test_import_refuses_paths_leaving_the_folder_and_matches_nothing_outside_it(project, tmp_path):
    store, card = project
    before = sorted(p.name for p in card.rglob("*"))
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "common_name"])
        for p in ["/etc/passwd", "../outside.jpg", "CAM_A/../../x.jpg", "C:\\\\Windows\\\\x.jpg",
                  "\\\\\\\\server\\\\share\\\\x.jpg", "~/x.jpg", "CAM_A/NOT_THERE.JPG", "CAM_A/IMG_0004.JPG"]:  # fmt: skip
            w.writerow([p, "Red fox"])
    report = run_to_end(import_csv(store, bad))
    assert len(report.refused) == 2 and all("leaving the folder" in r for r in report.refused)
    # Absolute, drive, UNC and home paths only ever select a catalog image by their tail.
    assert sorted(report.unmatched) == sorted(
        ["etc/passwd", "Windows/x.jpg", "server/share/x.jpg", "x.jpg", "CAM_A/NOT_THERE.JPG"]
    )
    assert report.images_updated == 1
    assert sorted(p.name for p in card.rglob("*")) == before
    assert not (tmp_path / "outside.jpg").exists()


def test_an_import_is_one_undoable_action(project, tmp_path):
    store, _ = project
    src = tmp_path / "in.csv"
    with open(src, "w", newline="") as f:
        csv.writer(f).writerows(
            [
                ["path", "common_name"],
                ["CAM_A/IMG_0004.JPG", "Coyote"],
                ["CAM_A/IMG_0005.JPG", "Coyote"],
            ]
        )
    report = run_to_end(import_csv(store, src))
    ids = store.image_ids_by_path()
    assert (
        store.labels([ids["CAM_A/IMG_0004.JPG"]])[ids["CAM_A/IMG_0004.JPG"]][0].species_key
        == "coyote"
    )
    store.revert_action(report.action_id)
    assert store.labels([ids["CAM_A/IMG_0004.JPG"]])[ids["CAM_A/IMG_0004.JPG"]] == []


_TAXONOMY = SpeciesMatcher(default_species())
HOSTILE = st.text(
    alphabet=st.sampled_from(
        list(string.ascii_letters + "=+-@'\",;\n\r\t\x00 \u202e\u200f\u00e9\U0001f98a")
    ),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip() != "" and not undecided(s) and _TAXONOMY.key(s) is None)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # Names equal but for case, punctuation or plural are one species by design.
    names=st.lists(HOSTILE, min_size=1, max_size=3, unique_by=lambda s: normalize(s) or s.strip()),
    count=st.integers(1, 50),
)
def test_hostile_species_names_round_trip_exactly(template, tmp_path_factory, names, count):
    card, db = template
    work = tmp_path_factory.mktemp("rt")
    import shutil

    shutil.copy(db, work / "a.sqlite")
    with Store(work / "a.sqlite") as store:
        ids = sorted(store.image_ids_by_path().values())
        s = LabelSession(store)
        from labeler.core.species import new_species_key

        for k, name in enumerate(names):
            key = new_species_key(name, {x.key for x in store.species()})
            store.add_species(key, name, f"Genus{k} species")
            s.set_species([ids[k]], key, count=count)
        first = work / "first.csv"
        run_to_end(export_csv(store, first))
    with Store(work / "fresh.sqlite") as fresh:
        scan_to_end(fresh, card)
        report = run_to_end(import_csv(fresh, first, add_unknown=True))
        assert not report.refused
        second = work / "second.csv"
        run_to_end(export_csv(fresh, second))
        stored = {x.common_name for x in fresh.species()}
    assert _labels(first) == _labels(second)
    assert set(names) <= stored, "names are stored verbatim"
