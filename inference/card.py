"""Model cards: the JSON sidecar that travels with every weights file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from inference.safety import UnsafeInputError, safe_architecture, safe_digest, safe_name

CARD_SUFFIX = ".card.json"
INPUT_LAYOUT = "uint8-nhwc-rgb"
MAX_LABELS = 100_000
MAX_LABEL_CHARS = 200


class ModelCardError(ValueError):
    """A model card is missing, malformed, or does not match its weights."""


@dataclass(frozen=True)
class ModelCard:
    """What a model predicts and how to feed it.

    The network takes ``uint8`` RGB images of ``input_size`` x ``input_size`` in NHWC layout
    and normalises them itself with ``mean``/``std``; it returns probabilities over ``labels``
    and an embedding of ``embedding_dim`` floats.
    """

    name: str
    version: str
    architecture: str
    labels: tuple[str, ...]
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    sha256: str
    embedding_dim: int
    kind: str = "pretrained"
    parent_version: str | None = None
    input_layout: str = INPUT_LAYOUT
    license: str | None = None
    source: str | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """Plain JSON-ready dict."""
        d = asdict(self)
        d["labels"] = list(self.labels)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_json(cls, data: dict) -> ModelCard:
        """Validate and build a card from parsed JSON."""
        required = ("name", "version", "architecture", "labels", "input_size", "mean", "std")
        missing = [k for k in required if k not in data]
        if missing:
            raise ModelCardError(f"model card lacks {', '.join(missing)}")
        labels = data["labels"]
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) for x in labels)
        ):
            raise ModelCardError("model card labels must be a non-empty list of strings")
        if len(set(labels)) != len(labels):
            raise ModelCardError("model card labels must be unique")
        if len(labels) > MAX_LABELS or max(len(x) for x in labels) > MAX_LABEL_CHARS:
            raise ModelCardError(
                f"model card labels must be at most {MAX_LABELS} names of at most "
                f"{MAX_LABEL_CHARS} characters"
            )
        _check_names(data)
        size = data["input_size"]
        if not isinstance(size, int) or not 32 <= size <= 1024:
            raise ModelCardError(f"model card input_size {size!r} is not a size from 32 to 1024")
        for key in ("mean", "std"):
            v = data[key]
            if not (
                isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)
            ):
                raise ModelCardError(f"model card {key} must be three numbers")
        if data.get("input_layout", INPUT_LAYOUT) != INPUT_LAYOUT:
            raise ModelCardError(f"unsupported input layout {data.get('input_layout')!r}")
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["labels"] = tuple(labels)
        kwargs["mean"] = tuple(float(x) for x in data["mean"])
        kwargs["std"] = tuple(float(x) for x in data["std"])
        kwargs.setdefault("sha256", "")
        kwargs.setdefault("embedding_dim", 0)
        return cls(**kwargs)


def _check_names(data: dict) -> None:
    """Fields that end up in file names or select code must be plain names (never paths)."""
    try:
        safe_name(data["name"], "model card name")
        safe_name(data["version"], "model card version")
        safe_architecture(data["architecture"])
        safe_digest(data.get("sha256", ""), "model card sha256")
        if data.get("parent_version") is not None:
            safe_name(data["parent_version"], "model card parent_version")
        safe_name(data.get("kind", "pretrained"), "model card kind")
    except UnsafeInputError as exc:
        raise ModelCardError(str(exc)) from None
    dim = data.get("embedding_dim", 0)
    if not isinstance(dim, int) or isinstance(dim, bool) or not 0 <= dim <= 65_536:
        raise ModelCardError(f"model card embedding_dim {dim!r} is not a size from 0 to 65536")


def card_path(weights: str | os.PathLike[str]) -> Path:
    """Sidecar path of a weights file (``model.onnx`` -> ``model.onnx.card.json``)."""
    return Path(str(weights) + CARD_SUFFIX)


def save_card(card: ModelCard, weights: str | os.PathLike[str]) -> Path:
    """Write the sidecar card of a weights file (atomically)."""
    target = card_path(weights)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(card.to_json(), indent=2), encoding="utf-8")
    os.replace(tmp, target)
    return target


def load_card(weights: str | os.PathLike[str]) -> ModelCard:
    """Read and validate the sidecar card of a weights file."""
    path = card_path(weights)
    if not path.is_file():
        raise ModelCardError(f"no model card next to {weights} (expected {path.name})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelCardError(f"model card {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelCardError(f"model card {path} is not a JSON object")
    return ModelCard.from_json(data)
