"""Untrusted model files: card names kept out of paths, cache hits vetted, no network, archive
bombs refused before loading, and models whose outputs are wrong stopped with a clear message."""

from __future__ import annotations

import json
import socket
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from inference.card import ModelCardError, card_path, load_card, save_card
from inference.export import UnsafeModelError
from inference.models import load_classifier
from inference.weights import WeightsError, load_state_dict
from tests.models import make_tiny_model


def _edit_card(weights: Path, **changes) -> None:
    data = json.loads(card_path(weights).read_text())
    data.update(changes)
    card_path(weights).write_text(json.dumps(data))


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    cache = tmp_path / "deep" / "cache" / "models"
    monkeypatch.setenv("LABELER_MODEL_CACHE", str(cache))
    return cache


@pytest.mark.parametrize("version", ["../../escaped", "/tmp/absolute-escape", "a/b", "..", ""])
def test_a_card_version_that_is_a_path_is_refused_and_nothing_is_written_when_loaded(
    tmp_path, private_cache, version
):
    weights = make_tiny_model(tmp_path / "m")
    _edit_card(weights, version=version)
    with pytest.raises(ModelCardError, match="version"):
        load_classifier(weights)
    written = [p for p in tmp_path.rglob("*.onnx*")] + list(Path("/tmp").glob("absolute-escape*"))
    assert written == []


def test_a_cached_onnx_is_vetted_again_when_it_is_found_in_the_cache(tmp_path, private_cache):
    weights = make_tiny_model(tmp_path / "m")
    first = load_classifier(weights)
    cached = Path(first.path)
    assert cached.parent == private_cache
    # Someone swaps the cached file for one that reads data from outside the cache folder.
    tensor = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../../../secret"), ("offset", "0"), ("length", "4")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("Identity", ["w"], ["y"])], "g", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], initializer=[tensor],
    )  # fmt: skip
    onnx.save(helper.make_model(graph), str(cached))
    with pytest.raises(UnsafeModelError, match="outside its folder"):
        load_classifier(weights)


def test_a_changed_cached_onnx_is_exported_again_when_its_digest_no_longer_matches(
    tmp_path, private_cache
):
    weights = make_tiny_model(tmp_path / "m")
    cached = Path(load_classifier(weights).path)
    good = cached.read_bytes()
    cached.write_bytes(good[: len(good) // 2])
    again = load_classifier(weights)
    assert Path(again.path).read_bytes() == good
    assert again.predict(np.zeros((1, 64, 64, 3), np.uint8))[0].shape == (1, 12)


@pytest.mark.parametrize(
    "architecture", ["hf-hub:timm/resnet18.a1_in1k", "hf_hub:timm/x", "local-dir:/tmp/x"]
)
@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_a_hub_architecture_is_refused_without_any_network_attempt(
    tmp_path, private_cache, monkeypatch, architecture, backend
):
    weights = make_tiny_model(tmp_path / "m")
    _edit_card(weights, architecture=architecture)
    attempts = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("network attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    t0 = time.perf_counter()
    with pytest.raises(ModelCardError, match="architecture"):
        load_classifier(weights, backend=backend)
    assert attempts == []
    assert time.perf_counter() - t0 < 5


def test_an_unknown_architecture_is_refused_before_any_network_when_the_card_passes(
    tmp_path, private_cache, monkeypatch
):
    weights = make_tiny_model(tmp_path / "m")
    _edit_card(weights, architecture="no_such_network_anywhere")
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("network attempted"))
    with pytest.raises(WeightsError, match="unknown architecture"):
        load_classifier(weights, backend="torch")


def _zip_bomb_pth(path: Path, expanded_mb: int = 256) -> Path:
    torch.save({"w": torch.ones(4)}, path)
    block = bytes(1 << 20)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open(f"{path.stem}/data/99", "w", force_zip64=True) as member:
            for _ in range(expanded_mb):
                member.write(block)
    return path


def test_a_zip_bomb_pth_is_refused_fast_before_it_is_loaded(tmp_path):
    bomb = _zip_bomb_pth(tmp_path / "bomb.pth")
    assert bomb.stat().st_size < 2 * 2**20
    t0 = time.perf_counter()
    with pytest.raises(WeightsError, match="archive bomb"):
        load_state_dict(bomb)
    assert time.perf_counter() - t0 < 1.0
    save_card(load_card(make_tiny_model(tmp_path / "tiny")), bomb)
    with pytest.raises(WeightsError, match="archive bomb"):
        load_classifier(bomb, backend="torch")


def test_a_plain_torch_file_still_loads_when_archives_are_checked(tmp_path):
    p = tmp_path / "ok.pth"
    torch.save({"w": torch.arange(100_000, dtype=torch.float32)}, p)
    assert load_state_dict(p)["w"].shape == (100_000,)


def _onnx_model(path: Path, outputs: list[tuple[str, list[int]]], fill: float = 0.1) -> Path:
    """An ONNX model from uint8 images to constant outputs of the given widths."""
    nodes, infos = [], []
    x = helper.make_tensor_value_info("images", TensorProto.UINT8, ["n", 64, 64, 3])
    nodes.append(helper.make_node("Cast", ["images"], ["f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("ReduceMean", ["f"], ["m"], axes=[1, 2], keepdims=0))
    for k, (name, (width,)) in enumerate(outputs):
        w = helper.make_tensor(f"w{k}", TensorProto.FLOAT, [3, width], [0.0] * (3 * width))
        b = helper.make_tensor(f"b{k}", TensorProto.FLOAT, [width], [fill] * width)
        nodes.append(helper.make_node("Gemm", ["m", f"w{k}", f"b{k}"], [name]))
        infos.append((w, b, helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n", width])))
    graph = helper.make_graph(
        nodes, "g", [x], [i[2] for i in infos], initializer=[t for i in infos for t in i[:2]]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _card_for(onnx_path: Path, tmp_path: Path) -> None:
    import dataclasses

    card = load_card(make_tiny_model(tmp_path / "tiny"))
    save_card(dataclasses.replace(card, embedding_dim=16), onnx_path)


def test_an_onnx_model_with_one_output_is_refused_when_loaded(tmp_path):
    path = _onnx_model(tmp_path / "one.onnx", [("probs", [12])])
    _card_for(path, tmp_path)
    with pytest.raises(WeightsError, match="2 outputs"):
        load_classifier(path)


def test_an_onnx_model_with_the_wrong_number_of_labels_is_refused_when_loaded(tmp_path):
    path = _onnx_model(tmp_path / "w.onnx", [("probs", [7]), ("embeddings", [16])])
    _card_for(path, tmp_path)
    with pytest.raises(WeightsError, match="7 .*12 labels"):
        load_classifier(path)


def test_a_model_that_returns_nan_is_stopped_with_a_clear_message_when_predicting(tmp_path):
    path = _onnx_model(tmp_path / "nan.onnx", [("probs", [12]), ("embeddings", [16])], np.nan)
    _card_for(path, tmp_path)
    clf = load_classifier(path)
    with pytest.raises(WeightsError, match="not finite"):
        clf.predict(np.zeros((2, 64, 64, 3), np.uint8))


@pytest.mark.parametrize(
    "base",
    ["lite0", "/models/my model: v2 (final).safetensors", "/m/../..safetensors", "/m/-x.pth"],
)
def test_a_fine_tuned_version_made_from_any_file_name_passes_the_card_check(base):
    from inference.safety import safe_name
    from labeler.core.finetune_job import finetune_version

    version = finetune_version(3, base)
    assert safe_name(version, "version") == version and version.startswith("finetuned-3-")
