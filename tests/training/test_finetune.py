"""Fine-tuning the backbone: progress, atomic safetensors checkpoints, ONNX parity, cancel, GPU."""

from __future__ import annotations

import numpy as np
import pytest

from inference.card import load_card
from inference.models import load_classifier
from inference.network import load_headed
from labeler.core.generators import collect
from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model
from training.finetune import EpochProgress, TrainingError, fine_tune


def _images(tmp_path, n=24):
    items = []
    for i in range(n):
        label = "blank" if i % 2 else "red_fox"
        colour = (30, 90, 40) if label == "blank" else (200, 90, 20)
        items.append(
            (str(write(tmp_path / f"{i}.jpg", jpeg_bytes((80, 80), colour, seed=i))), label)
        )
    return items


@pytest.fixture
def tiny(tmp_path):
    path = make_tiny_model(tmp_path / "m")
    card = load_card(path)
    return load_headed(card, str(path)), card


def _fine_tune(tmp_path, tiny, items, **kwargs):
    """Fine-tune the tiny network on 16 training and the rest as validation images."""
    net, card = tiny
    options = {"epochs": 3, "batch_size": 8, "device": "cpu"} | kwargs
    return collect(
        fine_tune(
            items[:16], items[16:], out_dir=tmp_path / "out", network=net, base_card=card, **options
        )
    )


def test_cpu_fine_tune_reports_progress_checkpoints_and_exports(tmp_path, tiny):
    _net, card = tiny
    items = _images(tmp_path)
    events, result = _fine_tune(tmp_path, tiny, items, version="ft-1")
    assert all(isinstance(e, EpochProgress) for e in events)
    val = [e for e in events if e.phase == "validate"]
    assert [e.epoch for e in val] == [1, 2, 3]
    assert [e.unfrozen for e in val] == ["head", "head + last blocks", "all layers"]
    assert result.checkpoint.exists() and result.checkpoint.suffix == ".safetensors"
    assert not list((tmp_path / "out").glob("*.partial"))
    assert result.best_val_accuracy == max(e.val_accuracy for e in val)
    assert result.card.labels == ("blank", "red_fox") and result.card.kind == "finetuned"
    clf = load_classifier(result.onnx)
    probs, emb = clf.predict(np.zeros((1, card.input_size, card.input_size, 3), np.uint8))
    assert probs.shape == (1, 2)


def test_fine_tune_stops_between_steps_when_cancelled(tmp_path, tiny):
    items = _images(tmp_path)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    events, result = _fine_tune(
        tmp_path, tiny, items, version="ft-2", batch_size=4, should_stop=stop
    )
    assert result.cancelled
    assert len([e for e in events if e.phase == "train"]) == 2


def test_fine_tune_needs_two_classes(tmp_path, tiny):
    net, card = tiny
    items = [(p, "blank") for p, _ in _images(tmp_path, 6)]
    with pytest.raises(TrainingError, match="two classes"):
        collect(fine_tune(items, [], out_dir=tmp_path, version="x", network=net, base_card=card))


@pytest.mark.gpu
def test_cuda_fine_tune_runs_on_the_gpu_when_one_is_present(tmp_path, tiny):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    items = _images(tmp_path)
    _events, result = _fine_tune(tmp_path, tiny, items, version="ft-gpu", epochs=2, device="cuda")
    assert result.device == "cuda" and result.checkpoint.exists()


def test_a_sample_with_an_animal_box_trains_on_the_whole_frame_and_the_crop(tmp_path, tiny):
    from training.finetune import _load_images

    items = _images(tmp_path, n=6)
    boxed = [
        (p, lab, (0.25, 0.25, 0.2, 0.2) if k % 2 else None) for k, (p, lab) in enumerate(items)
    ]
    x, owner = _load_images(boxed, 72)
    assert x.shape[1:] == (72, 72, 3)
    assert owner == [0, 1, 1, 2, 3, 3, 4, 5, 5]
    more = [(p, lab, None) for p, lab in _images(tmp_path / "b")]
    events, result = _fine_tune(tmp_path, tiny, boxed + more, version="ft-box")
    assert (
        result.card is not None
        and result.card.extra["train_views"] > result.card.extra["train_images"]
    )
