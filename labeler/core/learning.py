"""Glue from the catalog to active learning: training sets, heads, review order, auto-accept."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.aggregate import project_matrix
from inference.taxonomy import BLANK
from labeler.core.project import data_dir
from labeler.core.species import project_labels
from labeler.core.store import PredictionRow, Store
from training.head import BALANCED, Head, cross_validate, fit_head, fit_temperature
from training.openworld import open_world, unfamiliarity

TOP_K = 5


@dataclass
class TrainingSet:
    """Human-confirmed labels with the embeddings of a backbone."""

    image_ids: np.ndarray
    labels: list[str]
    groups: list[object]
    embeddings: np.ndarray


@dataclass
class HeadOutcome:
    """What a retrain produced and whether the new head replaces the current one."""

    head: Head | None
    accepted: bool
    reason: str
    n_labels: int
    cv_accuracy: float
    previous_accuracy: float | None
    seconds: float = 0.0
    backbone_id: int | None = None
    oof: np.ndarray | None = None
    truth: list[str] = field(default_factory=list)
    image_ids: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready figures."""
        return {
            "accepted": self.accepted,
            "reason": self.reason,
            "labels": self.n_labels,
            "classes": [] if self.head is None else self.head.classes,
            "cv_accuracy": None if math.isnan(self.cv_accuracy) else round(self.cv_accuracy, 4),
            "previous_accuracy": self.previous_accuracy,
            "seconds": round(self.seconds, 3),
        }


def embedding_model(store: Store) -> dict | None:
    """The backbone whose embeddings heads train on (the active model, or its parent)."""
    active = store.active_model()
    if active is None:
        return None
    if active["kind"] == "head":
        parent = active["card"].get("parent_version")
        rows = [m for m in store.models() if m["version"] == parent]
        return rows[0] if rows else None
    return active


def current_head(store: Store) -> tuple[dict, Head] | None:
    """The active head model and its weights, if the active model is a head."""
    active = store.active_model()
    if active is None or active["kind"] != "head" or not active["path"]:
        return None
    return active, load_head(Path(active["path"]), active["card"])


def training_set(store: Store, backbone_id: int) -> TrainingSet:
    """Images with a human label and an embedding from ``backbone_id``."""
    rows = store.human_labeled_embeddings(backbone_id)
    if not rows:
        return TrainingSet(np.zeros(0, np.int64), [], [], np.zeros((0, 0), np.float32))
    ids = np.array([r[0] for r in rows], np.int64)
    emb = np.stack([r[3] for r in rows])
    groups = [r[2] if r[2] is not None else f"image-{r[0]}" for r in rows]
    return TrainingSet(ids, [r[1] for r in rows], groups, emb)


def _previous_accuracy(
    store: Store, previous: tuple[dict, Head] | None, ts: TrainingSet, backbone_id: int
):
    """Accuracy of the current head (or of the backbone alone) on labels it has not seen."""
    if previous is not None:
        model, head = previous
        extra = model["card"].get("extra", {})
        # A label the user corrected since the head was trained counts as new, as an image
        # labeled for the first time does (heads saved without their labels: ids only).
        trained = extra.get("trained_on", [])
        seen = dict(zip(trained, extra.get("trained_labels") or [None] * len(trained), strict=True))
        new = [
            i
            for i, (image_id, label) in enumerate(zip(ts.image_ids, ts.labels, strict=True))
            if int(image_id) not in seen or seen[int(image_id)] not in (None, label)
        ]
        if not new:
            return None, "no new labels since the current head"
        pred = np.array(head.classes)[head.predict_proba(ts.embeddings[new]).argmax(axis=1)]
        truth = np.array(ts.labels, dtype=object)[new]
        return float((pred == truth).mean()), new
    probs = store.stored_probs(backbone_id, ts.image_ids.tolist())
    labels = store.models()
    card_labels = next(m["card"]["labels"] for m in labels if m["id"] == backbone_id)
    hits = [
        card_labels[int(np.argmax(probs[int(i)]))] == lab
        for i, lab in zip(ts.image_ids, ts.labels, strict=True)
        if int(i) in probs
    ]
    return (float(np.mean(hits)) if hits else 0.0), list(range(len(ts.labels)))


