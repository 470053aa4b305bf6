"""Predicting a project with a named model, as the command line and the window both do it:
open the model (exporting it in a child process the first time), run the prediction, keep a head
trained on that model in use, and report unreadable images."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator

from labeler.core.jobs import JobWarning, Progress
from labeler.core.store import Store


class ModelUnavailable(ValueError):
    """A model that cannot be opened (unknown name, bad file, checksum mismatch)."""


def open_model(
    model: str | os.PathLike[str], *, backend: str = "onnx", device: str = "auto"
) -> Generator[Progress, None, object]:
    """Open a built-in model or a weights file; returns the classifier.

    A built-in model used for the first time is exported to ONNX in a child process (torch's
    tracer holds the interpreter for seconds; in its own process it pauses nothing here).
    """
    from inference.export import ExportError, export_in_subprocess
    from inference.models import is_cached, load_classifier
    from inference.weights import WeightsError

    name = os.fspath(model)
    try:
        if backend == "onnx" and not is_cached(name):
            yield Progress(0, 0, "preparing the model (first use on this computer)")
            export_in_subprocess(name)
        return load_classifier(name, backend=backend, device=device)
    except (WeightsError, ExportError, ValueError, RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"cannot open model {name}: {exc}") from exc


def _keep_head(store: Store, before: dict | None, version: str, predicted: int) -> bool:
    """After predicting with a backbone, a head trained on it stays the model in use, and is
    applied to the images just predicted."""
    from labeler.core.learning import current_head, head_predictions, write_head_predictions
    from labeler.core.species import project_labels

    if before is None or before["kind"] != "head":
        return False
    if before["card"].get("parent_version") != version:
        return False
    store.set_active_model(before["id"])
    found = current_head(store)
    if found is None:
        return False
    if predicted:
        backbone = store.model_id(version)
        rows = head_predictions(store, found[1], backbone, project_labels(store))
        write_head_predictions(store, before["id"], rows)
    return True


def predict_project(
    store: Store,
    root: str | os.PathLike[str],
    model: str | os.PathLike[str] | object,
    *,
    batch_size: int = 32,
    backend: str = "onnx",
    device: str = "auto",
    regions: object = "auto",
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[object, None, object]:
    """Predict every image ``model`` has not seen; returns the prediction report.

    ``model`` is a built-in name or a weights file (opened here), or a classifier already
    open (the command line opens it with its own progress). ``regions`` says where the animal crops come from (``labeler predict --regions``). Yields
    the pipeline's progress, the device in use (a :class:`Progress` text) and warnings for
    images that could not be read and for a run the card's removal stopped. Raises
    :class:`ModelUnavailable` or ``RegionSourceError`` before any work when they cannot run.
    """
    from labeler.core.predict_job import run_predict
    from labeler.core.regions import RegionPlan, plan_regions

    plan = regions if isinstance(regions, RegionPlan) else plan_regions(store, regions)
    if isinstance(model, (str, os.PathLike)):
        classifier = yield from open_model(model, backend=backend, device=device)
    else:
        classifier = model
    yield Progress(0, 0, f"model on {classifier.device}")
    before = store.active_model()
    report = yield from run_predict(store, os.fspath(root), classifier, batch_size=batch_size,
                                    should_stop=should_stop, regions=plan)  # fmt: skip
    _keep_head(store, before, report.model_version, report.predicted)
    failures = store.prediction_failures(store.model_id(report.model_version))
    if failures:
        path, why = failures[0]
        yield JobWarning(f"{len(failures)} images could not be read (first: {path}: {why})")
    if report.paused:
        yield JobWarning(f"stopped early: {report.paused}; {report.unavailable} images are left "
                         "for the next run")  # fmt: skip
    return report


def detect_with(
    store: Store,
    root: str | os.PathLike[str],
    model: str | os.PathLike[str],
    *,
    device: str = "auto",
    batch_size: int = 8,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[object, None, object]:
    """Run a detector file over the images it has not looked at (``labeler detect``); its
    boxes become the regions later predictions crop. Returns the detection report."""
    from inference.detector import Detector
    from inference.weights import WeightsError
    from labeler.core.detect_job import run_detect

    try:
        detector = Detector(os.fspath(model), device=device)
    except (WeightsError, ValueError, RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"cannot use detector {model}: {exc}") from exc
    report = yield from run_detect(store, os.fspath(root), detector, batch_size=batch_size,
                                   should_stop=should_stop)  # fmt: skip
    if report.failed:
        yield JobWarning(f"{report.failed} images could not be read by the detector")
    return report
