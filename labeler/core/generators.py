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


def relay(gen: Generator[Any, Any, R], transform: Callable[[Any], Any]) -> Generator[Any, None, R]:
    """Yield ``transform(event)`` for each event of ``gen`` (dropping ``None``); return its value.

    Used as ``result = yield from relay(inner, transform)`` by jobs that pass an inner
    generator's progress on while handling some of its events themselves.
    """
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        out = transform(event)
        if out is not None:
            yield out
