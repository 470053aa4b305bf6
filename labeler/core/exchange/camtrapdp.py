"""Camtrap DP 1.0 export: datapackage.json, deployments.csv, media.csv, observations.csv.

Deployments are the camera folders; their coordinates, dates and time zone come from the
project's deployment table (editable in the window or from a deployments CSV). What is missing
is reported plainly, and the tables are still written so that the rest can be used.
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

from labeler.core.exchange.csv_io import PROGRESS_ROWS
from labeler.core.store import Store

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
_OFFSET = re.compile(r"^(Z|[+-]\d{2}:\d{2})$")


def _offset(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if not _OFFSET.match(text):
        raise ValueError(f"UTC offset {text!r} is not like +02:00")
    if text == "Z":
        return dt.timezone.utc
    sign = 1 if text[0] == "+" else -1
    return dt.timezone(sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _stamp(local: dt.datetime, tz: dt.tzinfo | None) -> str:
    """``%Y-%m-%dT%H:%M:%S%z`` with a colon in the offset (the form the profile's examples use)."""
    aware = local if local.tzinfo is not None else local.replace(tzinfo=tz or dt.timezone.utc)
    return aware.replace(microsecond=0).isoformat()


def _iso_stamp(text: str | None) -> str:
    """A stored UTC decision time in the profile's datetime format."""
    if not text:
        return ""
    t = dt.datetime.fromisoformat(text)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(v):
    return "" if v is None else v


def export_camtrapdp(
    store: Store,
    out_dir: str | os.PathLike[str],
    *,
    project: dict | None = None,
    contributors: list[dict] | None = None,
) -> Generator[int, None, dict]:
    """Write a Camtrap DP package into ``out_dir``; yields rows written, returns a report with
    the problems found (missing coordinates, unknown time zones, untimed images)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    deployments = store.deployments()
    rows = store.export_rows()
    dep_ids = {folder: (folder or "root") for folder in deployments}
    tz_of: dict[str, dt.tzinfo | None] = {}
    for folder, d in deployments.items():
        try:
            tz_of[folder] = _offset(d.get("utc_offset"))
        except ValueError as exc:
            problems.append(f"deployment {dep_ids[folder]!r}: {exc}; times written as UTC")
            tz_of[folder] = None
    no_tz = [dep_ids[f] for f, tz in tz_of.items() if tz is None]
    if no_tz:
        problems.append(
            f"no UTC offset for {len(no_tz)} deployment(s) ({', '.join(no_tz[:5])}{'…' if len(no_tz) > 5 else ''}): "
            "their local camera times are written as UTC; set utc_offset (e.g. +02:00)"
        )
    # media and observations
    media_rows, obs_rows, seen_media = [], [], set()
    times: dict[int, dt.datetime] = {}
    span: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    untimed: dict[str, int] = {}
    taxa: dict[str, dict] = {}
    n = 0
    for r in rows:
        (iid, path, folder, when, offset, mtime, seq, _frame, slot, otype, key, count, method, by, prob,
         stamp, common, sci, oid, _w, _h, fmt) = r  # fmt: skip
        if iid not in times:
            if when:
                local = dt.datetime.fromisoformat(when) + dt.timedelta(seconds=offset or 0)
            else:
                local = dt.datetime.fromtimestamp(mtime / 1e9) if mtime else dt.datetime(1970, 1, 1)
                untimed[folder] = untimed.get(folder, 0) + 1
            times[iid] = local
            lo, hi = span.get(folder, (local, local))
            span[folder] = (min(lo, local), max(hi, local))
        ts = _stamp(times[iid], tz_of.get(folder))
        if iid not in seen_media:
            seen_media.add(iid)
            media_rows.append([f"m{iid}", dep_ids[folder], "", ts, path, "false", path.rpartition("/")[2],
                               MEDIATYPES.get(fmt or "", "image/jpeg"), "", "", ""])  # fmt: skip
        event = f"e{seq}" if seq is not None else ""
        if otype is None:
            obs_rows.append([f"u{iid}", dep_ids[folder], f"m{iid}", event, ts, ts, "media", "unclassified"]
                            + [""] * (len(OBSERVATION_COLUMNS) - 8))  # fmt: skip
        else:
            kind = (
                otype
                if otype in ("animal", "human", "vehicle", "blank", "unknown", "unclassified")
                else "unknown"
            )
            name = sci if kind == "animal" else ""
            if kind == "animal" and not sci:
                name = ""
            if name:
                taxa.setdefault(
                    name, {"scientificName": name, "vernacularNames": {"eng": common or name}}
                )
            row = dict.fromkeys(OBSERVATION_COLUMNS, "")
            row.update({
                "observationID": f"o{oid}", "deploymentID": dep_ids[folder], "mediaID": f"m{iid}",
                "eventID": event, "eventStart": ts, "eventEnd": ts, "observationLevel": "media",
                "observationType": kind, "scientificName": name,
                "count": count if count and count >= 1 else "",
                "classificationMethod": method or "", "classifiedBy": by or "",
                "classificationTimestamp": _iso_stamp(stamp),
                "classificationProbability": "" if prob is None or method != "machine" else round(float(prob), 6),
                "observationComments": "" if kind != "animal" or sci else f"species: {common or key}",
            })  # fmt: skip
            obs_rows.append([row[c] for c in OBSERVATION_COLUMNS])
        n += 1
        if n % PROGRESS_ROWS == 0:
            yield n
    if untimed:
        problems.append(
            f"{sum(untimed.values())} image(s) have no capture time; their file modification time is used "
            f"and timestampIssues is set on their deployment(s): {', '.join(sorted(dep_ids[f] for f in untimed))}"
        )
    # deployments
    dep_rows, coords = [], []
    missing_coords = []
    for folder, d in deployments.items():
        tz = tz_of.get(folder)
        seen = span.get(folder)
        start = (
            d.get("deployment_start")
            or d.get("first_image")
            or (seen[0].isoformat() if seen else None)
        )
        end = (
            d.get("deployment_end")
            or d.get("last_image")
            or (seen[1].isoformat() if seen else None)
        )
        lat, lon = d.get("latitude"), d.get("longitude")
        if lat is None or lon is None:
            missing_coords.append(dep_ids[folder])
        else:
            coords.append((float(lon), float(lat)))
        feature = d.get("feature_type") if d.get("feature_type") in FEATURE_TYPES else ""
        if d.get("feature_type") and not feature:
            problems.append(
                f"deployment {dep_ids[folder]!r}: featureType {d['feature_type']!r} is not a Camtrap DP value"
            )
        start_s = _stamp(dt.datetime.fromisoformat(start), tz) if start else ""
        end_s = _stamp(dt.datetime.fromisoformat(end), tz) if end else ""
        if not start_s:
            problems.append(f"deployment {dep_ids[folder]!r} has no start or end time")
        dep_rows.append([
            dep_ids[folder], d.get("location_id") or "", d.get("location_name") or folder or "root",
            _num(lat), _num(lon), _num(d.get("coordinate_uncertainty")), start_s, end_s, d.get("setup_by") or "",
            d.get("camera_id") or "", d.get("camera_model") or "", "", _num(d.get("camera_height")), "", "", "", "",
            "true" if untimed.get(folder) or tz is None else "false",
            "" if d.get("bait_use") is None else ("true" if d.get("bait_use") else "false"),
            feature, d.get("habitat") or "", "", "", d.get("comments") or "",
        ])  # fmt: skip
    if missing_coords:
        problems.append(
            f"{len(missing_coords)} deployment(s) lack latitude/longitude ({', '.join(missing_coords[:5])}"
            f"{'…' if len(missing_coords) > 5 else ''}); Camtrap DP requires them: add them in the window "
            "(Deployments) or with --deployments deployments.csv"
        )
    for name, header, body in (("deployments", DEPLOYMENT_COLUMNS, dep_rows), ("media", MEDIA_COLUMNS, media_rows),
                               ("observations", OBSERVATION_COLUMNS, obs_rows)):  # fmt: skip
        tmp = out / f"{name}.csv.partial"
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow(header)
            for row in body:  # row by row: a background export never holds the interpreter long
                w.writerow(row)
        os.replace(tmp, out / f"{name}.csv")
    all_times = sorted(times.values())
    meta = store.get_meta("camtrapdp_project", {}) or {}
    proj = {"title": meta.get("title") or os.path.basename(store.get_meta("root", "") or "") or "camera-trap project",
            "samplingDesign": meta.get("samplingDesign", "opportunistic"),
            "captureMethod": meta.get("captureMethod", ["activityDetection"]),
            "individualAnimals": bool(meta.get("individualAnimals", False)),
            "observationLevel": ["media"]}  # fmt: skip
    proj.update(project or {})
    if not meta and not project:
        problems.append(
            "project metadata uses defaults (samplingDesign=opportunistic, captureMethod=activityDetection)"
        )
    spatial = {"type": "GeometryCollection", "geometries": []}
    if coords:
        xs, ys = [c[0] for c in coords], [c[1] for c in coords]
        spatial = {"type": "Polygon", "coordinates": [[[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)],
                                                       [min(xs), max(ys)], [min(xs), min(ys)]]]}  # fmt: skip
    package = {
        "resources": [
            {"name": n, "path": f"{n}.csv", "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": SCHEMA_URL.format(n)}
            for n in ("deployments", "media", "observations")
        ],
        "profile": PROFILE,
        "name": re.sub(r"[^a-z0-9._-]+", "-", proj["title"].lower()).strip("-") or "camera-trap-data",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(store.path))),
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": proj["title"],
        "contributors": contributors or meta.get("contributors") or [{"title": "unknown", "role": "contact"}],
        "project": proj,
        "spatial": spatial,
        "temporal": {"start": all_times[0].date().isoformat() if all_times else dt.date.today().isoformat(),
                     "end": all_times[-1].date().isoformat() if all_times else dt.date.today().isoformat()},
        "taxonomic": sorted(taxa.values(), key=lambda t: t["scientificName"]),
        "sources": [{"title": "camtrap-labeler"}],
    }  # fmt: skip
    (out / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    yield n
    return {"deployments": len(dep_rows), "media": len(media_rows), "observations": len(obs_rows),
            "problems": problems, "path": str(out)}  # fmt: skip


def read_deployments_csv(path: str | os.PathLike[str]) -> dict[str, dict]:
    """Deployment facts from a CSV: a ``folder`` (or ``deploymentID``) column and any of
    latitude, longitude, locationName, deploymentStart, deploymentEnd, utcOffset, ..."""
    mapping = {
        "locationid": "location_id", "locationname": "location_name", "latitude": "latitude",
        "longitude": "longitude", "coordinateuncertainty": "coordinate_uncertainty",
        "deploymentstart": "deployment_start", "deploymentend": "deployment_end", "utcoffset": "utc_offset",
        "utc_offset": "utc_offset", "cameraid": "camera_id", "cameraheight": "camera_height", "habitat": "habitat",
        "featuretype": "feature_type", "baituse": "bait_use", "setupby": "setup_by", "comments": "comments",
        "deploymentcomments": "comments",
    }  # fmt: skip
    numbers = {"latitude", "longitude", "camera_height"}
    out: dict[str, dict] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            folder = row.get("folder", row.get("deploymentID"))
            if folder is None:
                raise ValueError("the deployments CSV needs a 'folder' (or 'deploymentID') column")
            values = {}
            for k, v in row.items():
                target = mapping.get((k or "").strip().lower().replace(" ", ""))
                if target is None or v is None or v.strip() == "":
                    continue
                v = v.strip()
                if target in numbers:
                    values[target] = float(v)
                elif target == "coordinate_uncertainty":
                    values[target] = int(float(v))
                elif target == "bait_use":
                    values[target] = 1 if v.lower() in ("true", "1", "yes") else 0
                else:
                    values[target] = v
            out["" if folder == "root" else folder] = values
    return out
