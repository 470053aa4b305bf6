"""Tiny real models for tests: a timm test network with a linear head, saved with its card."""

from __future__ import annotations

from pathlib import Path

from inference.card import ModelCard, save_card
from inference.taxonomy import load_taxonomy

TINY_ARCH = "test_efficientnet"
TINY_SIZE = 64


def tiny_labels(n: int = 12) -> list[str]:
    """The first taxa of the bundled taxonomy (blank, human, vehicle, other, then species)."""
    return [t.key for t in load_taxonomy()[:n]]


def make_tiny_model(folder: Path, labels: list[str] | None = None, seed: int = 0) -> Path:
    """Write ``tiny.safetensors`` and its card; return the weights path."""
    import torch
    from safetensors.torch import save_file

    from inference.network import build_headed

    labels = labels or tiny_labels()
    torch.manual_seed(seed)
    net = build_headed(TINY_ARCH, labels, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)).eval()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    card = ModelCard(
        name="tiny",
        version=f"tiny-test-{seed}",
        architecture=TINY_ARCH,
        labels=tuple(labels),
        input_size=TINY_SIZE,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        sha256="",
        embedding_dim=net.backbone.num_features,
        kind="test",
    )
    save_card(card, path)
    return path
