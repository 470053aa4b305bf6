"""Glue from the catalog to the prediction pipeline: plan, commit batches, empty scores, views."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from inference.aggregate import burst_average, ensemble, topk
from inference.backends import Classifier
from inference.card import ModelCard
from inference.empty import BurstAndSceneScorer, EmptyScorer
from inference.pipeline import (
    BUILTIN,
    PredictedBatch,
    PredictItem,
    PredictProgress,
    predict_batches,
)
from inference.taxonomy import BLANK
from labeler.core.generators import relay
from labeler.core.regions import (
    AUTO,
    BUILTIN_SOURCE,
    RegionPlan,
    plan_regions,
    region_scores,
    store_builtin_regions,
)
from labeler.core.safepath import image_path
from labeler.core.species import ensure_default_species, project_labels
from labeler.core.store import PredictionRow, Store

TOP_K = 5


@dataclass
class PredictReport:
    """Figures of a prediction run (the ``--json`` object of ``labeler predict``).

    ``regions`` names where the animal regions came from; ``cropped`` counts the images whose
    outputs include a crop around their animal. ``paused`` says why a run stopped early (the
    card went away): ``unavailable`` images were left to be predicted by the next run.
    """

    images: int
    predicted: int
    failed: int
    already_done: int
    seconds: float
    images_per_second: float
    device: str
    model_version: str
    cancelled: bool
    regions: str = "whole"
    cropped: int = 0
    unavailable: int = 0
    paused: str | None = None

    def to_json(self) -> dict:
        """Plain JSON-ready dict."""
        return asdict(self)


def register(
    store: Store, card: ModelCard, path: str | None = None, plan: RegionPlan | None = None
) -> int:
    """Model id of a card with its region source in this project (registered on first use).

    Predictions made on crops from different region sources are different models: their
    versions differ (``<card version>@<region tag>``), so their embeddings are never mixed.
    """
    if plan is None:
        return store.register_model(card.version, card.name, card.kind, card.to_json(), path)
    data = card.to_json()
    data["version"] = f"{card.version}@{plan.tag}"
    data["backbone_version"] = card.version
    data["regions"] = {"mode": plan.mode, "tag": plan.tag, "source": plan.source}
    return store.register_model(data["version"], card.name, card.kind, data, path)


def plan(store: Store, root: str, model_id: int) -> list[PredictItem]:
    """Images of the project this model has not predicted yet, in burst order, each with its
    camera folder."""
    return [
        PredictItem(image_id, image_path(root, rel), rel.rpartition("/")[0])
        for image_id, rel in store.unpredicted_images(model_id)
    ]


def rows_for(batch: PredictedBatch, card: ModelCard, labels: Sequence[str]) -> list[PredictionRow]:
    """Catalog rows for a predicted batch: top-k over the project's labels, failures kept."""
    blank = card.labels.index(BLANK) if BLANK in card.labels else None
    tops = topk(batch.probs, card.labels, labels, TOP_K) if batch.keys else []
    rows = [
        PredictionRow(
            image_id=key,
            topk=tops[i],
            probs=batch.probs[i],
            embedding=batch.embeddings[i],
            thumb=batch.thumbs[i],
            blank_prob=None if blank is None else float(batch.probs[i, blank]),
            cropped=batch.cropped[i] if batch.cropped else None,
        )
        for i, key in enumerate(batch.keys)
    ]
    rows += [PredictionRow(image_id=key, error=msg) for key, msg in batch.failures]
    return rows


def empty_scores(
    store: Store,
    model_id: int,
    scorer: EmptyScorer | None = None,
    regions: dict[int, float] | None = None,
) -> dict[int, float]:
    """Empty-frame score of every predicted image, burst by burst; ``regions`` holds each
    image's best animal-region score where a region source looked at it."""
    scorer = scorer or BurstAndSceneScorer()
    regions = regions or {}
    out: dict[int, float] = {}
    group: list[tuple[int, np.ndarray | None, float | None]] = []
    current: object = object()

    def flush() -> None:
        if group:
            scores = scorer.scores([g[1] for g in group], [g[2] for g in group],
                                   [regions.get(g[0]) for g in group])  # fmt: skip
            out.update({g[0]: s for g, s in zip(group, scores, strict=True)})
            group.clear()

    for image_id, seq, thumb, blank_prob in store.empty_inputs(model_id):
        if seq is None or seq != current:
            flush()
            current = seq
        group.append((image_id, thumb, blank_prob))
        if seq is None:
            flush()
    flush()
    return out


