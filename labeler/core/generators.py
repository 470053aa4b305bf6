"""Driving the app's job generators to the end (they yield progress and return a result)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

R = TypeVar("R")


def run_to_end(gen: Generator[Any, Any, R], on_event: Callable[[Any], None] | None = None) -> R:
    """Exhaust ``gen``, passing each yielded event to ``on_event``; return its return value."""
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)


def collect(gen: Generator[Any, Any, R]) -> tuple[list[Any], R]:
    """Exhaust ``gen``; return the list of yielded events and its return value."""
    events: list[Any] = []
    result = run_to_end(gen, events.append)
    return events, result
