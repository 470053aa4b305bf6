"""Importing decisions from any table (our CSV, Timelapse, Camtrap DP): one path for all of them.

The readers turn their rows into :class:`LabelRow` objects; :func:`apply_label_rows` matches
paths and species, checks every value, adds unknown species only when asked, takes a backup,
and commits everything as one undoable action. With ``dry_run`` it reports the whole mapping
and writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, field

from inference.taxonomy import BLANK, HUMAN, OTHER, VEHICLE
from labeler.core.exchange.paths import PathMatcher
from labeler.core.exchange.step import PROGRESS_EVERY, Step
from labeler.core.exchange.validate import (
    BadValue,
    Problems,
    parse_count,
    parse_probability,
    parse_timestamp,
)
from labeler.core.labeling import LabelSession
from labeler.core.species import default_species, ensure_default_species, new_species_key
from labeler.core.species_match import MatchReport, SpeciesMatcher, undecided
from labeler.core.store import Observation, SpeciesRow, Store

TYPE_KEYS = {"blank": BLANK, "human": HUMAN, "vehicle": VEHICLE, "unknown": OTHER}


@dataclass
class LabelRow:
    """One decision read from a file, as text (checked when applied)."""

    path: str
    line: int
    key: str | None = None
    common: str | None = None
    scientific: str | None = None
    observation_type: str | None = None
    count: str | None = None
    method: str | None = None
    classified_by: str | None = None
    probability: str | None = None
    timestamp: str | None = None


@dataclass
class ImportReport:
    """What an import did, what it refused, and how it mapped the names it read."""

    rows: int = 0
    images_updated: int = 0
    species_added: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: int = 0
    action_id: int | None = None
    species: MatchReport = field(default_factory=MatchReport)
    unknown_species_rows: int = 0
    kept_human: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict:
        """Plain dict (the ``--json`` object of ``labeler import``)."""
        out = {k: v for k, v in self.__dict__.items() if k != "species"}
        out["species"] = self.species.to_json()
        return out


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = str(text).strip()
    return text or None


def _add_species(
    store: Store,
    matcher: SpeciesMatcher,
    rows: list[LabelRow],
    report: ImportReport,
    *,
    write: bool,
) -> None:
    """Add every unknown species of ``rows`` in one transaction (their keys kept when free)."""
    new: list[SpeciesRow] = []
    keys = set(matcher.species)
    for r in rows:
        if _row_key(matcher, r) is not None:
            continue
        name = _name_of(r) or "species"
        wanted = _clean(r.key)
        key = wanted if wanted and wanted not in keys and wanted.isidentifier() else None
        key = key or new_species_key(name, keys)
        kind = "unknown" if r.observation_type == "unknown" else "animal"
        # Names are stored verbatim (our own export round-trips exactly); only blanks are dropped.
        common = r.common if _clean(r.common) else name
        scientific = r.scientific if _clean(r.scientific) else None
        row = SpeciesRow(key, common, scientific, kind, "user", True)
        keys.add(key)
        matcher.add(row)
        new.append(row)
    if new and write:
        store.add_species_many(new)
    report.species_added = [s.key for s in new]


def _name_of(r: LabelRow) -> str | None:
    return _clean(r.common) or _clean(r.scientific) or _clean(r.key)


def _row_key(matcher: SpeciesMatcher, r: LabelRow) -> str | None:
    """The species key of a row, or None when its names match nothing."""
    key = matcher.match(r.key, r.scientific, r.common)
    if key is None and _name_of(r) is None and r.observation_type in TYPE_KEYS:
        key = TYPE_KEYS[r.observation_type]
    return key


def _observation(r: LabelRow, key: str, matcher: SpeciesMatcher, author: str, problems: Problems):
    # The species decides the type: a row naming "Blank" is a blank frame whatever else it says.
    kind = matcher.species[key].observation_type
    values = {}
    for name, parser, text in (("count", parse_count, r.count), ("probability", parse_probability, r.probability),
                               ("timestamp", parse_timestamp, r.timestamp)):  # fmt: skip
        try:
            values[name] = parser(text)
        except BadValue as exc:
            what = {"count": "the label is kept without a count",
                    "probability": "the label is kept without a probability",
                    "timestamp": "the import time is used instead"}[name]  # fmt: skip
            problems.add(f"{name} refused; {what}", f"line {r.line}: {exc}")
            values[name] = None
    method = (_clean(r.method) or "human").lower()
    return Observation(
        observation_type=kind,
        species_key=key,
        count=None if kind in ("blank", "vehicle") else values["count"],
        classification_method=method if method in ("human", "machine") else "human",
        classified_by=_clean(r.classified_by) or author,
        probability=values["probability"],
        timestamp=values["timestamp"],
    )


def _species_list(store: Store, dry_run: bool) -> list[SpeciesRow]:
    """The project's list (seeded with the taxonomy first; a dry run only reads it)."""
    if not dry_run:
        ensure_default_species(store)
        return store.species()
    rows = store.species()
    known = {s.key for s in rows}
    return rows + [s for s in default_species() if s.key not in known]


