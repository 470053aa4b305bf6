"""Open-world suggestions: the head sharpens the classes it knows, the rest keep their zero-shot
probability, and images unlike anything labeled say so.

A head trained on the user's labels can only name those labels; a vehicle, a person or a
species that just walked in would be forced into one of them. Here the pretrained model's
zero-shot probabilities of the labels the head does not know are kept, with a weight that grows
with how unfamiliar the image is (how far its embedding lies from every labeled one, compared
with how far labeled images lie from each other).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Share of the zero-shot mass of unseen labels kept even for familiar images: enough to keep
# them in a top-5, too little to outrank a confident head.
FAMILIAR_FLOOR = 0.1
# Above this unfamiliarity an image is never auto-accepted and goes to the front of the queue.
UNFAMILIAR_GATE = 0.95
# Unfamiliarity at which unseen labels start to gain weight: a quarter of labeled images lie
# as far from the rest as this, so up to here an image is ordinary.
UNFAMILIAR_START = 0.75
CHUNK = 4096


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)


def nearest_distances(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine distance from each query row to its nearest reference row (chunked)."""
    if len(reference) == 0:
        return np.full(len(query), 2.0, np.float32)
    ref = _unit(reference).T
    out = np.empty(len(query), np.float32)
    for start in range(0, len(query), CHUNK):
        sims = _unit(query[start : start + CHUNK]) @ ref
        out[start : start + CHUNK] = 1.0 - sims.max(axis=1)
    return out


def calibration_distances(labeled: np.ndarray, groups: Sequence[object]) -> np.ndarray:
    """Each labeled image's distance to its nearest labeled image of another burst."""
    n = len(labeled)
    if n < 2:
        return np.zeros(0, np.float32)
    unit = _unit(labeled)
    g = np.asarray([str(x) for x in groups], dtype=object)
    out = np.empty(n, np.float32)
    for start in range(0, n, CHUNK):
        sims = unit[start : start + CHUNK] @ unit.T
        same = g[start : start + CHUNK, None] == g[None, :]
        sims[same] = -np.inf
        out[start : start + CHUNK] = 1.0 - sims.max(axis=1)
    return out[np.isfinite(out)]


def unfamiliarity(query: np.ndarray, labeled: np.ndarray, groups: Sequence[object]) -> np.ndarray:
    """In [0, 1]: the share of labeled images that lie closer to the rest of the labeled set
    than this image lies to it (a conformal novelty score; 1 = farther than all of them)."""
    cal = np.sort(calibration_distances(labeled, groups))
    d = nearest_distances(query, labeled)
    if len(cal) == 0:
        return np.ones(len(query), np.float32)
    below = np.searchsorted(cal, d, side="left")
    return (below / len(cal)).astype(np.float32)


def open_world(
    head_probs: np.ndarray,
    head_classes: Sequence[str],
    zero_shot: np.ndarray,
    labels: Sequence[str],
    unfamiliar: np.ndarray,
    *,
    floor: float = FAMILIAR_FLOOR,
) -> np.ndarray:
    """Probabilities over ``labels`` (the project's list): the head's over the labels it knows,
    the zero-shot model's over the others, mixed by unfamiliarity.

    ``zero_shot`` is N x len(labels) (the pretrained model's suggestions over the project
    list). Unseen labels get ``floor`` of their zero-shot mass for ordinary images, rising to
    all of it for images farther from the labeled ones than any labeled image is from the
    rest; the head shares the remaining mass among its own labels.
    """
    labels = list(labels)
    index = {k: i for i, k in enumerate(labels)}
    known = np.zeros(len(labels), bool)
    out = np.zeros((len(head_probs), len(labels)), np.float32)
    for c in head_classes:
        if c in index:
            known[index[c]] = True
    zs = np.asarray(zero_shot, np.float32) * ~known
    unseen_mass = zs.sum(axis=1, keepdims=True)
    ramp = np.clip(
        (np.asarray(unfamiliar, np.float32) - UNFAMILIAR_START) / (1 - UNFAMILIAR_START), 0, 1
    )
    share = np.maximum(floor, ramp)[:, None] * unseen_mass
    for j, c in enumerate(head_classes):
        if c in index:
            out[:, index[c]] += head_probs[:, j]
    out *= 1.0 - share
    out += np.where(unseen_mass > 0, zs / np.maximum(unseen_mass, 1e-9), 0.0) * share
    return out / out.sum(axis=1, keepdims=True)
