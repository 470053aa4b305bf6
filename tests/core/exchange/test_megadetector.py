"""MegaDetector files: boxes survive import and export, labels go out, hostile files are refused."""

from __future__ import annotations

import json
import time

import pytest

from labeler.core.exchange.megadetector import (
    MAX_BOXES,
    MegaDetectorFormatError,
    export_megadetector,
    import_megadetector,
)
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.store import Detection, Store, list_backups

MD_FILE = "megadetector_v5a_animl.json"


@pytest.fixture
def animl_card(shared_data, tmp_path):
    """The animl folders of the shared data, linked file by file (nothing is copied)."""
    card = tmp_path / "card"
    for folder in ("animl_southwest", "animl_buow"):
        (card / folder).mkdir(parents=True)
        for f in (shared_data / folder).iterdir():
            (card / folder / f.name).symlink_to(f)
    return card


def _boxes(data: dict) -> list[tuple]:
    cats = data["detection_categories"]
    return sorted(
        (
            img["file"],
            cats[d["category"]],
            round(d["conf"], 4),
            tuple(round(v, 4) for v in d["bbox"]),
        )
        for img in data["images"]
        for d in img.get("detections") or []
    )


def test_every_box_of_the_shared_file_comes_back_out_unchanged(shared_data, animl_card, tmp_path):
    source = json.loads((shared_data / MD_FILE).read_text())
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, animl_card)
        report = run_to_end(import_megadetector(store, shared_data / MD_FILE))
        assert report.matched == report.images == 34 and report.detections == 64
        out = tmp_path / "out.json"
        result = run_to_end(export_megadetector(store, out))
    data = json.loads(out.read_text())
    assert result["detections"] == 64
    assert _boxes(data) == _boxes(source)
    cougar = next(i for i in data["images"] if i["file"].endswith("2021-06-30_SYFR0218_cougar.JPG"))
    assert cougar["detections"][0]["bbox"] == [0.54, 0.371, 0.243, 0.253]
    info = data["info"]
    assert info["format_version"].startswith("1.")
    assert "MegaDetector v5a" in info["detector"]
    assert info["detector_metadata"]["typical_detection_threshold"] == 0.2
    assert {s["name"] for s in info["detection_sources"].values()} == {MD_FILE}
    empty = next(i for i in data["images"] if i["file"] == "animl_buow/RCNX0863.JPG")
    assert empty["detections"] == []


@pytest.mark.parametrize(
    "prefix", ["/media/ana/CARD_07/", "C:\\Users\\ana\\cards\\", "//nas/traps/"]
)
def test_absolute_paths_match_by_their_longest_common_suffix(
    shared_data, animl_card, tmp_path, prefix
):
    data = json.loads((shared_data / MD_FILE).read_text())
    sep = "\\" if "\\" in prefix else "/"
    for img in data["images"]:
        img["file"] = prefix + img["file"].replace("/", sep)
    src = tmp_path / "absolute.json"
    src.write_text(json.dumps(data))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, animl_card)
        report = run_to_end(import_megadetector(store, src))
    assert report.matched == 34 and not report.unmatched and not report.refused
    assert report.notes and "34 path(s) matched after removing" in report.notes[0]


