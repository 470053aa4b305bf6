"""Camtrap DP 1.0 export: datapackage.json, deployments.csv, media.csv, observations.csv.

Deployments are the camera folders; their coordinates, dates and time zone come from the
project's deployment table. Without coordinates for every deployment the package would not
be valid: the export names those deployments and stops, unless ``allow_incomplete``.
Observations come at two levels: one per image and species, and one per burst (event) and
species with the burst's count. Text cells are neutralised against spreadsheet formulas; values
that would make the package invalid (a bad stored time, a probability above 1) are left out and
reported, never written.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Generator
from pathlib import Path

from labeler.core.exchange.atomic import atomic_output
from labeler.core.exchange.camtrapdp_meta import META_KEY, package_metadata
from labeler.core.exchange.csv_io import cell
from labeler.core.exchange.deployments import read_deployments_csv
from labeler.core.exchange.events import event_observations, utc_stamp
from labeler.core.exchange.step import PROGRESS_EVERY, Step
from labeler.core.store import Store
from labeler.core.timezones import corrected, deployment_zone, stamp

PROFILE = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json"
SCHEMA_URL = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/{}-table-schema.json"
DEPLOYMENT_COLUMNS = [
    "deploymentID", "locationID", "locationName", "latitude", "longitude", "coordinateUncertainty",
    "deploymentStart", "deploymentEnd", "setupBy", "cameraID", "cameraModel", "cameraDelay", "cameraHeight",
    "cameraDepth", "cameraTilt", "cameraHeading", "detectionDistance", "timestampIssues", "baitUse",
    "featureType", "habitat", "deploymentGroups", "deploymentTags", "deploymentComments",
]  # fmt: skip
MEDIA_COLUMNS = [
    "mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "filePublic", "fileName",
    "fileMediatype", "exifData", "favorite", "mediaComments",
]  # fmt: skip
OBSERVATION_COLUMNS = [
    "observationID", "deploymentID", "mediaID", "eventID", "eventStart", "eventEnd", "observationLevel",
    "observationType", "cameraSetupType", "scientificName", "count", "lifeStage", "sex", "behavior",
    "individualID", "individualPositionRadius", "individualPositionAngle", "individualSpeed", "bboxX", "bboxY",
    "bboxWidth", "bboxHeight", "classificationMethod", "classifiedBy", "classificationTimestamp",
    "classificationProbability", "observationTags", "observationComments",
]  # fmt: skip
FEATURE_TYPES = {"roadPaved", "roadDirt", "trailHiking", "trailGame", "roadUnderpass", "roadOverpass",
                 "roadBridge", "culvert", "burrow", "nestSite", "carcass", "waterSource", "fruitingTree"}  # fmt: skip
MEDIATYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff", "MPO": "image/jpeg",
              "BMP": "image/bmp", "GIF": "image/gif", "WEBP": "image/webp"}  # fmt: skip
TYPES = ("animal", "human", "vehicle", "blank", "unknown", "unclassified")
SPECIES_NOTE = "species: "


class IncompleteDeployments(ValueError):
    """Deployments lack the coordinates Camtrap DP requires (their names are in ``missing``)."""

    def __init__(self, missing: list[str]):
        shown = ", ".join(missing[:20]) + (
            f" and {len(missing) - 20} more (`labeler deployments FOLDER` lists them all)"
            if len(missing) > 20 else ""
        )  # fmt: skip
        super().__init__(
            f"{len(missing)} deployment(s) lack latitude/longitude, which Camtrap DP requires: "
            f"{shown}; set them (labeler deployments FOLDER --in deployments.csv, or File → "
            "Deployments) or export anyway with --allow-incomplete"
        )
        self.missing = missing


def _number(value, lo: float | None = None, hi: float | None = None):
    """A number within [lo, hi] as written, or "" (a value that would break the package)."""
    if value is None:
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if v != v or (lo is not None and v < lo) or (hi is not None and v > hi):
        return ""
    return value


# Columns that may carry text from outside (folder and file names, names typed by people):
# only these can start like a spreadsheet formula; the rest are numbers, times and our own ids.
OUTSIDE_TEXT = {"deploymentID", "locationID", "locationName", "setupBy", "cameraID", "cameraModel",
                "habitat", "deploymentTags", "deploymentComments", "filePath", "fileName",
                "scientificName", "classifiedBy", "observationComments"}  # fmt: skip


def _write_table(out: Path, name: str, header: list[str], rows: list[list]) -> None:
    risky = [i for i, column in enumerate(header) if column in OUTSIDE_TEXT]
    with atomic_output(out / f"{name}.csv", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        for row in rows:  # row by row: a background export never holds the interpreter long
            for i in risky:
                row[i] = cell(row[i])
            w.writerow(row)


def deployment_ids(deployments: dict[str, dict]) -> dict[str, str]:
    """Camtrap DP deploymentID of each camera folder (the folder, "root" for the top level)."""
    return {folder: (folder or "root") for folder in deployments}


def missing_coordinates(store: Store) -> list[str]:
    """Deployments without a usable latitude and longitude."""
    deps = store.deployments()
    ids = deployment_ids(deps)
    return [ids[f] for f, d in deps.items()
            if _number(d.get("latitude"), -90, 90) == "" or _number(d.get("longitude"), -180, 180) == ""]  # fmt: skip


def export_camtrapdp(
    store: Store,
    out_dir: str | os.PathLike[str],
    *,
    settings: dict | None = None,
    allow_incomplete: bool = False,
) -> Generator[Step, None, dict]:
    """Write a Camtrap DP package into ``out_dir``; yields progress, returns a report with the
    problems found. Raises :class:`IncompleteDeployments` before writing anything when a
    deployment lacks coordinates, unless ``allow_incomplete``."""
    missing = missing_coordinates(store)
    if missing and not allow_incomplete:
        raise IncompleteDeployments(missing)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    deployments = store.deployments()
    dep_ids = deployment_ids(deployments)
    zones: dict[str, dt.tzinfo | None] = {}
    for folder, d in deployments.items():
        try:
            zones[folder] = deployment_zone(d)
        except ValueError as exc:
            problems.append(f"deployment {dep_ids[folder]!r}: {exc}; times written as UTC")
            zones[folder] = None
    no_zone = [dep_ids[f] for f, z in zones.items() if z is None]
    if no_zone:
        problems.append(
            f"no time zone for {len(no_zone)} deployment(s) ({', '.join(no_zone[:5])}{'…' if len(no_zone) > 5 else ''}): "
            "their camera times are written as UTC; set a time zone (e.g. Europe/Brussels) or a UTC offset"
        )
    rows = store.export_rows()
    media_rows, obs_rows = [], []
    times: dict[int, dt.datetime] = {}
    stamps: dict[int, str] = {}
    span: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    untimed: dict[str, int] = {}
    taxa: dict[str, dict] = {}
    bad_stamps = bad_probs = 0
    for n, r in enumerate(rows, start=1):
        (iid, path, folder, when, offset, mtime, seq, _frame, _slot, otype, key, count, method, by, prob,
         decided, common, sci, oid, _w, _h, fmt) = r  # fmt: skip
        if folder not in dep_ids:
            dep_ids[folder], zones[folder] = folder or "root", None
        if iid not in times:
            local = corrected(when, offset)
            if local is None:
                local = dt.datetime.fromtimestamp(mtime / 1e9) if mtime else dt.datetime(1970, 1, 1)
                untimed[folder] = untimed.get(folder, 0) + 1
            times[iid] = local
            lo, hi = span.get(folder, (local, local))
            span[folder] = (min(lo, local), max(hi, local))
            stamps[iid] = stamp(local, zones[folder])
            media_rows.append([f"m{iid}", dep_ids[folder], "", stamps[iid], path, "false",
                               path.rpartition("/")[2], MEDIATYPES.get(fmt or "", "image/jpeg"), "", "", ""])  # fmt: skip
        ts = stamps[iid]
        event = f"e{seq}" if seq is not None else ""
        row = dict.fromkeys(OBSERVATION_COLUMNS, "")
        row.update({"deploymentID": dep_ids[folder], "mediaID": f"m{iid}", "eventID": event, "eventStart": ts,
                    "eventEnd": ts, "observationLevel": "media"})  # fmt: skip
        if otype is None:
            row.update({"observationID": f"u{iid}", "observationType": "unclassified"})
        else:
            kind = otype if otype in TYPES else "unknown"
            name = sci if kind == "animal" and sci else ""
            if name:
                taxa.setdefault(
                    name, {"scientificName": name, "vernacularNames": {"eng": common or name}}
                )
            decided_at = utc_stamp(decided)
            bad_stamps += bool(decided and not decided_at)
            probability = _number(prob, 0, 1) if method == "machine" else ""
            bad_probs += bool(method == "machine" and prob is not None and probability == "")
            row.update({
                "observationID": f"o{oid}", "observationType": kind, "scientificName": name,
                "count": count if count and count >= 1 else "", "classificationMethod": method or "",
                "classifiedBy": by or "", "classificationTimestamp": decided_at,
                "classificationProbability": round(float(probability), 6) if probability != "" else "",
                "observationComments": f"{SPECIES_NOTE}{common or key}" if kind in ("animal", "unknown") and not sci else "",
            })  # fmt: skip
        obs_rows.append([row[c] for c in OBSERVATION_COLUMNS])
        if n % PROGRESS_EVERY == 0:
            yield Step("export", n, len(rows))
    events = event_observations(rows, times, zones, dep_ids, OBSERVATION_COLUMNS)
    obs_rows += events
    if bad_stamps:
        problems.append(f"{bad_stamps} observation(s) had a decision time that is not a date; "
                        "their classificationTimestamp is left empty")  # fmt: skip
    if bad_probs:
        problems.append(f"{bad_probs} machine observation(s) had a probability outside 0-1; "
                        "it is left empty")  # fmt: skip
    if untimed:
        problems.append(
            f"{sum(untimed.values())} image(s) have no capture time; their file modification time is used "
            f"and timestampIssues is set on their deployment(s): {', '.join(sorted(dep_ids[f] for f in untimed))}"
        )
    dep_rows, coords = _deployment_rows(deployments, dep_ids, zones, span, untimed, problems)
    if missing:
        problems.append(str(IncompleteDeployments(missing)).split("; set them")[0]
                        + "; the package is not valid until they are set")  # fmt: skip
    for name, header, body in (("deployments", DEPLOYMENT_COLUMNS, dep_rows), ("media", MEDIA_COLUMNS, media_rows),
                               ("observations", OBSERVATION_COLUMNS, obs_rows)):  # fmt: skip
        _write_table(out, name, header, body)
    settings = settings if settings is not None else (store.get_meta(META_KEY, {}) or {})
    root_name = os.path.basename(store.get_meta("root", "") or "") or "camera-trap project"
    package, project, notes = package_metadata(settings, root_name)
    problems += notes
    project["observationLevel"] = ["media", "event"] if events else ["media"]
    all_times = sorted(times.values())
    spatial = {"type": "GeometryCollection", "geometries": []}
    if coords:
        xs, ys = [c[0] for c in coords], [c[1] for c in coords]
        spatial = {"type": "Polygon", "coordinates": [[[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)],
                                                       [min(xs), max(ys)], [min(xs), min(ys)]]]}  # fmt: skip
    today = dt.date.today().isoformat()
    descriptor = {
        "resources": [
            {"name": n, "path": f"{n}.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": SCHEMA_URL.format(n)}
            for n in ("deployments", "media", "observations")
        ],
        "profile": PROFILE,
        "name": re.sub(r"[^a-z0-9._-]+", "-", package["title"].lower()).strip("-") or "camera-trap-data",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(store.path))),
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **package,
        "project": project,
        "spatial": spatial,
        "temporal": {"start": all_times[0].date().isoformat() if all_times else today,
                     "end": all_times[-1].date().isoformat() if all_times else today},
        "taxonomic": sorted(taxa.values(), key=lambda t: t["scientificName"]),
        "sources": [{"title": "camtrap-labeler"}],
    }  # fmt: skip
    with atomic_output(out / "datapackage.json", encoding="utf-8") as f:
        f.write(json.dumps(descriptor, indent=2, ensure_ascii=False))
    yield Step("export", len(rows), len(rows))
    return {"deployments": len(dep_rows), "media": len(media_rows), "observations": len(obs_rows),
            "events": len(events), "problems": problems, "path": str(out)}  # fmt: skip


def _deployment_rows(deployments, dep_ids, zones, span, untimed, problems):
    rows, coords = [], []
    for folder in dep_ids:
        d = deployments.get(folder, {})
        zone, seen = zones.get(folder), span.get(folder)
        ends = []
        for given, fallback, label in ((d.get("deployment_start"), d.get("first_image"), "start"),
                                       (d.get("deployment_end"), d.get("last_image"), "end")):  # fmt: skip
            chosen = corrected(given, 0) if given else None
            if given and chosen is None:
                problems.append(f"deployment {dep_ids[folder]!r}: its {label} {given!r} is not a date; "
                                "the images' times are used")  # fmt: skip
            if chosen is None and seen:
                chosen = seen[0] if label == "start" else seen[1]
            chosen = chosen or corrected(fallback, 0)
            ends.append(stamp(chosen, zone) if chosen else "")
        if not ends[0]:
            problems.append(f"deployment {dep_ids[folder]!r} has no start or end time")
        lat, lon = _number(d.get("latitude"), -90, 90), _number(d.get("longitude"), -180, 180)
        if lat != "" and lon != "":
            coords.append((float(lon), float(lat)))
        feature = d.get("feature_type") if d.get("feature_type") in FEATURE_TYPES else ""
        if d.get("feature_type") and not feature:
            problems.append(
                f"deployment {dep_ids[folder]!r}: featureType {d['feature_type']!r} is not a Camtrap DP value"
            )
        rows.append([
            dep_ids[folder], d.get("location_id") or "", d.get("location_name") or folder or "root",
            lat, lon, _number(d.get("coordinate_uncertainty"), 1), ends[0], ends[1], d.get("setup_by") or "",
            d.get("camera_id") or "", d.get("camera_model") or "", "", _number(d.get("camera_height"), 0), "", "", "", "",
            "true" if untimed.get(folder) or zone is None else "false",
            "" if d.get("bait_use") is None else ("true" if d.get("bait_use") else "false"),
            # The tz database name rides in the tags (Camtrap DP has no field for it), so that
            # an import of the package keeps daylight saving time right.
            feature, d.get("habitat") or "", "", f"timezone:{d['timezone']}" if d.get("timezone") else "",
            d.get("comments") or "",
        ])  # fmt: skip
    return rows, coords


__all__ = ["IncompleteDeployments", "export_camtrapdp", "read_deployments_csv"]