def apply_label_rows(
    store: Store,
    rows: list[LabelRow],
    *,
    source_name: str,
    author: str = "import",
    session: LabelSession | None = None,
    add_unknown: bool = False,
    dry_run: bool = False,
    report: ImportReport | None = None,
) -> Generator[Step, None, ImportReport]:
    """Match, check and commit decisions read from a file; yields progress, returns the report.

    Images keep a person's decision when the file only brings machine decisions for them.
    """
    report = report or ImportReport()
    report.dry_run = dry_run
    matcher = SpeciesMatcher(_species_list(store, dry_run))
    paths = PathMatcher(store.image_ids_by_path())
    problems = Problems()
    matched: list[tuple[int, LabelRow]] = []
    total = len(rows)
    for n, r in enumerate(rows, start=1):
        report.rows += 1
        if n % PROGRESS_EVERY == 0:
            yield Step("match", n, total)
        image_id = paths.match(r.path)
        if image_id is None:
            continue
        name = _name_of(r)
        if r.observation_type == "unclassified" or (name is None and r.observation_type not in TYPE_KEYS) \
                or (name is not None and undecided(name)):  # fmt: skip
            report.skipped += 1
            continue
        matched.append((image_id, r))
    unknown = [r for _i, r in matched if _row_key(matcher, r) is None]
    backed_up = False
    if unknown and add_unknown:
        if not dry_run:
            store.backup(reason="before-import")
            backed_up = True
        _add_species(store, matcher, unknown, report, write=not dry_run)
    changes: dict[int, list[Observation]] = {}
    for image_id, r in matched:
        key = _row_key(matcher, r)
        report.species.note(_name_of(r) or r.observation_type or "", key)
        if key is None:
            report.unknown_species_rows += 1
            continue
        obs = changes.setdefault(image_id, [])
        if all(o.species_key != key for o in obs):
            obs.append(_observation(r, key, matcher, author, problems))
    for image_id, obs in changes.items():
        # A frame with an animal is not also empty: the blank row of a burst export goes.
        if len(obs) > 1 and any(o.observation_type != "blank" for o in obs):
            changes[image_id] = [o for o in obs if o.observation_type != "blank"]
    current = store.labels(changes) if changes else {}
    for image_id in list(changes):
        new = changes[image_id]
        had_human = any(o.classification_method == "human" for o in current.get(image_id, []))
        if had_human and all(o.classification_method == "machine" for o in new):
            del changes[image_id]
            report.kept_human += 1
    report.refused = paths.refused
    report.unmatched = paths.unmatched
    report.notes += paths.notes()
    report.problems = problems.lines()
    if report.kept_human:
        report.notes.append(f"{report.kept_human} image(s) keep a person's decision over the file's "
                            "machine decisions")  # fmt: skip
    report.images_updated = len(changes)
    if changes and not dry_run:
        if not backed_up:
            store.backup(reason="before-import")
        session = session or LabelSession(store, author=author)
        record = session._commit(
            changes,
            "import",
            f"import {len(changes)} image(s) from {os.path.basename(source_name)}",
        )
        report.action_id = record.id if record else None
    yield Step("match", total, total)
    return report
