"""One ``Classifier`` protocol, two backends: onnxruntime (default) and torch (fallback, training)."""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

import numpy as np

from inference.card import ModelCard


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
        self.has_attention = len(self.session.get_outputs()) >= 3

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, emb, _attention = self.predict_maps(images)
        return probs, emb

    def predict_maps(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        out = self.session.run(None, {self._input: np.ascontiguousarray(images, np.uint8)})
        probs, emb = out[0].astype(np.float32, copy=False), out[1].astype(np.float32, copy=False)
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
        return (probs.float().cpu().numpy(), emb.float().cpu().numpy(),
                attention.float().cpu().numpy())  # fmt: skip
