"""Deployment facts (coordinates, time zone, dates, camera) read from a table and checked.

Every row is checked before anything is stored: a latitude of 95, an offset written ``+2``, an
unknown time zone or a date that is not a date is refused with the row and the reason, and
nothing of the file is applied.
"""

from __future__ import annotations

import datetime as dt
import os

from labeler.core.exchange.csvread import read_table
from labeler.core.exchange.validate import (
    BadValue,
    parse_latitude,
    parse_longitude,
    parse_non_negative,
    parse_timezone,
    parse_utc_offset,
)

# Column names accepted (compared lower-case, without spaces or underscores) -> our field.
COLUMNS = {
    "locationid": "location_id", "locationname": "location_name", "latitude": "latitude",
    "longitude": "longitude", "coordinateuncertainty": "coordinate_uncertainty",
    "deploymentstart": "deployment_start", "deploymentend": "deployment_end", "utcoffset": "utc_offset",
    "timezone": "timezone", "tz": "timezone", "cameraid": "camera_id", "cameraheight": "camera_height",
    "habitat": "habitat", "featuretype": "feature_type", "baituse": "bait_use", "setupby": "setup_by",
    "comments": "comments", "deploymentcomments": "comments",
}  # fmt: skip
FOLDER_COLUMNS = ("folder", "deploymentid", "camera_folder", "camerafolder")


def _local_time(text: str) -> str:
    """A deployment start or end as the camera's local time (ISO, no zone)."""
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise BadValue(f"date {text!r} is not like 2023-04-02T06:30:00") from None
    return t.replace(tzinfo=None).isoformat()


def check_fact(field: str, text: str):
    """The stored value of one deployment fact, or :class:`BadValue`."""
    if field == "latitude":
        return parse_latitude(text)
    if field == "longitude":
        return parse_longitude(text)
    if field == "utc_offset":
        return parse_utc_offset(text)
    if field == "timezone":
        return parse_timezone(text)
    if field == "camera_height":
        return parse_non_negative(text, "camera height")
    if field == "coordinate_uncertainty":
        value = parse_non_negative(text, "coordinate uncertainty")
        if value < 1:
            raise BadValue(f"coordinate uncertainty {text} is below 1 metre")
        return int(round(value))
    if field == "bait_use":
        low = text.strip().lower()
        if low not in ("true", "false", "yes", "no", "1", "0"):
            raise BadValue(f"bait use {text!r} is not true or false")
        return 1 if low in ("true", "yes", "1") else 0
    if field in ("deployment_start", "deployment_end"):
        return _local_time(text)
    return text.strip()


def read_deployments_csv(path: str | os.PathLike[str]) -> dict[str, dict]:
    """Deployment facts by camera folder from a CSV with a ``folder`` (or ``deploymentID``)
    column; raises :class:`BadValue` naming every bad cell (nothing is half-read)."""
    header, rows = read_table(path)
    norm = {h.strip().lower().replace(" ", "").replace("_", ""): h for h in header}
    folder_col = next(
        (norm[c.replace("_", "")] for c in FOLDER_COLUMNS if c.replace("_", "") in norm), None
    )
    if folder_col is None:
        raise BadValue(
            f"{os.path.basename(path)} needs a 'folder' (or 'deploymentID') column naming each "
            f"camera folder; its columns are: {', '.join(header[:12]) or 'none'}"
        )
    out: dict[str, dict] = {}
    problems: list[str] = []
    for n, row in enumerate(rows, start=2):
        folder = row.get(folder_col, "").strip()
        values = {}
        for key, header_name in norm.items():
            target = COLUMNS.get(key)
            text = row.get(header_name)
            if target is None or text is None or text.strip() == "":
                continue
            try:
                values[target] = check_fact(target, text)
            except BadValue as exc:
                problems.append(f"line {n} ({folder or '.'}): {exc}")
        out["" if folder in ("root", ".") else folder] = values
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise BadValue(
            f"{os.path.basename(path)}: {'; '.join(problems[:5])}{more}; nothing was stored"
        )
    return out
