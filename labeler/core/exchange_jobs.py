"""Exports, imports and deployment files as jobs: one generator each, for the command line and
the window alike (options, progress, warnings, cancel)."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from labeler.core.jobs import JobWarning, Progress
from labeler.core.labeling import LabelSession
from labeler.core.store import Store


class ExportFormat(Enum):
    """The export formats of ``labeler export --format``."""

    CSV = "csv"
    CAMTRAPDP = "camtrapdp"
    MEGADETECTOR = "megadetector"
    COCO = "coco"


class ImportFormat(Enum):
    """The import formats of ``labeler import --format``."""

    CSV = "csv"
    MEGADETECTOR = "megadetector"


class ExchangeError(ValueError):
    """An export or import that cannot run (the message says why)."""


@dataclass(frozen=True)
class ExportRequest:
    """One export with the command line's options.

    ``suggestions`` and ``labeled_only`` apply to CSV; ``deployments`` (a CSV of camera facts)
    to Camtrap DP.
    """

    format: ExportFormat
    out: str
    suggestions: bool = False
    labeled_only: bool = False
    deployments: str | None = None


@dataclass(frozen=True)
class ImportRequest:
    """One import: labels from a CSV, or boxes from a MegaDetector/AddaxAI results file."""

    format: ImportFormat
    source: str


Events = Generator[Progress | JobWarning, None, dict]


def apply_deployments_csv(store: Store, path: str) -> tuple[int, list[str]]:
    """Set camera facts from a deployments CSV; returns (folders set, folders not in project)."""
    from labeler.core.exchange.camtrapdp import read_deployments_csv

    known = store.deployments()
    facts = read_deployments_csv(path)
    unknown = [f for f in facts if f not in known]
    for folder, values in facts.items():
        if folder in known and values:
            store.set_deployment(folder, **values)
    return len(facts) - len(unknown), unknown


def _writer(store: Store, request: ExportRequest) -> Generator[int, None, dict]:
    from labeler.core.exchange.camtrapdp import export_camtrapdp
    from labeler.core.exchange.coco import export_coco
    from labeler.core.exchange.csv_io import export_csv, export_suggestions_csv
    from labeler.core.exchange.megadetector import export_megadetector

    fmt, out = request.format, request.out
    needs_model = fmt is ExportFormat.MEGADETECTOR or (
        fmt is ExportFormat.CSV and request.suggestions
    )
    model = store.active_model()
    if needs_model and model is None:
        raise ExchangeError("no predictions yet; predict the folder first")
    if fmt is ExportFormat.CSV:
        if request.suggestions:
            return export_suggestions_csv(store, out, model["id"])
        return export_csv(store, out, include_unlabeled=not request.labeled_only)
    if fmt is ExportFormat.CAMTRAPDP:
        return export_camtrapdp(store, out)
    if fmt is ExportFormat.MEGADETECTOR:
        return export_megadetector(store, out, model["id"])
    return export_coco(store, out)


def _remove_partials(out: str) -> None:
    """What a stopped export leaves behind: ``*.partial`` files (nothing finished is touched)."""
    target = Path(out)
    candidates = [target.with_name(target.name + ".partial")]
    if target.is_dir():
        candidates += list(target.glob("*.partial"))
    for p in candidates:
        p.unlink(missing_ok=True)


def run_export(
    store: Store, request: ExportRequest, *, should_stop: Callable[[], bool] = lambda: False
) -> Events:
    """Write an export; yields progress (rows written) and warnings; returns its report.

    Stopped, it removes its unfinished file and returns ``{"cancelled": True, ...}``; an
    earlier export at the same place stays as it was.
    """
    if request.deployments:
        if request.format is not ExportFormat.CAMTRAPDP:
            raise ExchangeError("a deployments file applies to Camtrap DP exports only")
        applied, unknown = apply_deployments_csv(store, request.deployments)
        if unknown:
            yield JobWarning(
                f"the deployments file names folders not in the project: {', '.join(unknown)}"
            )
        yield Progress(0, 0, f"{applied} deployments set")
    gen = _writer(store, request)
    while True:
        if should_stop():
            gen.close()
            _remove_partials(request.out)
            return {"cancelled": True, "path": request.out, "format": request.format.value}
        try:
            rows = next(gen)
        except StopIteration as stop:
            report = dict(stop.value)
            break
        yield Progress(int(rows), 0, f"{rows} rows written")
    for problem in report.get("problems", []):
        yield JobWarning(problem)
    report.update({"cancelled": False, "format": request.format.value})
    return report


def run_import(
    store: Store,
    request: ImportRequest,
    *,
    session: LabelSession | None = None,
    author: str = "import",
    should_stop: Callable[[], bool] = lambda: False,
) -> Events:
    """Import labels (CSV: one undoable action) or detector boxes; a backup is taken first.

    Yields warnings for rows that matched no image or were refused; returns the report.
    Raises :class:`ExchangeError` for a file that cannot be read in that format.
    """
    from labeler.core.exchange.csv_io import import_csv
    from labeler.core.exchange.megadetector import MegaDetectorFormatError, import_megadetector

    yield Progress(0, 0, f"reading {os.path.basename(request.source)}")
    if should_stop():
        return {"cancelled": True, "source": request.source}
    try:
        if request.format is ImportFormat.CSV:
            report = import_csv(store, request.source, author=author, session=session)
        else:
            store.backup(reason="before-import")
            report = import_megadetector(store, request.source)
    except (MegaDetectorFormatError, ValueError, OSError) as exc:
        raise ExchangeError(str(exc)) from exc
    data = report.to_json()
    if data.get("unmatched"):
        yield JobWarning(f"{len(data['unmatched'])} rows match no image of the project "
                         f"(first: {data['unmatched'][0]})")  # fmt: skip
    if data.get("refused"):
        yield JobWarning(f"{len(data['refused'])} rows refused (first: {data['refused'][0]})")
    for w in data.get("warnings", []):
        yield JobWarning(w)
    data.update({"cancelled": False, "format": request.format.value})
    return data
