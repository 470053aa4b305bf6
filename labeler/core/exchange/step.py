"""The progress event every exchange job yields: a phase, how far it is, and of how much."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """``done`` of ``total`` items (rows, images, boxes) in ``phase``; ``int(step)`` is ``done``."""

    phase: str
    done: int
    total: int | None = None

    def __int__(self) -> int:
        return self.done


PROGRESS_EVERY = 2000
