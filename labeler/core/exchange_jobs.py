"""Exports, imports and deployment files as jobs: one generator each, for the command line and
the window alike (options, progress, warnings, cancel)."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from labeler.core.jobs import JobWarning
from labeler.core.labeling import LabelSession
from labeler.core.store import Store


class ExportFormat(Enum):
    """The export formats of ``labeler export --format``."""

    CSV = "csv"
    CAMTRAPDP = "camtrapdp"
    MEGADETECTOR = "megadetector"
    COCO = "coco"
    TIMELAPSE = "timelapse"


class ImportFormat(Enum):
    """The import formats of ``labeler import --format`` (AUTO: told from the file)."""

    AUTO = "auto"
    CSV = "csv"
    MEGADETECTOR = "megadetector"
    CAMTRAPDP = "camtrapdp"
    TIMELAPSE = "timelapse"


class ExchangeError(ValueError):
    """An export or import that cannot run (the message says why)."""


@dataclass(frozen=True)
class ExportRequest:
    """One export with the command line's options.

    ``suggestions`` applies to CSV, ``labeled_only`` to CSV and Timelapse; ``deployments`` (a
    CSV of camera facts), ``project`` (a settings JSON) and ``allow_incomplete`` to Camtrap DP.
    """

    format: ExportFormat
    out: str
    suggestions: bool = False
    labeled_only: bool = False
    deployments: str | None = None
    project: str | None = None
    allow_incomplete: bool = False


@dataclass(frozen=True)
class ImportRequest:
    """One import: labels (CSV, Timelapse CSV, Camtrap DP) or boxes (MegaDetector/AddaxAI)."""

    format: ImportFormat
    source: str
    add_species: bool = False
    dry_run: bool = False
    species_column: str | None = None


def apply_deployments_csv(store: Store, path: str | os.PathLike[str]) -> tuple[int, list[str]]:
    """Set camera facts from a deployments CSV; returns (folders set, folders not in project)."""
    from labeler.core.exchange.deployments import read_deployments_csv

    known = store.deployments()
    facts = read_deployments_csv(path)
    unknown = [f or "." for f in facts if f not in known]
    for folder, values in facts.items():
        if folder in known and values:
            store.set_deployment(folder, **values)
    return len(facts) - len(unknown), unknown


def _writer(store: Store, request: ExportRequest) -> Generator[Any, None, dict]:
    from labeler.core.exchange.camtrapdp import export_camtrapdp
    from labeler.core.exchange.coco import export_coco
    from labeler.core.exchange.csv_io import export_csv, export_suggestions_csv
    from labeler.core.exchange.megadetector import export_megadetector
    from labeler.core.exchange.timelapse import export_timelapse

    fmt, out = request.format, request.out
    model = store.active_model()
    if fmt is ExportFormat.CSV and request.suggestions:
        if model is None:
            raise ExchangeError("no predictions yet; predict the folder first")
        return export_suggestions_csv(store, out, model["id"])
    if fmt is ExportFormat.CSV:
        return export_csv(store, out, include_unlabeled=not request.labeled_only)
    if fmt is ExportFormat.CAMTRAPDP:
        return export_camtrapdp(store, out, allow_incomplete=request.allow_incomplete)
    if fmt is ExportFormat.MEGADETECTOR:
        return export_megadetector(store, out, model["id"] if model else None)
    if fmt is ExportFormat.TIMELAPSE:
        return export_timelapse(store, out, labeled_only=request.labeled_only)
    return export_coco(store, out)


def run_export(
    store: Store, request: ExportRequest, *, should_stop: Callable[[], bool] = lambda: False
) -> Generator[Any, None, dict]:
    """Write an export; yields its progress and warnings; returns its report.

    Stopped, it returns ``{"cancelled": True, ...}``; the unfinished file is removed and an
    earlier export at the same place stays as it was.
    """
    camtrap = request.format is ExportFormat.CAMTRAPDP
    if (request.deployments or request.project or request.allow_incomplete) and not camtrap:
        raise ExchangeError(
            "deployments, project settings and incomplete packages are for Camtrap DP"
        )
    if request.deployments:
        applied, unknown = apply_deployments_csv(store, request.deployments)
        if unknown and not applied:
            raise ExchangeError(f"{Path(request.deployments).name} names no camera folder of this "
                                f"project ({', '.join(unknown[:5])})")  # fmt: skip
        if unknown:
            yield JobWarning(f"{Path(request.deployments).name} names folders not in the project: "
                             f"{', '.join(unknown[:20])}")  # fmt: skip
    if request.project:
        from labeler.core.exchange.camtrapdp_meta import META_KEY, read_settings

        store.set_meta(META_KEY, read_settings(request.project))
    gen = _writer(store, request)
    while True:
        if should_stop():
            gen.close()  # the writer's atomic output removes its .partial file
            return {"cancelled": True, "path": request.out, "format": request.format.value}
        try:
            event = next(gen)
        except StopIteration as stop:
            report = dict(stop.value)
            break
        yield event
    for problem in report.get("problems", []):
        yield JobWarning(problem)
    report.update({"cancelled": False, "format": request.format.value})
    return report


def detect_format(source: str | os.PathLike[str]) -> ImportFormat:
    """What an import file is, told from its name and first bytes."""
    source = Path(source)
    if source.is_dir() or source.name == "datapackage.json":
        return ImportFormat.CAMTRAPDP
    if source.suffix.lower() == ".json":
        return ImportFormat.MEGADETECTOR
    from labeler.core.exchange.csvread import read_rows
    from labeler.core.exchange.timelapse import is_timelapse_header

    rows = read_rows(source)
    return ImportFormat.TIMELAPSE if rows and is_timelapse_header(rows[0]) else ImportFormat.CSV


def run_import(
    store: Store,
    request: ImportRequest,
    *,
    session: LabelSession | None = None,
    author: str = "import",
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[Any, None, Any]:
    """Import labels (one undoable action, a backup first) or detector boxes.

    Yields the import's progress and a warning for rows that matched no image or were
    refused; returns the import's report. Raises :class:`ExchangeError` for a file that cannot
    be read in that format.
    """
    from labeler.core.exchange.camtrapdp_in import import_camtrapdp
    from labeler.core.exchange.csv_io import import_csv
    from labeler.core.exchange.megadetector import MegaDetectorFormatError, import_megadetector
    from labeler.core.exchange.timelapse import import_timelapse

    source = Path(request.source).expanduser()
    if not source.exists():
        raise ExchangeError(f"{request.source}: no such file or folder")
    kind = detect_format(source) if request.format is ImportFormat.AUTO else request.format
    if kind is not ImportFormat.CAMTRAPDP and source.is_dir():
        raise ExchangeError(f"{request.source} is a folder; give the {kind.value} file")
    labels = {"add_unknown": request.add_species, "dry_run": request.dry_run,
              "author": author, "session": session}  # fmt: skip
    try:
        if kind is ImportFormat.CSV:
            gen = import_csv(store, source, **labels)
        elif kind is ImportFormat.TIMELAPSE:
            gen = import_timelapse(store, source, species_column=request.species_column, **labels)
        elif kind is ImportFormat.CAMTRAPDP:
            gen = import_camtrapdp(store, source, **labels)
        else:
            gen = import_megadetector(store, source, dry_run=request.dry_run)
        report = yield from gen
    except MegaDetectorFormatError as exc:
        raise ExchangeError(str(exc)) from exc
    report.format = kind.value
    data = report.to_json()
    if data.get("unmatched"):
        yield JobWarning(f"{len(data['unmatched'])} rows match no image of the project "
                         f"(first: {data['unmatched'][0]})")  # fmt: skip
    if data.get("refused"):
        yield JobWarning(f"{len(data['refused'])} rows refused (first: {data['refused'][0]})")
    for w in data.get("warnings", []):
        yield JobWarning(w)
    return report
