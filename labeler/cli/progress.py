"""Progress on the terminal: a tqdm bar with time left on stderr, only when stderr is a terminal.

Quiet with ``-q`` or ``--json`` and when stderr is a pipe or a file (scripts and logs get
no carriage-return noise). Every job event the app yields is understood: scan and predict
progress, exchange steps, and plain counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from labeler.core.applog import get_logger

R = TypeVar("R")
log = get_logger("cli")
# Set by Ctrl-C. The KeyboardInterrupt it raises can land inside a finaliser, where Python
# only prints it; the job loops check this too and stop at the next step.
INTERRUPTED = threading.Event()


def on_interrupt(_signum: int, _frame: object) -> None:
    """SIGINT handler of the command line: remember the interruption, then interrupt."""
    INTERRUPTED.set()
    raise KeyboardInterrupt


def check_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed (even when its exception was lost)."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


def wanted(args: argparse.Namespace) -> bool:
    """True when a progress bar should be drawn for this command."""
    if getattr(args, "quiet", False) or getattr(args, "json", False):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _counts(event: Any) -> tuple[int, int | None] | None:
    """(done, total) of a job event, or None for events that carry no count."""
    if isinstance(event, bool):
        return None
    if isinstance(event, int):
        return event, None
    done = getattr(event, "done", None)
    if not isinstance(done, int):
        return None
    total = getattr(event, "total", None)
    return done, (total if isinstance(total, int) and total > 0 else None)


class Bar:
    """One phase's bar (``with Bar(args, "predict", "images") as bar: bar.update(done, total)``)."""

    def __init__(self, args: argparse.Namespace, desc: str, unit: str = "items"):
        self.desc = desc
        self._bar = None
        if wanted(args):
            from tqdm import tqdm

            try:
                size = os.get_terminal_size(sys.stderr.fileno())
                sized = size.columns > 0 and size.lines > 0
            except OSError:
                sized = False
            # A terminal that reports no size (a serial console, a fresh pseudo-terminal) gets a
            # fixed one: tqdm would otherwise draw nothing at all.
            self._bar = tqdm(desc=desc, unit=f" {unit}", file=sys.stderr, dynamic_ncols=sized,
                             ncols=None if sized else 100, nrows=None if sized else 24,
                             mininterval=0.5, leave=True)  # fmt: skip
        log.info("%s started", desc)
        self._started = time.perf_counter()

    def update(self, done: int, total: int | None = None) -> None:
        """Show ``done`` of ``total`` (time left is estimated from the rate so far)."""
        if self._bar is None:
            return
        if total is not None and total != self._bar.total and total >= done:
            self._bar.total = total
        delta = done - self._bar.n
        if delta >= 0:
            self._bar.update(delta)
        else:
            self._bar.n = done
            self._bar.refresh()

    def event(self, event: Any) -> None:
        """Update from a job event (ignored when it carries no count)."""
        counts = _counts(event)
        if counts is not None:
            log.debug(
                "%s: %s/%s", self.desc, counts[0], counts[1] if counts[1] is not None else "?"
            )
            self.update(*counts)

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        log.info("%s finished in %.1f s", self.desc, time.perf_counter() - self._started)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drive(
    gen: Generator[Any, Any, R],
    args: argparse.Namespace,
    desc: str,
    unit: str = "items",
    on_event: Callable[[Any], None] | None = None,
) -> R:
    """Run a job generator to its end with a progress bar; return its result."""
    with Bar(args, desc, unit) as bar:
        while True:
            try:
                event = next(gen)
            except StopIteration as stop:
                return stop.value
            bar.event(event)
            if on_event is not None:
                on_event(event)
            check_interrupted()


def waiting(args: argparse.Namespace, desc: str, expected_s: float, fn: Callable[[], R]) -> R:
    """Run ``fn`` (a step with no progress of its own, such as a one-time model export) while a
    bar counts the seconds against the expected duration, so the user sees time left."""
    bar = Bar(args, desc, "s")
    if bar._bar is None:
        try:
            return fn()
        finally:
            bar.close()
    stop = threading.Event()
    started = time.perf_counter()

    def tick() -> None:
        while not stop.wait(0.5):
            elapsed = time.perf_counter() - started
            # Past the estimate the bar keeps counting instead of claiming to be done.
            bar.update(int(elapsed), max(int(expected_s), int(elapsed) + 1))

    ticker = threading.Thread(target=tick, name="progress-ticker", daemon=True)
    ticker.start()
    try:
        result = fn()
        total = max(int(expected_s), int(time.perf_counter() - started))
        bar.update(total, total)
        return result
    finally:
        stop.set()
        ticker.join()
        bar.close()
