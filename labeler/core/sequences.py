"""Bursts: frames of one camera folder grouped by the time gap between consecutive shots."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_GAP_S = 60.0


@dataclass(frozen=True)
class Frame:
    """The facts about one image that burst grouping needs."""

    image_id: int
    folder: str
    name: str
    time: dt.datetime | None


@dataclass(frozen=True)
class Sequence:
    """A burst: consecutive frames of one folder with no gap longer than the threshold."""

    folder: str
    start: dt.datetime
    end: dt.datetime
    image_ids: tuple[int, ...]


def group_sequences(
    frames: Iterable[Frame], gap_s: float = DEFAULT_GAP_S
) -> tuple[list[Sequence], list[Frame]]:
    """Group frames into bursts per folder; return the bursts and the frames without a time.

    Frames are ordered by time, then by file name (cameras often write several frames in the
    same second). A new burst starts when the gap to the previous frame exceeds ``gap_s``.
    """
    if gap_s < 0:
        raise ValueError("the burst gap must be zero or more seconds")
    by_folder: dict[str, list[Frame]] = defaultdict(list)
    untimed: list[Frame] = []
    for f in frames:
        if f.time is None:
            untimed.append(f)
        else:
            by_folder[f.folder].append(f)
    gap = dt.timedelta(seconds=gap_s)
    out: list[Sequence] = []
    for folder in sorted(by_folder):
        items = sorted(by_folder[folder], key=lambda f: (f.time, f.name))
        current: list[Frame] = [items[0]]
        for prev, f in zip(items, items[1:], strict=False):
            if f.time - prev.time > gap:  # type: ignore[operator]
                out.append(_close(folder, current))
                current = []
            current.append(f)
        out.append(_close(folder, current))
    out.sort(key=lambda s: (s.folder, s.start))
    return out, untimed


def _close(folder: str, frames: list[Frame]) -> Sequence:
    return Sequence(
        folder,
        frames[0].time,  # type: ignore[arg-type]
        frames[-1].time,  # type: ignore[arg-type]
        tuple(f.image_id for f in frames),
    )
