"""Correcting camera clocks: shift a deployment or a selection, or say when a frame really was.

A correction changes no file and no reading: each image keeps its camera's time, and the
correction (seconds) is added wherever a time is used (bursts, the window, every export).
Every correction is one action in the project's log, per image before and after, and can be
undone by a new action that puts the earlier corrections back. Bursts are regrouped after
each change, since they follow the corrected times.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from labeler.core.sequences import DEFAULT_GAP_S, group_sequences
from labeler.core.store import Store
from labeler.core.timezones import corrected

_SHIFT_UNITS = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
# More than ten years is a typed-in date, not a clock error.
MAX_SHIFT_S = 10 * 366 * 86400


class ClockError(ValueError):
    """A correction that cannot be applied (the reason is in the message)."""


@dataclass(frozen=True)
class ClockChange:
    """What a correction did."""

    action_id: int
    images: int
    shift_s: int
    description: str
    bursts: int

    def to_json(self) -> dict:
        """Plain dict."""
        return dict(self.__dict__)


def parse_shift(text: str) -> int:
    """Seconds from ``+1:00:00``, ``-0:30``, ``+3600``, ``-1d2h``, ``+90m`` (sign required
    for clock forms, optional for plain seconds)."""
    raw = text.strip()
    sign = -1 if raw.startswith("-") else 1
    body = raw.lstrip("+-").strip()
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", body):
            seconds = float(body)
        elif re.fullmatch(r"\d+(:\d{1,2}){1,2}", body):
            parts = [int(p) for p in body.split(":")]
            while len(parts) < 3:
                parts.append(0)
            h, m, s = parts
            if m >= 60 or s >= 60:
                raise ValueError
            seconds = h * 3600 + m * 60 + s
        elif body and _SHIFT_UNITS.sub("", body).strip() == "":
            scale = {"d": 86400, "h": 3600, "m": 60, "s": 1}
            seconds = sum(float(n) * scale[u] for n, u in _SHIFT_UNITS.findall(body))
        else:
            raise ValueError
    except ValueError:
        raise ClockError(f"shift {text!r} is not like +1:00:00, -0:30, +3600 or -1d2h") from None
    value = int(round(sign * seconds))
    if abs(value) > MAX_SHIFT_S:
        raise ClockError(f"shift {text!r} is more than ten years")
    return value


def describe_shift(seconds: int) -> str:
    """``+1:00:00``-style text for a number of seconds (days written out)."""
    sign = "-" if seconds < 0 else "+"
    s = abs(int(seconds))
    days, s = divmod(s, 86400)
    text = f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{sign}{days}d {text}" if days else f"{sign}{text}"


def _regroup(store: Store) -> int:
    sequences, _untimed = group_sequences(
        store.frames(), float(store.get_meta("burst_gap_s", DEFAULT_GAP_S))
    )
    store.replace_sequences(sequences)
    return len(sequences)


def shift_images(
    store: Store, image_ids: Iterable[int], seconds: int, *, what: str, author: str = "user"
) -> ClockChange:
    """Add ``seconds`` to the clock correction of images (``what`` names them in the log)."""
    ids = list(dict.fromkeys(image_ids))
    if not ids:
        raise ClockError("no images to correct")
    if seconds == 0:
        raise ClockError("a shift of 0 changes nothing")
    current = store.time_offsets(ids)
    missing = [i for i in ids if i not in current]
    if missing:
        raise ClockError(f"{len(missing)} of the images are not in the catalog")
    description = f"clock {describe_shift(seconds)} on {what}"
    record = store.set_time_offsets({i: current[i][1] + seconds for i in ids}, description=description,
                                    author=author)  # fmt: skip
    return ClockChange(record.id, len(ids), seconds, description, _regroup(store))


def shift_folder(store: Store, folder: str, seconds: int, *, author: str = "user") -> ClockChange:
    """Correct the clock of a whole deployment (camera folder)."""
    ids = store.folder_images(folder)
    if not ids:
        raise ClockError(f"no camera folder {folder or '.'!r} in the catalog")
    return shift_images(store, ids, seconds, what=f"deployment {folder or 'root'!r}", author=author)


def true_time_shift(store: Store, image_id: int, true_time: dt.datetime) -> int:
    """The shift that makes ``image_id`` show ``true_time`` ("this frame was really at T")."""
    reading, offset = store.time_offsets([image_id]).get(image_id, (None, 0))
    shown = corrected(reading, offset)
    if shown is None:
        raise ClockError("that image has no capture time to correct")
    return int(round((true_time.replace(tzinfo=None) - shown).total_seconds()))


def undo_clock(store: Store, action_id: int, *, author: str = "user") -> ClockChange:
    """Put back the corrections an earlier clock action replaced (as a new action)."""
    states = store.clock_action_states(action_id)
    if not states:
        raise ClockError(f"action {action_id} is not a clock correction")
    current = store.time_offsets(states)
    undo = {
        i: before
        for i, (before, after) in states.items()
        if current.get(i, (None, after))[1] == after
    }
    if not undo:
        raise ClockError(f"the corrections of action {action_id} were already changed again")
    shift = -next(after - before for before, after in states.values())
    description = f"undo clock action {action_id}"
    record = store.set_time_offsets(undo, description=description, author=author, reverts=action_id)
    return ClockChange(record.id, len(undo), shift, description, _regroup(store))
