"""Camtrap DP import: the observations of a package become labels, its deployments facts.

Media match the catalog by ``filePath`` (or, for packages whose media live on a web server,
by ``fileName``), through the same path matcher as every import. Media-level observations are
taken as they are; an event-level observation applies to the media of its deployment within
the event's start and end that have no media-level observation of their own. Species match by
scientific name (or by the ``species:`` note our export writes for species without one).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Generator
from pathlib import Path

from labeler.core.exchange.camtrapdp import SPECIES_NOTE
from labeler.core.exchange.csvread import CsvFormatError, read_table
from labeler.core.exchange.deployments import check_fact
from labeler.core.exchange.labels_in import ImportReport, LabelRow, apply_label_rows
from labeler.core.exchange.paths import PathMatcher, UnsafePath, safe_relative
from labeler.core.exchange.step import Step
from labeler.core.exchange.validate import BadValue
from labeler.core.labeling import LabelSession
from labeler.core.store import Store

FACTS = {"latitude": "latitude", "longitude": "longitude", "locationName": "location_name",
         "locationID": "location_id", "coordinateUncertainty": "coordinate_uncertainty",
         "cameraID": "camera_id", "cameraHeight": "camera_height", "habitat": "habitat",
         "featureType": "feature_type", "baitUse": "bait_use", "setupBy": "setup_by",
         "deploymentComments": "comments"}  # fmt: skip


class CamtrapDPFormatError(ValueError):
    """The folder or file is not a readable Camtrap DP package."""


def _vernacular(package: dict) -> dict[str, str]:
    """English common names of the package's taxa, by scientific name."""
    out = {}
    for t in package.get("taxonomic") or []:
        if isinstance(t, dict) and isinstance(t.get("vernacularNames"), dict):
            name = t["vernacularNames"].get("eng")
            if isinstance(name, str) and name.strip() and isinstance(t.get("scientificName"), str):
                out[t["scientificName"]] = name.strip()
    return out


def _resource_paths(source: Path) -> tuple[Path, dict[str, Path], dict[str, str]]:
    folder = source if source.is_dir() else source.parent
    descriptor = folder / "datapackage.json" if source.is_dir() else source
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CamtrapDPFormatError(
            f"{descriptor} is not a readable datapackage.json ({str(exc)[:200]})"
        ) from None
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list):
        raise CamtrapDPFormatError(f"{descriptor.name} lists no resources")
    paths = {}
    for r in resources:
        if isinstance(r, dict) and r.get("name") in ("deployments", "media", "observations"):
            try:
                rel = safe_relative(str(r.get("path", "")))
            except UnsafePath as exc:
                raise CamtrapDPFormatError(f"resource {r['name']}: {exc} (only files inside the "
                                           "package folder are read)") from None  # fmt: skip
            paths[r["name"]] = folder / rel
    lacking = [n for n in ("media", "observations") if n not in paths or not paths[n].is_file()]
    if lacking:
        raise CamtrapDPFormatError(f"the package has no {' or '.join(lacking)} table")
    return descriptor, paths, _vernacular(package)


def _when(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)


def _label_row(o: dict, path: str, line: int, common_names: dict[str, str]) -> LabelRow:
    comments = o.get("observationComments") or ""
    common = comments[len(SPECIES_NOTE) :] if comments.startswith(SPECIES_NOTE) else None
    common = common or common_names.get(o.get("scientificName") or "")
    return LabelRow(
        path=path, line=line, scientific=o.get("scientificName") or None, common=common,
        observation_type=(o.get("observationType") or "").strip() or None, count=o.get("count"),
        method=o.get("classificationMethod"), classified_by=o.get("classifiedBy"),
        probability=o.get("classificationProbability"), timestamp=o.get("classificationTimestamp"),
    )  # fmt: skip