def retrain_head(
    store: Store,
    *,
    imbalance: str = BALANCED,
    folds: int = 3,
    l2: float = 1e-3,
) -> HeadOutcome:
    """Fit a head on every confirmed label and decide whether it replaces the current one.

    The new head is kept only if its cross-validated accuracy, on the labels the current head
    has not seen, is not worse than the current head's accuracy on them (the pretrained model
    is the baseline before any head exists).
    """
    t0 = time.perf_counter()
    backbone = embedding_model(store)
    if backbone is None:
        return HeadOutcome(
            None, False, "no predictions yet: run prediction first", 0, float("nan"), None
        )
    ts = training_set(store, backbone["id"])
    if len(set(ts.labels)) < 2:
        return HeadOutcome(None, False, "confirm labels of at least two species (or blank) first",
                           len(ts.labels), float("nan"), None, backbone_id=backbone["id"])  # fmt: skip
    previous = current_head(store)
    head = fit_head(ts.embeddings, ts.labels, imbalance=imbalance, l2=l2,
                    init=previous[1] if previous is not None else None)  # fmt: skip
    cv = cross_validate(ts.embeddings, ts.labels, ts.groups, k=min(folds, max(2, len(set(ts.groups)))),
                        imbalance=imbalance, full=head, l2=l2)  # fmt: skip
    head.temperature = fit_temperature(cv.oof, cv.y)
    calibrated = _temper(cv.oof, head.temperature)
    prev_acc, rows = _previous_accuracy(store, previous, ts, backbone["id"])
    if prev_acc is None:
        accepted, reason = previous is None, rows
    else:
        new_acc = float(
            (
                np.array(cv.classes)[calibrated[rows].argmax(axis=1)]
                == np.array(ts.labels, dtype=object)[rows]
            ).mean()
        )
        accepted = new_acc >= prev_acc
        reason = (f"cross-validated accuracy {new_acc:.3f} on {len(rows)} new labels vs {prev_acc:.3f} "
                  f"for the current {'head' if previous else 'pretrained model'}")  # fmt: skip
    head.info.update({"cv_accuracy": cv.accuracy, "trained_on": [int(i) for i in ts.image_ids]})
    return HeadOutcome(head, accepted, reason, len(ts.labels), cv.accuracy, prev_acc,
                       time.perf_counter() - t0, backbone["id"], calibrated, list(ts.labels),
                       [int(i) for i in ts.image_ids])  # fmt: skip


def _temper(probs: np.ndarray, t: float) -> np.ndarray:
    s = np.log(np.clip(probs, 1e-7, 1.0)) / t
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def head_folder(store: Store) -> Path:
    """Where this project's heads and fine-tuned models are saved."""
    return data_dir() / "models" / store.path.stem


def save_head(store: Store, outcome: HeadOutcome) -> int:
    """Save an accepted head (safetensors + card), register it and make it active; returns its id."""
    from training.checkpoint import save_arrays_atomic

    assert outcome.head is not None and outcome.backbone_id is not None
    backbone = next(m for m in store.models() if m["id"] == outcome.backbone_id)
    n = store.count_models("head") + 1
    version = f"head-{n}-{backbone['version']}"
    folder = head_folder(store)
    folder.mkdir(parents=True, exist_ok=True)
    path = save_arrays_atomic(outcome.head.to_arrays(), folder / f"{version}.safetensors")
    card = {
        "name": version,
        "version": version,
        "architecture": "linear-head",
        "labels": project_labels(store),
        "input_size": backbone["card"].get("input_size", 224),
        "mean": backbone["card"].get("mean", [0.5] * 3),
        "std": backbone["card"].get("std", [0.5] * 3),
        "kind": "head",
        "parent_version": backbone["version"],
        "extra": {
            "head_classes": outcome.head.classes,
            "cv_accuracy": outcome.cv_accuracy,
            "trained_on": outcome.image_ids,
            "trained_labels": outcome.truth,
            "imbalance": outcome.head.info.get("imbalance"),
        },
    }
    model_id = store.register_model(version, version, "head", card, str(path))
    store.set_active_model(model_id)
    return model_id


def load_head(path: Path, card: dict) -> Head:
    """A saved head from its safetensors file and card."""
    from safetensors.numpy import load_file

    return Head.from_arrays(card["extra"]["head_classes"], load_file(str(path)), card.get("extra"))


