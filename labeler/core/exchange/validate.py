"""Checking values read from outside (imports, deployment tables) before they reach the catalog.

Each parser returns the clean value, or raises :class:`BadValue` with a sentence a user can act
on. :class:`Problems` gathers the per-row refusals of a file into a few summary lines.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo

MAX_COUNT = 100_000
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


class BadValue(ValueError):
    """A value from outside that the catalog cannot take as it is."""


def _number(text: object, what: str) -> float:
    if isinstance(text, bool):
        raise BadValue(f"{what} {text!r} is not a number")
    try:
        value = float(str(text).strip()) if not isinstance(text, (int, float)) else float(text)
    except (TypeError, ValueError, OverflowError):
        raise BadValue(f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadValue(f"{what} {text!r} is not a finite number")
    return value


def parse_count(text: object) -> int | None:
    """A count of individuals: empty -> None; a whole number from 1 to 100,000."""
    if text is None or str(text).strip() == "":
        return None
    value = _number(text, "count")
    if value != int(value) or not 1 <= value <= MAX_COUNT:
        raise BadValue(f"count {text!r} is not a whole number from 1 to {MAX_COUNT:,}")
    return int(value)


def parse_probability(text: object) -> float | None:
    """A probability: empty -> None; a number from 0 to 1."""
    if text is None or str(text).strip() == "":
        return None
    value = _number(text, "probability")
    if not 0.0 <= value <= 1.0:
        raise BadValue(f"probability {text!r} is not between 0 and 1")
    return value


def parse_timestamp(text: object) -> str | None:
    """A decision time (ISO 8601; without a zone it is taken as UTC) as stored: UTC ISO text."""
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip()
    try:
        t = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise BadValue(f"timestamp {raw!r} is not an ISO 8601 date and time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    if not 1900 <= t.year <= 2200:
        raise BadValue(f"timestamp {raw!r} is out of range")
    return t.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


def parse_latitude(text: object) -> float:
    """Decimal degrees from -90 to 90."""
    value = _number(text, "latitude")
    if not -90.0 <= value <= 90.0:
        raise BadValue(f"latitude {text} is not between -90 and 90")
    return value


def parse_longitude(text: object) -> float:
    """Decimal degrees from -180 to 180."""
    value = _number(text, "longitude")
    if not -180.0 <= value <= 180.0:
        raise BadValue(f"longitude {text} is not between -180 and 180")
    return value


def parse_utc_offset(text: object) -> str:
    """A fixed offset written like ``+02:00`` or ``-05:30`` (``Z`` is ``+00:00``)."""
    raw = str(text).strip()
    if raw in ("Z", "z"):
        return "+00:00"
    m = _OFFSET.match(raw)
    if not m or int(m.group(2)) > 14 or int(m.group(3)) >= 60:
        raise BadValue(f"UTC offset {raw!r} is not like +02:00 or -05:30")
    return raw


def parse_timezone(text: object) -> str:
    """A named time zone from the tz database, such as ``Europe/Brussels``."""
    raw = str(text).strip()
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadValue(
            f"time zone {raw!r} is not a tz database name such as Europe/Brussels or America/Denver"
        ) from None
    return raw


def parse_non_negative(text: object, what: str) -> float:
    """A number of zero or more (heights, distances)."""
    value = _number(text, what)
    if value < 0:
        raise BadValue(f"{what} {text} is negative")
    return value


class Problems:
    """Per-row refusals of one file, summarised: what, how many, the first few examples."""

    EXAMPLES = 3

    def __init__(self) -> None:
        self._kinds: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}

    def add(self, kind: str, example: str) -> None:
        """Record one refusal of ``kind`` (e.g. "bad count; the label was kept without one")."""
        self._counts[kind] = self._counts.get(kind, 0) + 1
        examples = self._kinds.setdefault(kind, [])
        if len(examples) < self.EXAMPLES:
            examples.append(example)

    def __bool__(self) -> bool:
        return bool(self._counts)

    def lines(self) -> list[str]:
        """One line per kind of problem."""
        return [
            f"{self._counts[k]} row(s): {k} (e.g. {'; '.join(ex)})" for k, ex in self._kinds.items()
        ]
