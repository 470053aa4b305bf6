"""CSV export (one row per observation, or per image with top-5 suggestions) and CSV import.

Text cells are neutralised against spreadsheet formulas and NUL characters are written as U+2400;
both are undone on import, so our own CSV round-trips exactly. Numbers stay numeric. UTF-8,
RFC 4180 quoting, CRLF line ends: ``read.csv(file, encoding = "UTF-8")`` reads it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Generator

from labeler.core.exchange.atomic import atomic_output
from labeler.core.exchange.csvread import CsvFormatError, read_table
from labeler.core.exchange.labels_in import ImportReport, LabelRow, apply_label_rows
from labeler.core.exchange.step import Step
from labeler.core.labeling import LabelSession
from labeler.core.store import Store
from labeler.core.timezones import corrected, deployment_zone, localize

COLUMNS = [
    "path", "file_name", "camera_folder", "timestamp", "clock_correction_s", "sequence_id", "frame", "common_name",
    "scientific_name", "species_key", "count", "observation_type", "classification_method",
    "classified_by", "classification_probability", "decision_timestamp", "model_version",
]  # fmt: skip
NUL_SYMBOL = "\u2400"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_ROWS = 20000


_FORMULA_FIRST = frozenset("=+-@\t\r'")


def cell(value: object) -> object:
    """A spreadsheet-safe cell: numbers as they are, text prefixed with ' when a spreadsheet
    would read it as a formula (or when it starts with ' itself, so that the prefix is always
    reversible), NUL as U+2400."""
    kind = type(value)
    if kind is str:
        # The common case first: exports call this for every cell of every row.
        if "\x00" in value:
            value = value.replace("\x00", NUL_SYMBOL)
        return "'" + value if value and value[0] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    return cell(str(value))


def uncell(text: str) -> str:
    """Inverse of :func:`cell` for text read back."""
    if text.startswith("'"):
        text = text[1:]
    return text.replace(NUL_SYMBOL, "\x00")


def corrected_time(
    datetime_text: str | None, offset_s: int | None, zone: dt.tzinfo | None = None
) -> str:
    """Capture time with the project's clock correction applied (ISO 8601), with its UTC offset
    when the deployment's time zone is known, else as the camera's local time."""
    t = corrected(datetime_text, offset_s)
    if t is None:
        return ""
    return localize(t, zone).isoformat() if zone is not None else t.isoformat()


def deployment_zones(store: Store) -> dict[str, dt.tzinfo | None]:
    """Each camera folder's time zone (None when unknown or not readable)."""
    zones = {}
    for folder, facts in store.deployments().items():
        try:
            zones[folder] = deployment_zone(facts)
        except ValueError:
            zones[folder] = None
    return zones