def head_predictions(
    store: Store, head: Head, backbone_id: int, labels: list[str]
) -> list[PredictionRow]:
    """Top-k over the project's labels for every embedded image, open-world: the head's
    probabilities over the labels it knows, the pretrained model's over the rest, mixed by how
    unlike the labeled images each image is (:mod:`training.openworld`)."""
    backbone = next(m for m in store.models() if m["id"] == backbone_id)
    bm = project_matrix(backbone["card"]["labels"], labels)
    width = len(backbone["card"]["labels"])
    ts = training_set(store, backbone_id)
    blank_col = labels.index(BLANK) if BLANK in labels else None
    rows: list[PredictionRow] = []
    for ids, emb in store.iter_embeddings(backbone_id):
        zero = store.stored_probs(backbone_id, ids.tolist())
        zs = np.stack([zero.get(int(i), np.zeros(width, np.float32)) for i in ids]) @ bm
        unf = unfamiliarity(emb, ts.embeddings, ts.groups) if len(ts.labels) else np.ones(len(ids))
        mixed = open_world(head.predict_proba(emb), head.classes, zs, labels, unf)
        order = np.argsort(-mixed, axis=1)[:, :TOP_K]
        for r, image_id in enumerate(ids):
            rows.append(
                PredictionRow(
                    int(image_id),
                    topk=[(labels[j], float(mixed[r, j])) for j in order[r]],
                    probs=mixed[r],
                    blank_prob=None if blank_col is None else float(mixed[r, blank_col]),
                )
            )
    return rows


def write_head_predictions(store: Store, model_id: int, rows: list[PredictionRow]) -> None:
    """Store a head's predictions; its empty score is its own probability of blank."""
    for start in range(0, len(rows), 2000):
        store.write_predictions(model_id, rows[start : start + 2000])
    scores = {r.image_id: r.blank_prob for r in rows if r.blank_prob is not None}
    if scores:
        store.set_empty_scores(model_id, scores)


def install_head(store: Store, outcome: HeadOutcome) -> int:
    """Save an accepted head, make it active and store its predictions for every image."""
    model_id = save_head(store, outcome)
    assert outcome.head is not None and outcome.backbone_id is not None
    rows = head_predictions(store, outcome.head, outcome.backbone_id, project_labels(store))
    write_head_predictions(store, model_id, rows)
    return model_id


def save_json(path: Path, data: dict) -> None:
    """Write a JSON file atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def oof_probabilities(store: Store) -> dict[int, tuple[list[str], np.ndarray]]:
    """Cross-validated probabilities of the active head for the images it was trained on."""
    found = current_head(store)
    if found is None:
        return {}
    _model, head = found
    backbone = embedding_model(store)
    ts = training_set(store, backbone["id"])
    if len(set(ts.labels)) < 2:
        return {}
    cv = cross_validate(ts.embeddings, ts.labels, ts.groups, imbalance=head.info.get("imbalance") or BALANCED,
                        full=head)  # fmt: skip
    probs = _temper(cv.oof, head.temperature)
    return {int(i): (cv.classes, probs[r]) for r, i in enumerate(ts.image_ids)}


def evaluation_probabilities(
    store: Store, image_ids: list[int]
) -> tuple[list[str], np.ndarray, list[int]]:
    """Probabilities of the active model for ``image_ids``, never from training on them.

    Images the active head was trained on get their cross-validated probabilities; the others
    get the stored predictions. Returns (labels, probabilities, image ids that have them).
    """
    active = store.active_model()
    if active is None:
        return [], np.zeros((0, 0)), []
    labels = list(active["card"]["labels"])
    stored = store.stored_probs(active["id"], image_ids)
    oof = oof_probabilities(store) if active["kind"] == "head" else {}
    rows, kept = [], []
    for image_id in image_ids:
        if image_id in oof:
            classes, p = oof[image_id]
            rows.append(p @ project_matrix(classes, labels) if "other" in labels else p)
        elif image_id in stored:
            rows.append(stored[image_id])
        else:
            continue
        kept.append(image_id)
    return labels, (np.stack(rows) if rows else np.zeros((0, len(labels)))), kept
