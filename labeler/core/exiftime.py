"""Capture time of an image: EXIF tags, file-name patterns, and flags for clocks not to trust."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# EXIF tag numbers (TIFF/EXIF 2.3).
TAG_DATETIME = 0x0132
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_EXIF_IFD = 0x8769
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME_DIGITIZED = 0x9004

EARLIEST_PLAUSIBLE_YEAR = 1990
# Dates that cameras write when their clock was never set.
SENTINEL_DATES = {dt.date(2002, 12, 8), dt.date(1970, 1, 1), dt.date(1980, 1, 1)}

_EXIF_RE = re.compile(
    r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?"
)
_NAME_RE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_.]?(\d{2})[-_.]?(\d{2})(?:[ _T]+|__)(\d{2})[-_.:]?(\d{2})(?:[-_.:]?(\d{2}))?(?!\d)"
)


@dataclass(frozen=True)
class CaptureTime:
    """When a frame was taken, with where that came from and whether to trust it."""

    raw: str | None
    value: dt.datetime | None
    source: str | None
    flag: str | None

    @property
    def usable(self) -> bool:
        """True when the time can order frames into bursts."""
        return self.value is not None


def _clean(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    text = str(raw).replace("\x00", "").strip()
    return text or None


def parse_exif_datetime(raw: str) -> dt.datetime | None:
    """Parse an EXIF-style date ("2019:07:08 08:00:00"); None when it is not a real date."""
    m = _EXIF_RE.match(raw)
    if not m:
        return None
    parts = [int(g) if g is not None else 0 for g in m.groups()]
    try:
        return dt.datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None


def time_from_name(name: str) -> tuple[str, dt.datetime] | None:
    """Find a date and time written into a file name (e.g. ``Station__2009-05-07__18-45-00``)."""
    m = _NAME_RE.search(name)
    if not m:
        return None
    parts = [int(g) if g is not None else 0 for g in m.groups()]
    try:
        return m.group(0), dt.datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None


def _flag_for(value: dt.datetime, today: dt.date) -> str | None:
    if value.date() in SENTINEL_DATES:
        return "sentinel_date"
    if value.year < EARLIEST_PLAUSIBLE_YEAR:
        return "implausible_past"
    if value.date() > today + dt.timedelta(days=1):
        return "in_future"
    return None


def capture_time(
    exif_values: dict[int, object], file_name: str, *, today: dt.date | None = None
) -> CaptureTime:
    """Choose the capture time from EXIF tags, falling back to a time in the file name.

    ``exif_values`` maps the tag numbers above to raw values (strings or bytes). A time with a
    suspicious value (a clock that was never set) is kept and flagged; bursts still use it,
    since a wrong clock still ticks in seconds.
    """
    today = today or dt.date.today()
    unparseable: str | None = None
    for tag, source in (
        (TAG_DATETIME_ORIGINAL, "exif:DateTimeOriginal"),
        (TAG_DATETIME_DIGITIZED, "exif:DateTimeDigitized"),
        (TAG_DATETIME, "exif:DateTime"),
    ):
        raw = _clean(exif_values.get(tag))
        if raw is None:
            continue
        value = parse_exif_datetime(raw)
        if value is None:
            unparseable = unparseable or raw
            continue
        return CaptureTime(raw, value, source, _flag_for(value, today))
    from_name = time_from_name(file_name)
    if from_name is not None:
        raw, value = from_name
        return CaptureTime(raw, value, "filename", _flag_for(value, today))
    if unparseable is not None:
        return CaptureTime(unparseable, None, None, "unparseable")
    return CaptureTime(None, None, None, "missing")
