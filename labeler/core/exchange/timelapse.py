"""Timelapse CSV: read the CSV Timelapse exports, write one Timelapse imports.

Timelapse names an image by ``RelativePath`` (folders, with backslashes) and ``File``; its other
columns come from the user's template. We read a species from a ``Species`` column (or the one
named), a count from ``Count``, and the ``Empty``, ``Person`` and ``Vehicle`` flags; rows whose
``DeleteFlag`` is set are left out. We write the same shape, one row per decision (several
species on one image give duplicate rows, as Timelapse's own duplicates do), with the corrected
capture time in Timelapse's ``DateTime`` form.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Generator

from labeler.core.exchange.atomic import atomic_output
from labeler.core.exchange.csv_io import cell, uncell
from labeler.core.exchange.csvread import CsvFormatError, read_table
from labeler.core.exchange.labels_in import ImportReport, LabelRow, apply_label_rows
from labeler.core.exchange.step import PROGRESS_EVERY, Step
from labeler.core.labeling import LabelSession
from labeler.core.store import Store
from labeler.core.timezones import corrected

COLUMNS = ["File", "RelativePath", "DateTime", "ImageQuality", "DeleteFlag", "Species", "ScientificName",
           "Count", "Empty", "Person", "Vehicle", "Verified", "ClassifiedBy", "Confidence"]  # fmt: skip
SPECIES_COLUMNS = ("species", "commonname", "common_name", "animal_species", "label", "class")
COUNT_COLUMNS = ("count", "counter0", "number", "individuals")
TRUE = {"true", "1", "yes", "y", "x"}


def is_timelapse_header(header: list[str]) -> bool:
    """True for a CSV header Timelapse wrote (File and RelativePath columns)."""
    names = {h.strip().lower() for h in header}
    return {"file", "relativepath"} <= names


def _find(header: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {h.strip().lower().replace(" ", "_"): h for h in header}
    return next((lowered[w] for w in wanted if w in lowered), None)


def timelapse_rows(
    source: str | os.PathLike[str], species_column: str | None = None
) -> tuple[list[LabelRow], int]:
    """Label rows of a Timelapse CSV and the number of rows marked for deletion (left out)."""
    header, body = read_table(source)
    if not is_timelapse_header(header):
        raise CsvFormatError(f"{os.path.basename(source)} is not a Timelapse CSV: it needs File and "
                             f"RelativePath columns (its columns: {', '.join(header[:10]) or 'none'})")  # fmt: skip
    if species_column and species_column not in header:
        raise CsvFormatError(f"{os.path.basename(source)} has no column {species_column!r}")
    col = {name: _find(header, (name,)) for name in ("file", "relativepath", "deleteflag", "empty",
                                                     "person", "human", "vehicle", "scientificname",
                                                     "verified", "classifiedby", "confidence")}  # fmt: skip
    species_col = species_column or _find(header, SPECIES_COLUMNS)
    count_col = _find(header, COUNT_COLUMNS)
    rows, deleted = [], 0

    def flag(row: dict, name: str) -> bool:
        return col[name] is not None and row.get(col[name], "").strip().lower() in TRUE

    for n, r in enumerate(body, start=2):
        if flag(r, "deleteflag"):
            deleted += 1
            continue
        folder = uncell(r.get(col["relativepath"], "")).strip().replace("\\", "/").strip("/")
        path = (
            f"{folder}/{uncell(r.get(col['file'], '')).strip()}"
            if folder
            else uncell(r.get(col["file"], "")).strip()
        )
        species = uncell(r.get(species_col, "")).strip() if species_col else ""
        sci = uncell(r.get(col["scientificname"], "")).strip() if col["scientificname"] else ""
        kind = None
        if not species and not sci:
            kind = ("blank" if flag(r, "empty") else "human" if flag(r, "person") or flag(r, "human")
                    else "vehicle" if flag(r, "vehicle") else None)  # fmt: skip
        verified = col["verified"] is None or flag(r, "verified")
        rows.append(LabelRow(
            path=path, line=n, common=species or None, scientific=sci or None, observation_type=kind,
            count=r.get(count_col) if count_col else None,
            method="human" if verified else "machine",
            classified_by=uncell(r.get(col["classifiedby"], "")) if col["classifiedby"] else None,
            probability=None if verified or col["confidence"] is None else r.get(col["confidence"]),
        ))  # fmt: skip
    return rows, deleted


def import_timelapse(
    store: Store,
    source: str | os.PathLike[str],
    *,
    species_column: str | None = None,
    author: str = "import",
    session: LabelSession | None = None,
    add_unknown: bool = False,
    dry_run: bool = False,
) -> Generator[Step, None, ImportReport]:
    """Set labels from a Timelapse CSV; yields progress, returns the report (see
    :func:`apply_label_rows` for matching, checks and undo)."""
    rows, deleted = timelapse_rows(source, species_column)
    report = yield from apply_label_rows(store, rows, source_name=os.fspath(source), author=author,
                                         session=session, add_unknown=add_unknown, dry_run=dry_run)  # fmt: skip
    if deleted:
        report.notes.append(f"{deleted} row(s) marked for deletion in Timelapse were left out")
    return report


def export_timelapse(
    store: Store, out: str | os.PathLike[str], *, labeled_only: bool = False
) -> Generator[Step, None, dict]:
    """Write a Timelapse-shaped CSV: one row per decision (and per undecided image)."""
    rows = store.export_rows()
    n = 0
    with atomic_output(out, newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(COLUMNS)
        for k, r in enumerate(rows, start=1):
            (_iid, path, folder, when, offset, _mtime, _seq, _frame, _slot, otype, key, count, method, by,
             prob, _stamp, common, sci, _oid, _w, _h, _fmt) = r  # fmt: skip
            if otype is None and labeled_only:
                continue
            t = corrected(when, offset)
            animal = otype in ("animal", "unknown")
            w.writerow([cell(v) for v in (
                path.rpartition("/")[2], folder.replace("/", "\\"), t.strftime("%Y-%m-%d %H:%M:%S") if t else "",
                "Ok", "false", (common or key) if animal else "", sci if animal else "",
                count if count else "", "true" if otype == "blank" else "false",
                "true" if otype == "human" else "false", "true" if otype == "vehicle" else "false",
                "true" if method == "human" else "false", by or "",
                round(prob, 6) if method == "machine" and prob is not None else "",
            )])  # fmt: skip
            n += 1
            if k % PROGRESS_EVERY == 0:
                yield Step("export", k, len(rows))
    yield Step("export", len(rows), len(rows))
    return {"rows": n, "path": os.fspath(out)}
