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


def make_tiny_detector(path: Path, *, layout: str = "v5", size: int = 64, cells: int = 4) -> Path:
    """A real ONNX detector in the YOLO style: every cell of a ``cells`` x ``cells`` grid is an
    anchor box of one cell, whose objectness is how bright the cell is (bright cells hold
    "animals"). ``layout`` is ``v5`` (N x boxes x 8, objectness column), ``v8``
    (N x 7 x boxes, no objectness) or ``bad`` (an output that is no detector's)."""
    import torch
    from torch import nn

    step = size / cells
    ys, xs = torch.meshgrid(torch.arange(cells), torch.arange(cells), indexing="ij")
    centres = torch.stack([(xs.flatten() + 0.5) * step, (ys.flatten() + 0.5) * step], 1)

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("centres", centres.float())

        def forward(self, x):
            gray = x.mean(dim=1, keepdim=True)
            cell = nn.functional.avg_pool2d(gray, int(step)).flatten(1)  # N x cells^2
            obj = ((cell - 0.5) * 4).clamp(0, 1)
            n, a = obj.shape
            wh = torch.full((n, a, 2), step, dtype=x.dtype)
            xy = self.centres.unsqueeze(0).expand(n, a, 2)
            cls = torch.stack(
                [torch.ones_like(obj), torch.zeros_like(obj), torch.zeros_like(obj)], 2
            )
            if layout == "bad":
                return obj
            if layout == "v8":
                return torch.cat([xy, wh, cls * obj.unsqueeze(2)], 2).transpose(1, 2)
            return torch.cat([xy, wh, obj.unsqueeze(2), cls], 2)

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Tiny().eval(), (torch.zeros(1, 3, size, size),), str(path), dynamo=False,
        input_names=["images"], output_names=["output"], dynamic_axes={"images": {0: "n"}},
        opset_version=17,
    )  # fmt: skip
    return path
