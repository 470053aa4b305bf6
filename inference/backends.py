"""One ``Classifier`` protocol, two backends: onnxruntime (default) and torch (fallback, training)."""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

import numpy as np

from inference.card import ModelCard
from inference.weights import WeightsError


class ModelOutputError(WeightsError):
    """A model returned outputs of the wrong shape, or values that are not finite numbers."""


@runtime_checkable
class Classifier(Protocol):
    """Anything that turns a uint8 NHWC batch into (probabilities, embeddings)."""

    card: ModelCard
    device: str

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return float32 probabilities (N x labels) and embeddings (N x dim)."""
        ...

    def predict_maps(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Probabilities, embeddings and the attention map (N x h x w; None if the model has
        no such output)."""
        ...


def check_outputs(
    probs: np.ndarray, emb: np.ndarray, n: int, card: ModelCard
) -> tuple[np.ndarray, np.ndarray]:
    """Refuse outputs that do not fit the card: shapes (n x labels, n x dim) and finite values."""
    probs = np.asarray(probs, dtype=np.float32)
    emb = np.asarray(emb, dtype=np.float32)
    labels = len(card.labels)
    if probs.shape != (n, labels):
        raise ModelOutputError(
            f"model {card.version} returned probabilities of shape {probs.shape}, "
            f"expected ({n}, {labels}) for {n} images and its {labels} labels"
        )
    if (
        emb.ndim != 2
        or emb.shape[0] != n
        or (card.embedding_dim and emb.shape[1] != card.embedding_dim)
    ):
        raise ModelOutputError(
            f"model {card.version} returned embeddings of shape {emb.shape}, "
            f"expected ({n}, {card.embedding_dim or 'any'})"
        )
    if not (np.isfinite(probs).all() and np.isfinite(emb).all()):
        bad = int((~np.isfinite(probs).all(axis=1) | ~np.isfinite(emb).all(axis=1)).sum())
        raise ModelOutputError(
            f"model {card.version} returned values that are not finite (NaN or infinity) for "
            f"{bad} of {n} images; the model is broken, nothing of this batch was kept"
        )
    return probs, emb


def _check_signature(session, card: ModelCard, name: str) -> None:
    """An ONNX model for this app returns probabilities over its labels and embeddings (and,
    optionally, an attention map)."""
    outputs = session.get_outputs()
    if len(outputs) not in (2, 3):
        raise WeightsError(
            f"{name} has {len(outputs)} output(s); a model for this app has 2 outputs "
            "(probabilities over its labels, then embeddings), and may add an attention map"
        )
    shapes = [list(o.shape or []) for o in outputs]
    width = shapes[0][-1] if shapes[0] else None
    if len(shapes[0]) not in (0, 2) or (isinstance(width, int) and width != len(card.labels)):
        raise WeightsError(
            f"{name} returns {width} probabilities per image but its card lists "
            f"{len(card.labels)} labels"
        )
    dim = shapes[1][-1] if shapes[1] else None
    if isinstance(dim, int) and card.embedding_dim and dim != card.embedding_dim:
        raise WeightsError(
            f"{name} returns embeddings of {dim} values but its card says {card.embedding_dim}"
        )


def cpu_threads() -> int:
    """Threads for math on the CPU: all cores (at least 1)."""
    return max(1, os.cpu_count() or 1)


class OnnxClassifier:
    """onnxruntime session over an exported model; CUDA provider when present and asked."""

    def __init__(self, path: str | os.PathLike[str], card: ModelCard, *, device: str = "auto"):
        import onnxruntime as ort

        available = ort.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        elif device == "cuda":
            raise RuntimeError("CUDA was asked for but onnxruntime has no CUDA provider here")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cpu_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Decoding threads share the cores; spinning ORT threads would steal their time.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=providers)
        self.card = card
        self.path = str(path)
        self.source: str | None = None  # the weights file this model was opened from, if any
        used = self.session.get_providers()[0]
        self.device = (
            "cuda (onnxruntime)" if used == "CUDAExecutionProvider" else "cpu (onnxruntime)"
        )
        self._input = self.session.get_inputs()[0].name
        _check_signature(self.session, card, os.path.basename(str(path)))
        self.has_attention = len(self.session.get_outputs()) >= 3

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, emb, _attention = self.predict_maps(images)
        return probs, emb

    def predict_maps(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        out = self.session.run(None, {self._input: np.ascontiguousarray(images, np.uint8)})
        probs, emb = check_outputs(out[0], out[1], len(images), self.card)
        attention = out[2].astype(np.float32, copy=False) if len(out) >= 3 else None
        return probs, emb, attention


def torch_device(device: str = "auto") -> str:
    """The torch device to use: cuda, then mps, then cpu for ``auto``."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was asked for but torch sees no CUDA device")
    return device


class TorchClassifier:
    """The torch network in eval mode (fallback backend; the one training uses)."""

    def __init__(self, net, card: ModelCard, *, device: str = "auto"):
        import torch

        self.torch = torch
        self.dev = torch_device(device)
        self.net = net.to(self.dev).eval()
        self.card = card
        self.source: str | None = None
        self.device = f"{self.dev} (torch)"
        self.has_attention = True

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, emb, _attention = self.predict_maps(images)
        return probs, emb

    def predict_maps(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        torch = self.torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(images, np.uint8)).to(self.dev)
            probs, emb, attention = self.net(x)
        probs, emb = check_outputs(
            probs.float().cpu().numpy(), emb.float().cpu().numpy(), len(images), self.card
        )
        return probs, emb, attention.float().cpu().numpy()