def run_predict(
    store: Store,
    root: str,
    classifier: Classifier,
    *,
    batch_size: int = 32,
    should_stop: Callable[[], bool] = lambda: False,
    regions: str | RegionPlan = AUTO,
) -> Generator[PredictProgress, None, PredictReport]:
    """Predict every unpredicted image of ``store`` with ``classifier``, committing in batches.

    ``regions`` chooses where the animal crops come from (see :func:`plan_regions`). When the
    card goes away the run stops; the images not reached stay unpredicted for the next run.
    """
    ensure_default_species(store)
    card = classifier.card
    region_plan = regions if isinstance(regions, RegionPlan) else plan_regions(store, regions)
    if region_plan.mode == BUILTIN:
        store.register_region_source(BUILTIN_SOURCE, BUILTIN, {"version": BUILTIN_SOURCE})
    model_id = register(store, card, getattr(classifier, "source", None), region_plan)
    version = store.model_version(model_id) or card.version
    labels = project_labels(store)
    items = plan(store, root, model_id)
    already = store.prediction_counts(model_id)
    t0 = time.perf_counter()
    gen = predict_batches(items, classifier, batch_size=batch_size, should_stop=should_stop,
                          regions=region_plan.mode, boxes=region_plan.boxes)  # fmt: skip

    def handle(event):
        if isinstance(event, PredictedBatch):
            store.write_predictions(model_id, rows_for(event, card, labels))
            if region_plan.mode == BUILTIN and event.keys:
                store_builtin_regions(store, dict(zip(event.keys, event.regions, strict=True)))
            return None
        return event

    summary = yield from relay(gen, handle)
    store.set_empty_scores(
        model_id, empty_scores(store, model_id, regions=region_scores(store, region_plan))
    )
    if store.active_model() is None or store.active_model()["id"] != model_id:
        store.set_active_model(model_id)
    seconds = time.perf_counter() - t0
    done = summary.predicted + summary.failed
    return PredictReport(
        images=len(items) + already["predicted"] + already["failed"],
        predicted=summary.predicted,
        failed=summary.failed,
        already_done=already["predicted"] + already["failed"],
        seconds=round(seconds, 3),
        images_per_second=round(done / seconds, 1) if seconds > 0 and done else 0.0,
        device=summary.device,
        model_version=version,
        cancelled=summary.cancelled,
        regions=region_plan.describe(),
        cropped=summary.cropped,
        unavailable=summary.unavailable,
        paused=summary.paused,
    )


def suggestion_view(
    store: Store, model_ids: Sequence[int], *, bursts: bool = False, k: int = TOP_K
) -> dict[int, list[tuple[str, float]]]:
    """Top-k per image from stored probabilities: one model, an ensemble, burst-averaged or not."""
    labels = project_labels(store)
    models = {m["id"]: m for m in store.models()}
    per_model = [(models[m]["card"]["labels"], store.stored_probs(m)) for m in model_ids]
    common = sorted(set.intersection(*(set(p) for _, p in per_model))) if per_model else []
    if not common:
        return {}
    mlabels, mprobs = ensemble(
        [(lab, np.stack([probs[i] for i in common])) for lab, probs in per_model]
    )
    by_image = dict(zip(common, mprobs, strict=True))
    if bursts:
        by_image = burst_average(by_image, store.burst_of_images())
    ids = list(by_image)
    tops = topk(np.stack([by_image[i] for i in ids]), mlabels, labels, k)
    return dict(zip(ids, tops, strict=True))


def refresh_suggestions(store: Store, model_id: int | None = None) -> int:
    """Recompute the stored top-k of a model over the current species list (after species were
    added, hidden or shown); returns the number of images updated."""
    model = (
        next((m for m in store.models() if m["id"] == model_id), None)
        if model_id
        else store.active_model()
    )
    if model is None:
        return 0
    probs = store.stored_probs(model["id"])
    if not probs:
        return 0
    ids = list(probs)
    tops = topk(
        np.stack([probs[i] for i in ids]), model["card"]["labels"], project_labels(store), TOP_K
    )
    store.replace_topk(model["id"], dict(zip(ids, tops, strict=True)))
    return len(ids)
