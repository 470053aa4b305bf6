"""The review queue: which unlabeled image is most useful to confirm next."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STRATEGIES = ("margin", "entropy", "least_confidence", "random")


def uncertainty(probs: np.ndarray, strategy: str) -> np.ndarray:
    """Higher means more useful to label: 1 - margin, entropy, or 1 - top probability."""
    p = np.asarray(probs, np.float64)
    if strategy == "margin":
        top2 = -np.sort(-p, axis=1)[:, :2]
        second = top2[:, 1] if p.shape[1] > 1 else 0.0
        return 1.0 - (top2[:, 0] - second)
    if strategy == "entropy":
        return -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=1)
    if strategy == "least_confidence":
        return 1.0 - p.max(axis=1)
    raise ValueError(f"unknown strategy {strategy!r}")


def review_order(
    probs: np.ndarray,
    bursts: Sequence[object],
    *,
    strategy: str = "margin",
    k: int | None = None,
    seed: int = 0,
    embeddings: np.ndarray | None = None,
    near_duplicate: float = 0.985,
) -> np.ndarray:
    """Row order for review: most uncertain first, at most one frame per burst per pass.

    Each pass over the candidates takes the most uncertain frame of every burst not yet taken
    in that pass (and, with ``embeddings``, skips frames nearly identical to one already
    taken), so that one long burst cannot fill the queue. ``random`` shuffles instead.
    """
    n = len(probs)
    if n == 0:
        return np.zeros(0, np.int64)
    if strategy == "random":
        order = np.random.default_rng(seed).permutation(n)
        return order[:k] if k else order
    score = uncertainty(probs, strategy)
    ranked = np.argsort(-score, kind="stable")
    unit = None
    if embeddings is not None and len(embeddings) == n:
        e = np.asarray(embeddings, np.float32)
        unit = e / (np.linalg.norm(e, axis=1, keepdims=True) + 1e-9)
    out: list[int] = []
    remaining = list(ranked)
    limit = k or n
    while remaining and len(out) < limit:
        seen: set[object] = set()
        chosen: list[int] = []
        deferred: list[int] = []
        for row in remaining:
            b = bursts[row]
            if b is not None and b in seen:
                deferred.append(row)
                continue
            if unit is not None and chosen:
                # Compare with the most recent picks only: near-duplicates sit side by side.
                sims = unit[chosen[-64:]] @ unit[row]
                if sims.max() >= near_duplicate:
                    deferred.append(row)
                    continue
            chosen.append(row)
            if b is not None:
                seen.add(b)
            if len(out) + len(chosen) >= limit:
                break
        if not chosen:
            chosen, deferred = deferred[:1], deferred[1:]
        out.extend(chosen)
        done = set(chosen) | set(deferred)
        remaining = deferred + [r for r in remaining if r not in done]
    return np.array(out[:limit], np.int64)
