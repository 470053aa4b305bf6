"""Turning model probabilities into suggestions: project top-k, burst averages, ensembles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from inference.taxonomy import OTHER


def project_matrix(model_labels: Sequence[str], project_labels: Sequence[str]) -> np.ndarray:
    """A len(model) x len(project) 0/1 matrix: model labels outside the project go to ``other``.

    ``project_labels`` must contain ``other``. Project labels the model does not know get 0.
    """
    index = {k: i for i, k in enumerate(project_labels)}
    if OTHER not in index:
        raise ValueError("the project's labels must include 'other'")
    m = np.zeros((len(model_labels), len(project_labels)), np.float32)
    for i, k in enumerate(model_labels):
        m[i, index.get(k, index[OTHER])] = 1.0
    return m


def topk(
    probs: np.ndarray, model_labels: Sequence[str], project_labels: Sequence[str], k: int = 5
) -> list[list[tuple[str, float]]]:
    """Top-k (label, probability) over the project's labels for each row of ``probs``."""
    p = np.atleast_2d(np.asarray(probs, np.float32)) @ project_matrix(model_labels, project_labels)
    k = min(k, p.shape[1])
    idx = np.argsort(-p, axis=1, kind="stable")[:, :k]
    return [
        [(project_labels[j], float(row[j])) for j in order]
        for row, order in zip(p, idx, strict=True)
    ]


def burst_average(
    probs: Mapping[int, np.ndarray], burst_of: Mapping[int, int | None]
) -> dict[int, np.ndarray]:
    """Each frame's probabilities replaced by the mean over its burst (Norouzzadeh et al., S.3).

    Frames without a burst keep their own probabilities.
    """
    groups: dict[int, list[int]] = defaultdict(list)
    for image_id in probs:
        b = burst_of.get(image_id)
        if b is not None:
            groups[b].append(image_id)
    out = {i: np.asarray(p, np.float32) for i, p in probs.items()}
    for members in groups.values():
        mean = np.mean([probs[i] for i in members], axis=0).astype(np.float32)
        for i in members:
            out[i] = mean
    return out


def ensemble(
    members: Sequence[tuple[Sequence[str], np.ndarray]], weights: Sequence[float] | None = None
) -> tuple[list[str], np.ndarray]:
    """Average several models' probabilities over the union of their labels (their S.2).

    Each member is (labels, N x len(labels) probabilities) for the same N images; a label a
    member does not know counts as 0 for it.
    """
    if not members:
        raise ValueError("an ensemble needs at least one model")
    labels: list[str] = []
    for lab, _ in members:
        labels += [x for x in lab if x not in labels]
    index = {k: i for i, k in enumerate(labels)}
    w = np.ones(len(members)) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    n = np.atleast_2d(members[0][1]).shape[0]
    total = np.zeros((n, len(labels)), np.float32)
    for (lab, p), wi in zip(members, w, strict=True):
        p = np.atleast_2d(np.asarray(p, np.float32))
        if p.shape[0] != n:
            raise ValueError("ensemble members must cover the same images")
        cols = [index[x] for x in lab]
        total[:, cols] += wi * p
    return labels, total
