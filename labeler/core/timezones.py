"""Camera times: local clock readings, clock corrections and each deployment's time zone.

A camera writes its local wall-clock time without a zone. A deployment gets either a named
time zone from the tz database (``Europe/Brussels``: the offset follows daylight saving time
frame by frame) or a fixed UTC offset (``+02:00``). A clock correction (seconds) is added to
the reading before the zone is applied.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def fixed_offset(text: str) -> dt.tzinfo:
    """A tzinfo for ``+HH:MM`` / ``-HH:MM`` / ``Z`` (ValueError otherwise)."""
    if text in ("Z", "z"):
        return dt.timezone.utc
    m = _OFFSET.match(text or "")
    if not m:
        raise ValueError(f"UTC offset {text!r} is not like +02:00")
    sign = 1 if m.group(1) == "+" else -1
    return dt.timezone(sign * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))


def deployment_zone(facts: dict) -> dt.tzinfo | None:
    """The zone a deployment's times are in: its named zone, else its fixed offset, else None.

    Raises ValueError for an unknown zone name or a malformed offset.
    """
    name = facts.get("timezone")
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time zone {name!r} is not a tz database name") from None
    offset = facts.get("utc_offset")
    return fixed_offset(offset) if offset else None


def corrected(datetime_text: str | None, offset_s: int | None) -> dt.datetime | None:
    """The camera's reading with its clock correction applied (naive, local)."""
    if not datetime_text:
        return None
    try:
        t = dt.datetime.fromisoformat(datetime_text)
    except ValueError:
        return None
    return t + dt.timedelta(seconds=offset_s or 0)


def localize(local: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """An aware time for a local reading (UTC when the zone is unknown).

    With a named zone the offset is the one in force at that moment; a reading in the hour
    that is repeated when clocks go back is taken as the first of the two.
    """
    if local.tzinfo is not None:
        return local
    return local.replace(tzinfo=zone or dt.timezone.utc, fold=0)


def stamp(local: dt.datetime, zone: dt.tzinfo | None) -> str:
    """``YYYY-MM-DDTHH:MM:SS+HH:MM`` (the form Camtrap DP's examples use)."""
    return localize(local, zone).replace(microsecond=0).isoformat()
