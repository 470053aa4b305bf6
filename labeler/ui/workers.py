"""Run plain generators off the GUI thread (the superqt pattern in ~100 lines).

A :class:`GeneratorWorker` runs ``fn(*args, should_stop=...)`` in a QThreadPool; each yielded
value arrives on the GUI thread through ``yielded``, the return value through ``returned``,
an exception through ``errored``. Cancelling is cooperative: ``should_stop()`` turns True and
the generator stops between batches.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


def lower_thread_priority(nice: int = 10) -> None:
    """Run the calling thread at a lower CPU priority where the OS allows it (Linux), so that on
    a two-core laptop the event loop is scheduled first and the window never stutters."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError:
            pass


class WorkerSignals(QObject):
    """Signals of one worker (they live on the GUI thread; emitting from the pool queues)."""

    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object, str)
    warned = Signal(str)
    finished = Signal()


class GeneratorWorker(QRunnable):
    """Runs a generator function (or a plain function) in a thread pool."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.signals = WorkerSignals()
        self._stop = threading.Event()
        self.done = threading.Event()

    def should_stop(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._stop.is_set()

    def cancel(self) -> None:
        """Ask the generator to stop at its next check."""
        self._stop.set()

    def run(self) -> None:  # noqa: D401 - Qt entry point
        s = self.signals
        lower_thread_priority()
        try:
            s.started.emit()
            result = self.fn(*self.args, should_stop=self.should_stop, **self.kwargs)
            if isinstance(result, Generator):
                while True:
                    try:
                        value = next(result)
                    except StopIteration as stop:
                        result = stop.value
                        break
                    s.yielded.emit(value)
            s.returned.emit(result)
        except Exception as exc:  # reported to the GUI, never lost
            s.errored.emit(exc, traceback.format_exc())
        finally:
            self.done.set()
            s.finished.emit()


class WorkerRunner(QObject):
    """Starts workers on a pool and keeps them until they finish; cancels them all on close."""

    def __init__(self, max_threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.active: set[GeneratorWorker] = set()

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_yield: Callable[[Any], None] | None = None,
        on_return: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
        on_warn: Callable[[str], None] | None = None,
        on_finish: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> GeneratorWorker:
        """Run ``fn`` with its callbacks connected (``errored`` and ``warned`` always are)."""
        w = GeneratorWorker(fn, *args, **kwargs)
        if on_yield:
            w.signals.yielded.connect(on_yield)
        if on_return:
            w.signals.returned.connect(on_return)
        w.signals.errored.connect(on_error or _report_error)
        w.signals.warned.connect(on_warn or _report_warning)
        if on_finish:
            w.signals.finished.connect(on_finish)
        w.signals.finished.connect(lambda w=w: self.active.discard(w))
        self.active.add(w)
        self.pool.start(w)
        return w

    def cancel_all(self) -> None:
        """Ask every running worker to stop."""
        for w in list(self.active):
            w.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel and wait for every worker; True when all ended in time."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)


def _report_error(exc: BaseException, tb: str) -> None:
    import sys

    print(f"background task failed: {exc}\n{tb}", file=sys.stderr)


def _report_warning(message: str) -> None:
    import sys

    print(f"background task: {message}", file=sys.stderr)
