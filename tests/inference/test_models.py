"""Loading models: the packaged pretrained weights, ONNX parity, untrusted files refused."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from inference.card import ModelCardError, load_card, save_card
from inference.export import UnsafeModelError, check_parity, parity_batch, vet_onnx
from inference.models import load_classifier
from inference.network import build_pretrained
from inference.weights import PRETRAINED, WeightsError, load_state_dict, sha256_file, verified_path
from tests.models import make_tiny_model


def test_packaged_weights_match_their_checksums_when_installed():
    for spec in PRETRAINED.values():
        assert sha256_file(verified_path(spec)) == spec.sha256


def test_onnx_and_torch_agree_to_1e4_when_the_real_pretrained_model_is_exported():
    net, card = build_pretrained("lite0")
    onnx_clf = load_classifier("lite0")
    assert onnx_clf.device.endswith("(onnxruntime)")
    assert check_parity(net, onnx_clf.path, card) <= 1e-4
    batch = parity_batch(card.input_size, n=3, seed=7)
    with torch.inference_mode():
        ref, emb, _attention = net(torch.from_numpy(batch))
    got, got_emb = onnx_clf.predict(batch)
    assert np.abs(ref.numpy() - got).max() <= 1e-4
    assert got_emb.shape == (3, card.embedding_dim)
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-4)


def test_pretrained_model_recognises_a_real_elephant_when_the_shared_data_is_present(shared_data):
    from inference.preprocess import load_rgb

    clf = load_classifier("lite0")
    rgb, _ = load_rgb(shared_data / "speciesnet_testdata" / "african_elephants.jpg", 224)
    probs, _ = clf.predict(rgb[None])
    top5 = [clf.card.labels[i] for i in np.argsort(-probs[0])[:5]]
    assert "african_elephant" in top5


def test_export_is_cached_per_weights_when_loaded_twice():
    a = load_classifier("lite0")
    mtime = os.stat(a.path).st_mtime_ns
    b = load_classifier("lite0")
    assert a.path == b.path and os.stat(b.path).st_mtime_ns == mtime
    assert load_card(a.path).version == a.card.version


def test_pickle_that_runs_code_on_load_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "model.pth"
    with open(bad, "wb") as f:
        pickle.dump({"weight": Exploit()}, f)
    with pytest.raises(WeightsError, match="refused"):
        load_state_dict(bad)
    assert not marker.exists()
    save_card(load_card(make_tiny_model(tmp_path / "tiny")), bad)
    with pytest.raises(WeightsError):
        load_classifier(bad)
    assert not marker.exists()


def test_torch_save_of_a_plain_state_dict_loads_when_it_holds_only_tensors(tmp_path):
    p = tmp_path / "ok.pth"
    torch.save({"w": torch.ones(2)}, p)
    assert torch.equal(load_state_dict(p)["w"], torch.ones(2))


def test_onnx_with_external_data_outside_its_folder_is_refused(tmp_path):
    from onnx import TensorProto, helper

    tensor = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../../etc/passwd"), ("offset", "0"), ("length", "4")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("Identity", ["w"], ["y"])],
        "g",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        initializer=[tensor],
    )
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(UnsafeModelError, match="outside its folder"):
        vet_onnx(path)


def test_tiny_model_round_trips_through_onnx_when_loaded_from_safetensors(tmp_path):
    path = make_tiny_model(tmp_path)
    onnx_clf = load_classifier(path)
    torch_clf = load_classifier(path, backend="torch")
    batch = parity_batch(onnx_clf.card.input_size, n=2)
    p1, e1 = onnx_clf.predict(batch)
    p2, e2 = torch_clf.predict(batch)
    assert np.abs(p1 - p2).max() <= 1e-4
    assert e1.shape == e2.shape == (2, onnx_clf.card.embedding_dim)


def test_weights_that_do_not_match_their_card_checksum_are_refused(tmp_path):
    path = make_tiny_model(tmp_path)
    card = load_card(path)
    import dataclasses

    save_card(dataclasses.replace(card, sha256="0" * 64), path)
    with pytest.raises(WeightsError, match="checksum"):
        load_classifier(path)


def test_malformed_card_is_reported_clearly(tmp_path):
    path = make_tiny_model(tmp_path)
    (tmp_path / "tiny.safetensors.card.json").write_text('{"name": "x"}')
    with pytest.raises(ModelCardError, match="lacks"):
        load_classifier(path)


def test_inference_and_core_import_without_qt_in_a_fresh_interpreter():
    code = (
        "import sys, inference.models, inference.pipeline, labeler.core.ingest, "
        "labeler.core.predict_job, labeler.core.store\n"
        "import training\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'superqt'))]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