def import_camtrapdp(
    store: Store,
    source: str | os.PathLike[str],
    *,
    author: str = "import",
    session: LabelSession | None = None,
    add_unknown: bool = False,
    dry_run: bool = False,
) -> Generator[Step, None, ImportReport]:
    """Import a Camtrap DP package (its folder or its datapackage.json); yields progress,
    returns the report. Deployment facts are set for the camera folders its media match."""
    descriptor, tables, common_names = _resource_paths(Path(source))
    try:
        _h, media = read_table(tables["media"])
        _h, observations = read_table(tables["observations"])
        _h, deployments = read_table(tables["deployments"]) if "deployments" in tables and \
            tables["deployments"].is_file() else ([], [])  # fmt: skip
    except CsvFormatError as exc:
        raise CamtrapDPFormatError(str(exc)) from None
    by_path = store.image_ids_by_path()
    matcher, by_name = PathMatcher(by_path), PathMatcher(by_path)
    path_of_id = {i: p for p, i in by_path.items()}
    media_path: dict[str, str] = {}
    media_info: dict[str, tuple[str, dt.datetime | None]] = {}
    for m in media:
        raw = m.get("filePath") or ""
        image_id = None
        if "://" not in raw:
            image_id = matcher.match(raw)
        if image_id is None and m.get("fileName"):
            image_id = by_name.match(m["fileName"])
        if image_id is not None:
            media_path[m.get("mediaID", "")] = path_of_id[image_id]
        media_info[m.get("mediaID", "")] = (
            m.get("deploymentID", ""),
            _when(m.get("timestamp", "")),
        )
    rows: list[LabelRow] = []
    with_own = {o.get("mediaID") for o in observations if o.get("observationLevel") == "media"}
    by_deployment: dict[str, list[tuple[dt.datetime, str]]] = {}
    for mid, (dep, when) in media_info.items():
        if when is not None and mid not in with_own and mid in media_path:
            by_deployment.setdefault(dep, []).append((when, mid))
    unmatched_media = sum(1 for o in observations if o.get("observationLevel") == "media"
                          and o.get("mediaID") not in media_path)  # fmt: skip
    for n, o in enumerate(observations, start=2):
        if o.get("observationLevel") == "media":
            if o.get("mediaID") in media_path:
                rows.append(_label_row(o, media_path[o["mediaID"]], n, common_names))
        elif o.get("observationLevel") == "event":
            start, end = _when(o.get("eventStart", "")), _when(o.get("eventEnd", ""))
            if start is None or end is None:
                continue
            for when, mid in by_deployment.get(o.get("deploymentID", ""), []):
                if start <= when <= end:
                    rows.append(_label_row(o, media_path[mid], n, common_names))
    report = ImportReport()
    report = yield from apply_label_rows(store, rows, source_name=str(descriptor.parent), author=author,
                                         session=session, add_unknown=add_unknown, dry_run=dry_run,
                                         report=report)  # fmt: skip
    report.rows = len(observations)
    if unmatched_media:
        report.notes.append(f"{unmatched_media} media-level observation(s) name media that match no "
                            "image of the project")  # fmt: skip
    applied = _apply_deployments(store, deployments, media_info, media_path, report, dry_run)
    if applied:
        report.notes.append(f"deployment facts set for {applied} camera folder(s)")
    return report


def _apply_deployments(store, deployments, media_info, media_path, report, dry_run) -> int:
    folders: dict[str, Counter] = {}
    for mid, path in media_path.items():
        dep = media_info[mid][0]
        folders.setdefault(dep, Counter())[path.rpartition("/")[0]] += 1
    applied = 0
    for d in deployments:
        votes = folders.get(d.get("deploymentID", ""))
        if not votes:
            continue
        folder = votes.most_common(1)[0][0]
        facts = {}
        for column, field in FACTS.items():
            text = (d.get(column) or "").strip()
            if text:
                try:
                    facts[field] = check_fact(field, text)
                except BadValue as exc:
                    report.problems.append(f"deployment {d.get('deploymentID')!r}: {exc}; not set")
        start = _when(d.get("deploymentStart", ""))
        if start is not None and start.utcoffset() is not None:
            minutes = int(start.utcoffset().total_seconds() // 60)
            facts["utc_offset"] = (
                f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            )
            facts["deployment_start"] = start.replace(tzinfo=None).isoformat()
        for tag in (d.get("deploymentTags") or "").split("|"):
            key, _, value = tag.strip().partition(":")
            if key.strip() == "timezone" and value.strip():
                try:
                    facts["timezone"] = check_fact("timezone", value)
                except BadValue as exc:
                    report.problems.append(f"deployment {d.get('deploymentID')!r}: {exc}; not set")
        end = _when(d.get("deploymentEnd", ""))
        if end is not None:
            facts["deployment_end"] = end.replace(tzinfo=None).isoformat()
        if facts and not dry_run:
            store.set_deployment(folder, **facts)
        applied += bool(facts)
    return applied
