"""Opening a model by name or path, on the backend and device that fit this machine."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from inference.backends import Classifier, OnnxClassifier, TorchClassifier
from inference.builtin import pretrained_card
from inference.card import ModelCard, load_card
from inference.export import ExportError, cached_onnx, vet_onnx
from inference.weights import (
    DEFAULT_PRETRAINED,
    PRETRAINED,
    WeightsError,
    sha256_file,
    verified_path,
)


def build_pretrained(name: str):
    """Torch network of a built-in model (imports torch only when called)."""
    from inference.network import build_pretrained as build

    return build(name)


def load_headed(card: ModelCard, weights: str):
    """Torch network of a fine-tuned checkpoint (imports torch only when called)."""
    from inference.network import load_headed as load

    return load(card, weights)


def describe_models() -> dict[str, str]:
    """Names of the built-in models with a one-line description."""
    return {
        name: f"{spec.architecture}, ImageNet-pretrained, {spec.input_size}px input"
        for name, spec in PRETRAINED.items()
    }


def load_classifier(
    model: str | os.PathLike[str] = DEFAULT_PRETRAINED,
    *,
    backend: str = "onnx",
    device: str = "auto",
) -> Classifier:
    """Open a model: a built-in name (``lite0``, ``lite2``) or a weights file with its card.

    ``backend`` is ``onnx`` (default; export cached per weights) or ``torch``. Files are
    untrusted: pickles are loaded tensors-only and ONNX external data must stay in its folder.
    """
    if backend not in ("onnx", "torch"):
        raise ValueError(f"unknown backend {backend!r}")
    name = os.fspath(model)
    if name in PRETRAINED:
        spec = PRETRAINED[name]
        verified_path(spec)
        card = pretrained_card(spec)
        if backend == "torch":
            net, card = build_pretrained(name)
            return TorchClassifier(net, card, device=device)
        path = cached_onnx(lambda: build_pretrained(name)[0], card)
        return OnnxClassifier(path, card, device=device)
    path = Path(name)
    if not path.is_file():
        raise WeightsError(
            f"no model named {name!r}: use one of {', '.join(PRETRAINED)} or a weights file"
        )
    card = load_card(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        vet_onnx(path)
        if backend == "torch":
            raise WeightsError("an ONNX file runs on the onnx backend only")
        try:
            clf = OnnxClassifier(path, card, device=device)
        except WeightsError:
            raise
        except Exception as exc:
            raise WeightsError(
                f"{path.name} cannot be loaded as a model: {str(exc).splitlines()[0][:200]}"
            ) from exc
        clf.source = str(path)
        return clf
    if suffix not in (".safetensors", ".pth", ".pt"):
        raise WeightsError(f"unsupported model file type {suffix!r}")
    digest = sha256_file(path)
    if card.sha256 and card.sha256 != digest:
        raise WeightsError(f"{path.name} does not match the checksum in its model card")
    card = dataclasses.replace(card, sha256=digest)
    if backend == "torch":
        clf = TorchClassifier(load_headed(card, str(path)), card, device=device)
    else:
        try:
            onnx_path = cached_onnx(lambda: load_headed(card, str(path)), card)
            clf = OnnxClassifier(onnx_path, card, device=device)
        except ExportError:
            clf = TorchClassifier(load_headed(card, str(path)), card, device=device)
    clf.source = str(path)
    return clf


def is_cached(model: str | os.PathLike[str]) -> bool:
    """True when opening this model will not need an ONNX export first."""
    from inference.export import cache_target

    name = os.fspath(model)
    if name in PRETRAINED:
        return cache_target(pretrained_card(PRETRAINED[name])).is_file()
    path = Path(name)
    if path.suffix.lower() in (".safetensors", ".pth", ".pt") and path.is_file():
        card = dataclasses.replace(load_card(path), sha256=sha256_file(path))
        return cache_target(card).is_file()
    return True


def card_for(model: str | os.PathLike[str]) -> ModelCard:
    """The card of a model without loading its network."""
    name = os.fspath(model)
    if name in PRETRAINED:
        return pretrained_card(PRETRAINED[name])
    return load_card(name)
