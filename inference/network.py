"""The torch network behind every model: a timm backbone, in-graph preprocessing, two outputs."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from inference.builtin import pretrained_card
from inference.card import ModelCard
from inference.safety import UnsafeInputError, safe_architecture
from inference.taxonomy import aggregation_matrix
from inference.weights import (
    PRETRAINED,
    WeightsError,
    load_state_dict,
    map_in_order,
    verified_path,
)


class ClassifierNet(nn.Module):
    """uint8 NHWC RGB images in; (probabilities over labels, embeddings) out.

    With ``aggregation`` set, the backbone's own ImageNet classifier is kept and its softmax is
    summed into taxa; otherwise ``head`` maps embeddings to label logits.
    """

    def __init__(
        self,
        backbone: nn.Module,
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
        *,
        aggregation: np.ndarray | None = None,
        head: nn.Module | None = None,
    ):
        super().__init__()
        if (aggregation is None) == (head is None):
            raise ValueError("give exactly one of aggregation or head")
        self.backbone = backbone
        self.head = head
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1) * 255)
        if aggregation is not None:
            self.register_buffer(
                "aggregation", torch.from_numpy(np.asarray(aggregation, np.float32))
            )
        else:
            self.aggregation = None

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled penultimate features of uint8 NHWC images."""
        x = images.permute(0, 3, 1, 2).float()
        x = (x - self.mean) / self.std
        feats = self.backbone.forward_features(x)
        return self.backbone.forward_head(feats, pre_logits=True)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.embed(images)
        if self.aggregation is not None:
            scores = torch.softmax(self.backbone.classifier(emb), dim=1) @ self.aggregation
            probs = scores / scores.sum(dim=1, keepdim=True)
        else:
            probs = torch.softmax(self.head(emb), dim=1)
        return probs, emb


def _timm_backbone(architecture: str) -> nn.Module:
    import timm

    # Only networks timm defines locally: a hub or folder prefix would fetch code or weights.
    try:
        safe_architecture(architecture)
    except UnsafeInputError as exc:
        raise WeightsError(str(exc)) from None
    if not timm.is_model(architecture):
        raise WeightsError(f"unknown architecture {architecture!r}: not a network timm defines")
    return timm.create_model(architecture, pretrained=False)


def build_pretrained(name: str) -> tuple[ClassifierNet, ModelCard]:
    """The packaged ImageNet backbone mapped onto the taxonomy, weights verified."""
    if name not in PRETRAINED:
        raise WeightsError(
            f"unknown pretrained model {name!r}; choose from {', '.join(PRETRAINED)}"
        )
    spec = PRETRAINED[name]
    path = verified_path(spec)
    backbone = _timm_backbone(spec.architecture)
    target = [(k, tuple(v.shape)) for k, v in backbone.state_dict().items()]
    backbone.load_state_dict(map_in_order(load_state_dict(path), target))
    card = pretrained_card(spec)
    net = ClassifierNet(
        backbone, card.mean, card.std, aggregation=aggregation_matrix(list(card.labels))
    )
    return net.eval(), card


def build_headed(architecture: str, n_labels: int, mean, std) -> ClassifierNet:
    """A backbone with a fresh linear head over ``n_labels`` (weights loaded by the caller)."""
    backbone = _timm_backbone(architecture)
    head = nn.Linear(backbone.num_features, n_labels)
    return ClassifierNet(backbone, tuple(mean), tuple(std), head=head)


def load_headed(card: ModelCard, weights: str) -> ClassifierNet:
    """A fine-tuned network from its safetensors checkpoint and card."""
    net = build_headed(card.architecture, len(card.labels), card.mean, card.std)
    state = load_state_dict(weights)
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in ("mean", "std")]
    if missing or unexpected:
        raise WeightsError(
            f"checkpoint {weights} does not fit {card.architecture}: "
            f"missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    return net.eval()