def test_labels_go_out_as_classifications_and_unreadable_images_as_failures(project, tmp_path):
    store, card = project
    (card / "CAM_A" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    try:
        scan_to_end(store, card)
        ids = store.image_ids_by_path()
        store.write_detections("md.json", {
            ids["CAM_A/IMG_0000.JPG"]: ([Detection("animal", 0.93, (0.1, 0.2, 0.3, 0.4))], None),
            ids["CAM_A/IMG_0004.JPG"]: ([Detection("animal", 0.61, (0.5, 0.5, 0.2, 0.1))], None),
        })  # fmt: skip
        store.register_region_source("localizer:built-in", "builtin", {"version": "loc-v1"})
        store.write_detections("localizer:built-in", {
            ids["CAM_A/IMG_0004.JPG"]: ([Detection("animal", 0.44, (0.51, 0.49, 0.2, 0.12))], None),
        })  # fmt: skip
        LabelSession(store, author="ana").set_species([ids["CAM_A/IMG_0004.JPG"]], "coyote")
        out = tmp_path / "md.json"
        run_to_end(export_megadetector(store, out))
    finally:
        (card / "CAM_A" / "broken.jpg").unlink()
    data = json.loads(out.read_text())
    by_file = {i["file"]: i for i in data["images"]}
    names = data["classification_categories"]
    sources = {k: v["name"] for k, v in data["info"]["detection_sources"].items()}
    fox = by_file["CAM_A/IMG_0000.JPG"]["detections"]
    assert fox[0]["bbox"] == [0.1, 0.2, 0.3, 0.4]
    assert [(names[c], s) for c, s in fox[0]["classifications"]] == [("Red fox", 1.0)]
    coyote = by_file["CAM_A/IMG_0004.JPG"]["detections"]
    assert [sources[d["source"]] for d in coyote] == ["md.json", "localizer:built-in"]
    kinds = {
        v["name"]: (v["kind"], v.get("version")) for v in data["info"]["detection_sources"].values()
    }
    assert kinds == {"md.json": ("imported", None), "localizer:built-in": ("builtin", "loc-v1")}
    assert all(
        [(names[c], s) for c, s in d["classifications"]] == [("Coyote", 1.0)] for d in coyote
    )
    lion = by_file["CAM_B/IMG_0002.JPG"]["detections"]  # no box: one whole-image detection
    assert lion[0]["bbox"] == [0.0, 0.0, 1.0, 1.0]
    assert {names[c] for c, _ in lion[0]["classifications"]} == {"Lion", "Spotted hyena"}
    assert by_file["CAM_A/IMG_0002.JPG"]["detections"] == []  # marked blank by a person
    assert by_file["CAM_B/IMG_0001.JPG"]["detections"][0]["category"] == "2"  # human
    broken = by_file["CAM_A/broken.jpg"]
    assert broken["detections"] is None and broken["failure"].startswith(("corrupt", "truncated"))
    unlabeled = by_file["CAM_A/IMG_0005.JPG"]["detections"][0]
    assert unlabeled["conf"] == pytest.approx(0.75) and unlabeled["bbox"] == [0.0, 0.0, 1.0, 1.0]
    assert [names[c] for c, _ in unlabeled["classifications"]][0] == "Red fox"


def test_hostile_values_are_refused_per_box_and_the_rest_imported(project, tmp_path):
    store, _ = project
    src = tmp_path / "hostile.json"
    src.write_text(
        '{"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"}, "images": ['
        '{"file": "CAM_A/IMG_0004.JPG", "detections": ['
        '{"category": "1", "conf": NaN, "bbox": [0.1, 0.1, 0.2, 0.2]},'
        '{"category": "1", "conf": "high", "bbox": [0.1, 0.1, 0.2, 0.2]},'
        '{"category": "1", "conf": 7, "bbox": [0.1, 0.1, 0.2, 0.2]},'
        '{"category": ["1"], "conf": 0.5, "bbox": [0.1, 0.1, 0.2, 0.2]},'
        '{"category": "1", "conf": 0.5, "bbox": ["a", 0.1, 0.2, 0.2]},'
        '{"category": "1", "conf": 0.5, "bbox": [0.1, 0.1, Infinity, 0.2]},'
        '{"category": "1", "conf": 0.5, "bbox": [0.9, 0.9, 0.105, 0.2]},'
        '{"category": "1", "conf": 0.8, "bbox": [0.1, 0.1, 0.2, 0.2], "classifications": [["x", NaN]]},'
        '"not a detection"]},'
        '{"file": "CAM_A/IMG_0005.JPG", "detections": "lots"},'
        '{"file": 42, "detections": []}]}'
    )
    report = run_to_end(import_megadetector(store, src))
    assert report.matched == 2 and report.detections == 2 and len(report.refused) == 1
    boxes = store.detections([store.image_ids_by_path()["CAM_A/IMG_0004.JPG"]])
    stored = sorted(d.bbox for dets in boxes.values() for d in dets)
    assert stored == [(0.1, 0.1, 0.2, 0.2), pytest.approx((0.9, 0.9, 0.1, 0.1))]
    text = " ".join(report.problems)
    for phrase in ("NaN or outside 0-1", "category is not a string", "values not numbers",
                   "clamped", "not an object", "detections refused", "classification refused"):  # fmt: skip
        assert phrase in text, phrase


def test_deeply_nested_or_broken_json_is_refused_with_one_line(project, tmp_path):
    store, _ = project
    for name, text in (("deep.json", "[" * 200_000 + "]" * 200_000), ("cut.json", '{"images": [{'),
                       ("list.json", "[1, 2]")):  # fmt: skip
        (tmp_path / name).write_text(text)
        with pytest.raises(MegaDetectorFormatError) as info:
            run_to_end(import_megadetector(store, tmp_path / name))
        assert "\n" not in str(info.value) and name in str(info.value)


def test_two_hundred_thousand_boxes_on_one_image_are_capped_at_import(project, tmp_path):
    store, _ = project
    boxes = [{"category": "1", "conf": round((i % 997) / 997, 4), "bbox": [0.1, 0.1, 0.01, 0.01]}
             for i in range(200_000)]  # fmt: skip
    src = tmp_path / "many.json"
    src.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                               "images": [{"file": "CAM_A/IMG_0004.JPG", "detections": boxes}]}))  # fmt: skip
    t = time.perf_counter()
    report = run_to_end(import_megadetector(store, src))
    seconds = time.perf_counter() - t
    image = store.image_ids_by_path()["CAM_A/IMG_0004.JPG"]
    kept = store.detections([image])[image]
    assert (
        report.detections == len(kept) == MAX_BOXES and report.boxes_dropped == 200_000 - MAX_BOXES
    )
    assert min(d.conf for d in kept) >= max(b["conf"] for b in boxes) - 0.01
    print(f"200,000 boxes imported (capped at {MAX_BOXES}) in {seconds:.2f} s")


def test_an_import_takes_a_backup_first_and_writes_nothing_when_nothing_matches(project, tmp_path):
    store, _ = project
    before = list_backups(store.path)
    src = tmp_path / "elsewhere.json"
    src.write_text(json.dumps({"info": {"format_version": "1.4"}, "images": [
        {"file": "OTHER/IMG_9.JPG", "detections": [{"category": "1", "conf": 0.9, "bbox": [0, 0, 1, 1]}]}]}))  # fmt: skip
    report = run_to_end(import_megadetector(store, src))
    assert report.matched == 0 and list_backups(store.path) == before
    assert store.detector_sources() == []
    src.write_text(src.read_text().replace("OTHER/IMG_9.JPG", "CAM_A/IMG_0004.JPG"))
    run_to_end(import_megadetector(store, src))
    after = list_backups(store.path)
    assert len(after) == len(before) + 1 and "before-import" in after[0].name
