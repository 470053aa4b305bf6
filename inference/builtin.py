"""Cards of the built-in pretrained models, without importing torch."""

from __future__ import annotations

from inference.card import ModelCard
from inference.taxonomy import load_taxonomy, map_digest
from inference.weights import IMAGENET_MEAN_STD, PretrainedSpec

# Bump when the exported network's outputs change (a1: probabilities, embeddings, attention map).
OUTPUT_SCHEME = "a1"


def pretrained_card(spec: PretrainedSpec) -> ModelCard:
    """Card of a packaged pretrained model, over the bundled taxonomy."""
    labels = tuple(t.key for t in load_taxonomy())
    return ModelCard(
        name=spec.name,
        version=f"{spec.architecture}-{spec.sha256[:8]}-t{map_digest()}-{OUTPUT_SCHEME}",
        architecture=spec.architecture,
        labels=labels,
        input_size=spec.input_size,
        mean=IMAGENET_MEAN_STD,
        std=IMAGENET_MEAN_STD,
        sha256=spec.sha256,
        embedding_dim=1280,
        kind="pretrained",
        license=spec.license,
        source=f"PyPI package {spec.package.replace('_', '-')} (ImageNet-1k)",
    )
