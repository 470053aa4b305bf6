"""Glue for full fine-tuning: what to train on, the head-only baseline, and adopting the result."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.weights import PRETRAINED
from labeler.core.generators import run_to_end
from labeler.core.learning import (
    embedding_model,
    head_folder,
    install_head,
    retrain_head,
    training_set,
)
from labeler.core.regions import crop_boxes, plan_from_card
from labeler.core.safepath import image_path
from labeler.core.store import Store
from training.head import Head, fit_head, group_folds


@dataclass
class FineTunePlan:
    """Training and validation images (path, label), grouped by burst, and the baseline to beat."""

    base: str
    train: list[tuple[str, str, tuple[float, float, float, float] | None]]
    val: list[tuple[str, str, tuple[float, float, float, float] | None]]
    init_head: Head | None
    head_only_val_accuracy: float
    version: str
    out_dir: Path


def plan_fine_tune(store: Store, root: str, *, val_share: float = 0.2) -> FineTunePlan:
    """Split confirmed labels by burst; measure a head trained on the training part alone."""
    backbone = embedding_model(store)
    if backbone is None:
        raise ValueError("predict the folder first: fine-tuning starts from the model's embeddings")
    ts = training_set(store, backbone["id"])
    if len(set(ts.labels)) < 2:
        raise ValueError("confirm labels of at least two species (or blank) before fine-tuning")
    k = max(2, int(round(1 / val_share)))
    folds = group_folds(ts.groups, k, seed=1)
    val_mask = folds == 0
    if not val_mask.any() or val_mask.all():
        val_mask = np.arange(len(ts.labels)) % k == 0
    paths = store.image_paths()
    labels = np.array(ts.labels, dtype=object)
    # The network learns from what prediction shows it: the whole frame and the animal's crop.
    boxes = crop_boxes(store, plan_from_card(backbone["card"]))
    pairs = [
        (image_path(root, paths[int(i)]), str(lab), boxes.get(int(i)))
        for i, lab in zip(ts.image_ids, labels, strict=True)
    ]
    train = [p for p, m in zip(pairs, val_mask, strict=True) if not m]
    val = [p for p, m in zip(pairs, val_mask, strict=True) if m]
    head = None
    head_val = float("nan")
    if len(set(labels[~val_mask])) >= 2:
        head = fit_head(ts.embeddings[~val_mask], list(labels[~val_mask]))
        pred = np.array(head.classes)[head.predict_proba(ts.embeddings[val_mask]).argmax(axis=1)]
        head_val = float((pred == labels[val_mask]).mean())
    name = backbone["card"].get("name", "lite0")
    if name in PRETRAINED:
        base = name
    elif backbone.get("path") and Path(backbone["path"]).suffix == ".safetensors":
        base = backbone["path"]
    elif backbone.get("path") and Path(backbone["path"]).with_suffix(".safetensors").is_file():
        base = str(Path(backbone["path"]).with_suffix(".safetensors"))
    else:
        raise ValueError(f"the weights of {backbone['version']} are not available for fine-tuning")
    n = store.count_models("finetuned") + 1
    version = finetune_version(n, base)
    return FineTunePlan(base, train, val, head, head_val, version, head_folder(store))


def finetune_version(n: int, base: str) -> str:
    """Version of the ``n``-th fine-tuned model from ``base`` (a built-in name or weights file).

    The version names files and must pass the model-card check, so only plain characters of
    the base file's name are kept.
    """
    stem = re.sub(r"[^A-Za-z0-9_+-]+", "_", Path(base).stem).strip("_-")[:40] or "model"
    return f"finetuned-{n}-{stem}-{time.strftime('%Y%m%d%H%M%S')}"


def adopt(
    store: Store,
    root: str,
    plan: FineTunePlan,
    result,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[object, None, bool]:
    """Register a fine-tuned model and swap it in only when it validated better than the head.

    Swapping in re-embeds and re-predicts every image with it (yielding the prediction's
    progress), then retrains the head on the new embeddings.
    """
    if result.onnx is None or not (result.best_val_accuracy > plan.head_only_val_accuracy):
        return False
    from inference.models import load_classifier
    from labeler.core.predict_job import run_predict

    classifier = load_classifier(result.onnx)
    yield from run_predict(store, root, classifier, should_stop=should_stop)
    outcome = retrain_head(store)
    if outcome.accepted and outcome.head is not None:
        install_head(store, outcome)
    return True


def run_fine_tune(
    store: Store,
    root,
    *,
    device: str = "auto",
    epochs: int = 4,
    child_process: bool = True,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[object, None, dict]:
    """Plan, fine-tune (in a child process unless told otherwise), compare and adopt.

    Yields training progress (``EpochProgress``), then the re-prediction's progress when the
    new backbone is swapped in; returns the figures (``error`` set when it could not run).
    """
    from training.finetune import TrainingError, fine_tune
    from training.finetune_process import fine_tune_in_process

    t0 = time.perf_counter()
    try:
        plan = plan_fine_tune(store, str(root))
    except ValueError as exc:
        return {"error": str(exc), "swapped_in": False, "cancelled": False}
    kwargs = dict(train=plan.train, val=plan.val, base=plan.base, out_dir=str(plan.out_dir),
                  version=plan.version, init_head=plan.init_head, epochs=epochs, device=device)  # fmt: skip
    try:
        if child_process:
            result = yield from fine_tune_in_process(should_stop=should_stop, **kwargs)
        else:
            result = yield from fine_tune(should_stop=should_stop, **kwargs)
    except TrainingError as exc:
        return {"error": str(exc), "swapped_in": False, "cancelled": False}
    swapped = False
    if not should_stop():
        swapped = yield from adopt(store, str(root), plan, result, should_stop=should_stop)
    return {
        "device": result.device,
        "train_images": len(plan.train),
        "val_images": len(plan.val),
        "epochs": result.history,
        "val_accuracy": round(result.best_val_accuracy, 4),
        "head_only_val_accuracy": round(plan.head_only_val_accuracy, 4),
        "swapped_in": swapped,
        "cancelled": result.cancelled or should_stop(),
        "checkpoint": str(result.checkpoint) if result.checkpoint else None,
        "onnx": str(result.onnx) if result.onnx else None,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def run_full_fine_tune(
    store: Store, root, *, device: str = "auto", epochs: int = 4, progress=None
) -> dict:
    """:func:`run_fine_tune` to the end, in this process (the command line)."""
    from training.finetune import EpochProgress

    def show(event) -> None:
        if progress is not None and isinstance(event, EpochProgress):
            progress(event)

    return run_to_end(
        run_fine_tune(store, root, device=device, epochs=epochs, child_process=False), show
    )