def _writer(f: io.TextIOBase):
    return csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def export_csv(
    store: Store, out: str | os.PathLike[str], *, include_unlabeled: bool = True
) -> Generator[int, None, dict]:
    """Write one row per observation (unlabeled images as ``unclassified``); yields rows written."""
    rows = store.export_rows()
    zones = deployment_zones(store)
    versions = {m["version"] for m in store.models()}
    n = 0
    total = len(rows)
    with atomic_output(out, newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            (_iid, path, folder, when, offset, _mtime, seq, frame, slot, otype, key, count, method, by,
             prob, stamp, common, sci, _oid, _w, _h, _fmt) = r  # fmt: skip
            if otype is None and not include_unlabeled:
                continue
            w.writerow([cell(v) for v in (
                path, path.rpartition("/")[2], folder, corrected_time(when, offset, zones.get(folder)), offset or 0, seq, frame,
                common if otype is not None else None, sci, key, count, otype or "unclassified",
                method, by, prob, stamp, by if method == "machine" and by in versions else None,
            )])  # fmt: skip
            n += 1
            if n % PROGRESS_ROWS == 0:
                yield Step("export", n, total)
    yield Step("export", total, total)
    return {"rows": n, "path": os.fspath(out)}


def export_suggestions_csv(
    store: Store, out: str | os.PathLike[str], model_id: int
) -> Generator[int, None, dict]:
    """One row per image with the model's top-5 suggestions and its empty score."""
    names = {s.key: s for s in store.species()}
    version = store.model_version(model_id)
    header = ["path", "camera_folder", "timestamp", "sequence_id", "frame", "empty_score"]
    for k in range(1, 6):
        header += [f"suggestion_{k}", f"scientific_name_{k}", f"score_{k}"]
    header.append("model_version")
    n = 0
    rows = store.suggestion_rows(model_id)
    with atomic_output(out, newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(header)
        for _image_id, path, folder, when, seq, frame, empty, tops in rows:
            row = [path, folder, when, seq, frame, None if empty is None else round(empty, 6)]
            for k in range(5):
                if k < len(tops):
                    s = names.get(tops[k][0])
                    row += [
                        s.common_name if s else tops[k][0],
                        s.scientific_name if s else None,
                        round(tops[k][1], 6),
                    ]
                else:
                    row += [None, None, None]
            row.append(version)
            w.writerow([cell(v) for v in row])
            n += 1
            if n % PROGRESS_ROWS == 0:
                yield Step("export", n, len(rows))
    yield Step("export", n, len(rows))
    return {"rows": n, "path": os.fspath(out)}


# Header names other tools use for the same columns (compared lower-case, without spaces).
ALIASES = {
    "path": ("path", "relative_path", "relativepath", "file", "filepath", "file_path", "image", "filename"),
    "species_key": ("species_key", "key"),
    "common_name": ("common_name", "commonname", "species", "label", "vernacular_name", "class"),
    "scientific_name": ("scientific_name", "scientificname", "latin_name"),
    "count": ("count", "number", "individuals"),
    "observation_type": ("observation_type", "observationtype"),
    "classification_method": ("classification_method", "classificationmethod", "method"),
    "classified_by": ("classified_by", "classifiedby", "observer"),
    "classification_probability": ("classification_probability", "probability", "confidence"),
    "decision_timestamp": ("decision_timestamp", "classification_timestamp", "classificationtimestamp"),
}  # fmt: skip


def _columns(header: list[str]) -> dict[str, str]:
    """Our column name -> the file's header name, for the columns the file has."""
    lowered = {h.strip().lower().replace(" ", "_"): h for h in header}
    found = {}
    for ours, names in ALIASES.items():
        for name in names:
            if name in lowered:
                found[ours] = lowered[name]
                break
    return found


def csv_label_rows(source: str | os.PathLike[str]) -> list[LabelRow]:
    """The decisions of a label CSV (ours or another tool's with a path and a species column)."""
    header, body = read_table(source)
    cols = _columns(header)
    if "path" not in cols:
        raise CsvFormatError(
            f"{os.path.basename(source)} needs a 'path' column (relative paths of the images); "
            f"its columns are: {', '.join(header[:12]) or 'none'}"
        )

    def get(row: dict[str, str], ours: str) -> str | None:
        name = cols.get(ours)
        return uncell(row[name]) if name is not None and row.get(name) is not None else None

    return [
        LabelRow(path=get(r, "path") or "", line=n, key=get(r, "species_key"), common=get(r, "common_name"),
                 scientific=get(r, "scientific_name"), observation_type=(get(r, "observation_type") or "").strip() or None,
                 count=get(r, "count"), method=get(r, "classification_method"), classified_by=get(r, "classified_by"),
                 probability=get(r, "classification_probability"), timestamp=get(r, "decision_timestamp"))
        for n, r in enumerate(body, start=2)
    ]  # fmt: skip


def import_csv(
    store: Store,
    source: str | os.PathLike[str],
    *,
    author: str = "import",
    session: LabelSession | None = None,
    add_unknown: bool = False,
    dry_run: bool = False,
) -> Generator[Step, None, ImportReport]:
    """Set labels from a CSV (our export, or another tool's with path and species columns).

    Rows match images already in the project by path (see :class:`PathMatcher`); species match
    by key, common or scientific name (see :class:`SpeciesMatcher`); names that match nothing
    are reported and added only with ``add_unknown``. All changes form one undoable action (on
    ``session``'s undo stack when one is given), and a backup is taken first. A CSV that cannot
    be read raises :class:`CsvFormatError` before anything is written.
    """
    rows = csv_label_rows(source)
    return (yield from apply_label_rows(store, rows, source_name=os.fspath(source), author=author,
                                        session=session, add_unknown=add_unknown, dry_run=dry_run))  # fmt: skip
