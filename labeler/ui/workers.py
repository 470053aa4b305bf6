"""Run plain generators off the GUI thread (the superqt pattern), with one lane for GPU jobs.

A :class:`GeneratorWorker` runs ``fn(*args, should_stop=...)`` in a QThreadPool; each yielded
value arrives on the GUI thread through ``yielded`` (a yielded :class:`JobWarning` through
``warned``), the return value through ``returned``, an exception through ``errored``.
Cancelling is cooperative: ``should_stop()`` turns True and the generator stops between
batches. Jobs on the GPU lane run one at a time; the others wait for their turn.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from labeler.core.jobs import JobWarning

# How much lower than the GUI thread background jobs run (Linux nice steps).
WORKER_NICE = 10


def lower_thread_priority(nice: int | None = None) -> None:
    """Run the calling thread at a lower CPU priority where the OS allows it (Linux), so that on
    a two-core laptop the event loop is scheduled first and the window never stutters."""
    nice = WORKER_NICE if nice is None else nice
    if nice and hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
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
        self.gpu = False

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
                    if isinstance(value, JobWarning):
                        s.warned.emit(value.message)
                    else:
                        s.yielded.emit(value)
            s.returned.emit(result)
        except Exception as exc:  # reported to the GUI, never lost
            s.errored.emit(exc, traceback.format_exc())
        finally:
            self.done.set()
            s.finished.emit()


class WorkerRunner(QObject):
    """Starts workers on a pool and keeps them until they finish; cancels them all on close.

    Workers started with ``gpu=True`` share one lane: a second one waits until the first ends
    (or is cancelled while it waits, and then never starts).
    """

    def __init__(self, max_threads: int = 3, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.active: set[GeneratorWorker] = set()
        self.gpu_busy: GeneratorWorker | None = None
        self.gpu_waiting: deque[GeneratorWorker] = deque()

    def start(
        self,
        fn: Callable[..., Any],
        *args: Any,
        gpu: bool = False,
        on_yield: Callable[[Any], None] | None = None,
        on_return: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
        on_warn: Callable[[str], None] | None = None,
        on_finish: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> GeneratorWorker:
        """Run ``fn`` with its callbacks connected (``errored`` and ``warned`` always are)."""
        w = GeneratorWorker(fn, *args, **kwargs)
        w.gpu = gpu
        if on_yield:
            w.signals.yielded.connect(on_yield)
        if on_return:
            w.signals.returned.connect(on_return)
        w.signals.errored.connect(on_error or _report_error)
        w.signals.warned.connect(on_warn or _report_warning)
        if on_finish:
            w.signals.finished.connect(on_finish)
        w.signals.finished.connect(lambda w=w: self._on_worker_finished(w))
        self.active.add(w)
        if gpu and self.gpu_busy is not None:
            self.gpu_waiting.append(w)
        else:
            self._launch(w)
        return w

    def _launch(self, w: GeneratorWorker) -> None:
        if w.gpu:
            self.gpu_busy = w
        self.pool.start(w)

    def _on_worker_finished(self, w: GeneratorWorker) -> None:
        self.active.discard(w)
        if w is self.gpu_busy:
            self.gpu_busy = None
            if self.gpu_waiting:
                self._launch(self.gpu_waiting.popleft())

    def waiting_for_gpu(self, w: GeneratorWorker) -> bool:
        """True while ``w`` waits for the GPU lane."""
        return w in self.gpu_waiting

    def cancel(self, w: GeneratorWorker) -> None:
        """Stop one worker: a running one at its next check, a waiting one at once (it never
        runs, and its ``finished`` comes without ``returned``)."""
        w.cancel()
        if w in self.gpu_waiting:
            self.gpu_waiting.remove(w)
            w.done.set()
            w.signals.finished.emit()

    def cancel_all(self) -> None:
        """Ask every running worker to stop; waiting ones never start."""
        for w in list(self.active):
            self.cancel(w)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel and wait for every worker; True when all ended in time."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)


def _report_error(exc: BaseException, tb: str) -> None:
    import logging

    logging.getLogger("labeler").error("background task failed: %s\n%s", exc, tb)


def _report_warning(message: str) -> None:
    import logging

    logging.getLogger("labeler").warning("background task: %s", message)
