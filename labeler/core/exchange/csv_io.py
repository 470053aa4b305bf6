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
from dataclasses import dataclass, field

from labeler.core.exchange.paths import match_image
from labeler.core.labeling import LabelSession
from labeler.core.store import Observation, Store

COLUMNS = [
    "path", "file_name", "camera_folder", "timestamp", "sequence_id", "frame", "common_name",
    "scientific_name", "species_key", "count", "observation_type", "classification_method",
    "classified_by", "classification_probability", "decision_timestamp", "model_version",
]  # fmt: skip
NUL_SYMBOL = "\u2400"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_ROWS = 20000


def cell(value: object) -> object:
    """A spreadsheet-safe cell: numbers as they are, text prefixed with ' when a spreadsheet
    would read it as a formula (or when it starts with ' itself, so that the prefix is always
    reversible), NUL as U+2400."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value).replace("\x00", NUL_SYMBOL)
    if text.startswith(FORMULA_START) or text.startswith("'"):
        return "'" + text
    return text


def uncell(text: str) -> str:
    """Inverse of :func:`cell` for text read back."""
    if text.startswith("'"):
        text = text[1:]
    return text.replace(NUL_SYMBOL, "\x00")


def corrected_time(datetime_text: str | None, offset_s: int | None) -> str:
    """Capture time with the project's clock correction applied (ISO 8601, local time)."""
    if not datetime_text:
        return ""
    t = dt.datetime.fromisoformat(datetime_text) + dt.timedelta(seconds=offset_s or 0)
    return t.isoformat()


def _writer(f: io.TextIOBase):
    return csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def export_csv(
    store: Store, out: str | os.PathLike[str], *, include_unlabeled: bool = True
) -> Generator[int, None, dict]:
    """Write one row per observation (unlabeled images as ``unclassified``); yields rows written."""
    rows = store.export_rows()
    versions = {m["version"] for m in store.models()}
    n = 0
    tmp = f"{os.fspath(out)}.partial"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            (_iid, path, folder, when, offset, _mtime, seq, frame, slot, otype, key, count, method, by,
             prob, stamp, common, sci, _oid, _w, _h, _fmt) = r  # fmt: skip
            if otype is None and not include_unlabeled:
                continue
            w.writerow([cell(v) for v in (
                path, path.rpartition("/")[2], folder, corrected_time(when, offset), seq, frame,
                common if otype is not None else None, sci, key, count, otype or "unclassified",
                method, by, prob, stamp, by if method == "machine" and by in versions else None,
            )])  # fmt: skip
            n += 1
            if n % PROGRESS_ROWS == 0:
                yield n
    os.replace(tmp, out)
    yield n
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
    tmp = f"{os.fspath(out)}.partial"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = _writer(f)
        w.writerow(header)
        for _image_id, path, folder, when, seq, frame, empty, tops in store.suggestion_rows(
            model_id
        ):
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
                yield n
    os.replace(tmp, out)
    yield n
    return {"rows": n, "path": os.fspath(out)}


@dataclass
class ImportReport:
    """What a CSV import did and what it refused."""

    rows: int = 0
    images_updated: int = 0
    species_added: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: int = 0
    action_id: int | None = None

    def to_json(self) -> dict:
        """Plain dict."""
        return {
            "rows": self.rows, "images_updated": self.images_updated, "species_added": self.species_added,
            "unmatched": self.unmatched, "refused": self.refused, "skipped": self.skipped, "action_id": self.action_id,
        }  # fmt: skip


def _number(text: str, kind):
    text = uncell(text).strip()
    if text == "":
        return None
    try:
        return kind(float(text)) if kind is int else kind(text)
    except ValueError:
        return None


def import_csv(
    store: Store,
    source: str | os.PathLike[str],
    *,
    author: str = "import",
    session: LabelSession | None = None,
) -> ImportReport:
    """Set labels from a CSV (our export, or another tool's with path and species columns).

    Rows match images already in the project by relative path only; rows that match nothing are
    reported; absolute, ``..``, drive-letter and UNC paths are refused; no file is touched.
    Unknown species are added to the species list (names stored verbatim). All changes form one
    undoable action (on ``session``'s undo stack when one is given), and a backup is taken first.
    """
    report = ImportReport()
    with open(source, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = [c.strip() for c in (reader.fieldnames or [])]
        reader.fieldnames = fields
        if "path" not in fields:
            raise ValueError("the CSV needs a 'path' column (relative paths of the images)")
        by_path = store.image_ids_by_path()
        species = {s.key: s for s in store.species()}
        by_name = {s.common_name.casefold(): s.key for s in species.values()}
        by_sci = {
            s.scientific_name.casefold(): s.key for s in species.values() if s.scientific_name
        }
        changes: dict[int, list[Observation]] = {}
        for row in reader:
            report.rows += 1
            raw = uncell(row.get("path") or "")
            image_id = match_image(raw, by_path, report.refused, report.unmatched)
            if image_id is None:
                continue
            otype = uncell(row.get("observation_type") or "").strip() or None
            if otype == "unclassified":
                report.skipped += 1
                continue
            key = uncell(row.get("species_key") or "") or None
            common = (
                uncell(row.get("common_name") or row.get("species") or row.get("label") or "")
                or None
            )
            sci = uncell(row.get("scientific_name") or "") or None
            if key is None and common is not None:
                key = by_name.get(common.casefold()) or (
                    by_sci.get(sci.casefold()) if sci else None
                )
            if key is None and sci is not None:
                key = by_sci.get(sci.casefold())
            if key is None and common is None and otype is None:
                report.skipped += 1
                continue
            if key is None:
                from labeler.core.species import new_species_key

                key = new_species_key(common or sci or "species", set(species))
            if key not in species:
                name = common or sci or key
                store.add_species(key, name, sci, otype or "animal")
                species[key] = next(s for s in store.species() if s.key == key)
                by_name[name.casefold()] = key
                report.species_added.append(key)
            kind = otype or species[key].observation_type
            method = (uncell(row.get("classification_method") or "") or "human").strip()
            obs = Observation(
                observation_type=kind,
                species_key=key,
                count=_number(row.get("count") or "", int),
                classification_method=method if method in ("human", "machine") else "human",
                classified_by=uncell(row.get("classified_by") or "") or author,
                probability=_number(row.get("classification_probability") or "", float),
                timestamp=uncell(row.get("decision_timestamp") or "") or None,
            )
            changes.setdefault(image_id, []).append(obs)
        if changes:
            store.backup(reason="before-import")
            session = session or LabelSession(store, author=author)
            record = session._commit(
                changes, "import", f"import {len(changes)} image(s) from {os.path.basename(source)}"
            )
            report.action_id = record.id if record else None
        report.images_updated = len(changes)
    return report
