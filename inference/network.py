"""The torch network behind every model: a timm backbone, in-graph preprocessing, two outputs."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from inference.builtin import pretrained_card
from inference.card import ModelCard
from inference.safety import UnsafeInputError, safe_architecture
from inference.taxonomy import OTHER, aggregation_matrix, imagenet_map, taxonomy_by_key
from inference.weights import (
    PRETRAINED,
    WeightsError,
    load_state_dict,
    map_in_order,
    verified_path,
)


class ClassifierNet(nn.Module):
    """uint8 NHWC RGB images in; (probabilities over labels, embeddings, attention map) out.

    With ``aggregation`` set, the backbone's own ImageNet classifier is kept and its softmax is
    summed into taxa; otherwise ``head`` maps embeddings to label logits. The attention map is
    the class activation map (Zhou et al., 2016) of the five most likely classes that are
    animals, people or vehicles, weighted by their softmax: where in the frame the network sees
    what it is about to name. ``target`` marks those classes among the classifier's outputs.
    """

    def __init__(
        self,
        backbone: nn.Module,
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
        *,
        aggregation: np.ndarray | None = None,
        head: nn.Module | None = None,
        target: np.ndarray | None = None,
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
        classifier = self._classifier()
        mask = (
            np.ones(classifier.out_features, bool) if target is None else np.asarray(target, bool)
        )
        if mask.shape != (classifier.out_features,):
            raise ValueError("target must mark each output of the classifier")
        self.register_buffer("target", torch.from_numpy(mask))
        self.top_k = int(min(5, max(1, mask.sum())))

    def _classifier(self) -> nn.Module:
        return self.backbone.classifier if self.aggregation is not None else self.head

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled penultimate features of uint8 NHWC images."""
        x = images.permute(0, 3, 1, 2).float()
        x = (x - self.mean) / self.std
        feats = self.backbone.forward_features(x)
        return self.backbone.forward_head(feats, pre_logits=True)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = images.permute(0, 3, 1, 2).float()
        feats = self.backbone.forward_features((x - self.mean) / self.std)
        emb = self.backbone.forward_head(feats, pre_logits=True)
        classifier = self._classifier()
        logits = classifier(emb)
        if self.aggregation is not None:
            scores = torch.softmax(logits, dim=1) @ self.aggregation
            probs = scores / scores.sum(dim=1, keepdim=True)
        else:
            probs = torch.softmax(logits, dim=1)
        masked = logits.masked_fill(~self.target, -1e4)
        top = torch.topk(masked, self.top_k, dim=1)
        weights = torch.softmax(top.values, dim=1).unsqueeze(-1) * classifier.weight[top.indices]
        attention = torch.einsum("nchw,nkc->nhw", feats, weights)
        return probs, emb, attention


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
    kinds = np.array([row[2] for row in imagenet_map()])
    net = ClassifierNet(
        backbone,
        card.mean,
        card.std,
        aggregation=aggregation_matrix(list(card.labels)),
        target=np.isin(kinds, ("animal", "human", "vehicle")),
    )
    return net.eval(), card


def target_mask(labels) -> np.ndarray:
    """Which labels are things to find in a frame (animals, people, vehicles; not blank/other)."""
    known = taxonomy_by_key()
    return np.array(
        [
            (known[k].observation_type != "blank" and k != OTHER) if k in known else True
            for k in labels
        ],
        bool,
    )


def build_headed(architecture: str, labels, mean, std) -> ClassifierNet:
    """A backbone with a fresh linear head over ``labels`` (weights loaded by the caller)."""
    backbone = _timm_backbone(architecture)
    head = nn.Linear(backbone.num_features, len(labels))
    return ClassifierNet(backbone, tuple(mean), tuple(std), head=head, target=target_mask(labels))


def load_headed(card: ModelCard, weights: str) -> ClassifierNet:
    """A fine-tuned network from its safetensors checkpoint and card."""
    net = build_headed(card.architecture, card.labels, card.mean, card.std)
    state = load_state_dict(weights)
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in ("mean", "std", "target")]
    if missing or unexpected:
        raise WeightsError(
            f"checkpoint {weights} does not fit {card.architecture}: "
            f"missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    return net.eval()
