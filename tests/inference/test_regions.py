"""Finding the animal: the built-in localizer, crops in the pipeline, a user's ONNX detector."""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from inference.detector import Detector, DetectorError
from inference.localize import BuiltinLocalizer, Region, banner_rows, square_crop_box, thumbnail
from inference.models import load_classifier
from inference.pipeline import BUILTIN, GIVEN, PredictedBatch, PredictItem, predict_batches
from inference.weights import WeightsError
from labeler.core.generators import collect
from tests.models import make_tiny_detector, make_tiny_model


def scene(seed: int = 0, w: int = 160, h: int = 120) -> np.ndarray:
    """A textured background that stays put from frame to frame (with a little sensor noise)."""
    rng = np.random.default_rng(100)
    base = rng.integers(60, 140, (h // 8, w // 8, 3)).repeat(8, 0).repeat(8, 1).astype(np.int16)
    noise = np.random.default_rng(seed).integers(-4, 5, base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def with_animal(frame: np.ndarray, x: int, y: int, side: int = 20) -> np.ndarray:
    out = frame.copy()
    out[y : y + side, x : x + side] = (230, 200, 40)
    return out


def test_the_moving_animal_is_found_where_it_is_when_frames_of_its_camera_are_similar():
    loc = BuiltinLocalizer()
    frames = [scene(i) for i in range(4)] + [with_animal(scene(9), 100, 70)]
    found = loc.localize([("cam", thumbnail(f), None) for f in frames])
    animal = found[-1]
    assert animal, "a region is found on the frame with the animal"
    cx, cy = (100 + 10) / 160, (70 + 10) / 120
    assert animal[0].contains(cx, cy)
    assert animal[0].area < 0.2
    assert all(not regs or regs[0].score < animal[0].score for regs in found[:-1])


def test_a_single_frame_falls_back_on_the_attention_map_when_no_similar_frame_exists():
    loc = BuiltinLocalizer()
    cam = np.zeros((7, 7), np.float32)
    cam[1, 5] = 3.0
    [regs] = loc.localize([("alone", thumbnail(scene()), cam)])
    assert regs and regs[0].contains(5.5 / 7, 1.5 / 7)
    assert regs[0].score <= 0.5
    [none] = BuiltinLocalizer().localize([("alone", thumbnail(scene()), None)])
    assert none == []


def test_a_camera_imprint_strip_is_never_taken_for_the_animal():
    frames = []
    for i in range(5):
        f = scene(i)
        f[-12:] = 255
        f[-10:-3, 20 + 25 * i : 40 + 25 * i] = 0  # the time printed in the strip changes
        frames.append(f)
    t = [thumbnail(f) for f in frames]
    top, bottom = banner_rows(t[-1], np.median(np.stack(t[:-1]), axis=0))
    assert top == 0 and bottom >= 4
    found = BuiltinLocalizer().localize([("cam", x, None) for x in t])
    strip_top = 1 - 12 / 120
    assert all(r.y + r.h <= strip_top + 0.02 for regs in found for r in regs)


def test_the_crop_box_is_square_padded_and_inside_the_frame():
    left, top, right, bottom = square_crop_box(Region(0.95, 0.9, 0.05, 0.1, 1.0, "x"), 400, 300)
    assert right - left == pytest.approx(bottom - top)
    assert 0 <= left and right <= 400 and 0 <= top and bottom <= 300
    assert right - left >= 0.2 * 400 - 1e-6


def test_predictions_average_the_whole_frame_and_the_crop_when_a_region_is_given(tmp_path):
    from PIL import Image

    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    items = []
    for i in range(3):
        p = tmp_path / f"{i}.jpg"
        Image.fromarray(with_animal(scene(i), 20 + 40 * i, 30)).save(p)
        items.append(PredictItem(i, str(p), "cam"))
    boxes = {1: [Region(0.4, 0.2, 0.2, 0.2, 0.9, "detector")]}
    _events, _ = collect(predict_batches(items, clf, regions=GIVEN, boxes=boxes))
    batches = [e for e in _events if isinstance(e, PredictedBatch)]
    cropped = {k: c for b in batches for k, c in zip(b.keys, b.cropped, strict=True)}
    assert cropped == {0: False, 1: True, 2: False}
    whole, _ = collect(predict_batches(items, clf, regions=GIVEN, boxes={}))
    w = {
        k: e
        for b in whole
        if isinstance(b, PredictedBatch)
        for k, e in zip(b.keys, b.embeddings, strict=True)
    }
    g = {k: e for b in batches for k, e in zip(b.keys, b.embeddings, strict=True)}
    assert np.allclose(g[0], w[0], atol=1e-5) and not np.allclose(g[1], w[1], atol=1e-3)


def test_a_yolo_style_detector_finds_the_bright_object_in_either_output_layout(tmp_path):
    img = np.full((120, 160, 3), 20, np.uint8)
    img[30:60, 40:80] = 250
    for layout in ("v5", "v8"):
        det = Detector(make_tiny_detector(tmp_path / f"{layout}.onnx", layout=layout))
        [boxes] = det.detect([img])
        assert len(boxes) == 1 and boxes[0].category == "animal" and boxes[0].conf > 0.5
        x, y, w, h = boxes[0].bbox
        assert x <= 60 / 160 <= x + w and y <= 45 / 120 <= y + h
    assert Detector(tmp_path / "v5.onnx").detect([np.full((50, 50, 3), 10, np.uint8)]) == [[]]


def test_a_detector_file_that_is_malformed_or_of_the_wrong_shape_or_unsafe_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    with pytest.raises(DetectorError, match="not a YOLO-style"):
        Detector(make_tiny_detector(tmp_path / "bad.onnx", layout="bad"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model")
    with pytest.raises(WeightsError, match="junk.onnx"):
        Detector(junk)
    tensor = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    tensor.data_location = TensorProto.EXTERNAL
    tensor.ClearField("float_data")
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    graph = helper.make_graph(
        [helper.make_node("Identity", ["w"], ["out"])], "g", [],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1])], [tensor],
    )  # fmt: skip
    evil = tmp_path / "evil.onnx"
    onnx.save(helper.make_model(graph), str(evil))
    with pytest.raises(WeightsError, match="outside its folder"):
        Detector(evil)


def test_the_builtin_localizer_finds_most_hand_boxed_animals_of_missouri(shared_data):
    """The acceptance figure: >= 80% of the boxed animals have their box centre inside a found
    region (regions over half the frame never count)."""
    folder = shared_data / "missouri_boxes"
    boxes = defaultdict(list)
    with open(folder / "boxes.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["x"]:
                boxes[r["path"].split("/")[-1]].append(tuple(float(r[k]) for k in "xywh"))
    files = sorted(p for p in folder.glob("*.JPG"))
    items = [PredictItem(i, str(p), "missouri") for i, p in enumerate(files)]
    events, _ = collect(predict_batches(items, load_classifier("lite0"), regions=BUILTIN))
    found = {
        k: r
        for e in events
        if isinstance(e, PredictedBatch)
        for k, r in zip(e.keys, e.regions, strict=True)
    }
    hits = total = 0
    for i, p in enumerate(files):
        for x, y, w, h in boxes.get(p.name, []):
            total += 1
            hits += any(g.area <= 0.5 and g.contains(x + w / 2, y + h / 2) for g in found[i])
    assert total > 250 and hits / total >= 0.8
