"""The catalog's one writer, on its own thread: jobs run in order; label jobs retry on failure.

The GUI never waits for a commit: it submits a job and hears back through ``done`` or
``failed``. A label job whose commit fails (disk full, card pulled, locked) stays queued and
is retried, and the window keeps showing it as unsaved until a commit returns.
"""

from __future__ import annotations

import itertools
import queue
import sqlite3
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from labeler.core.store import Store

RETRY_DELAYS_S = (0.5, 1, 2, 5, 10)


@dataclass
class _Job:
    id: int
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    retry: bool
    kind: str


class DbWriter(QObject):
    """Owns the writer connection; runs submitted ``fn(store, *args)`` jobs one at a time."""

    opened = Signal()
    open_failed = Signal(object)
    done = Signal(int, str, object)
    failed = Signal(int, str, object, str)
    retrying = Signal(int, str, str)
    pending_changed = Signal(int)

    def __init__(self, db_path: str, parent: QObject | None = None):
        super().__init__(parent)
        self.db_path = db_path
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._pending_labels = 0
        self._lock = threading.Lock()
        self._opened = threading.Event()
        self._closing = threading.Event()
        self.open_error: BaseException | None = None
        self.store: Store | None = None
        self._thread = threading.Thread(target=self._run, name="catalog-writer", daemon=True)
        self._thread.start()

    def wait_open(self, timeout: float | None = None) -> Store:
        """Block until the catalog is open (for scripts and tests); raises its open error."""
        self._opened.wait(timeout)
        if self.open_error is not None:
            raise self.open_error
        assert self.store is not None
        return self.store

    @property
    def pending_labels(self) -> int:
        """Label jobs submitted but not yet committed."""
        return self._pending_labels

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        kind: str = "write",
        retry: bool = False,
        **kwargs: Any,
    ) -> int:
        """Queue ``fn(store, *args, **kwargs)``; returns the job id reported by done/failed."""
        job = _Job(next(self._ids), fn, args, kwargs, retry, kind)
        if kind == "label":
            with self._lock:
                self._pending_labels += 1
            self.pending_changed.emit(self._pending_labels)
        self._queue.put(job)
        return job.id

    def close(self, timeout: float | None = 60.0) -> bool:
        """Finish queued jobs, close the connection and stop the thread.

        With ``timeout=None`` it returns at once and the thread finishes the queue on its own.
        A label job still failing at this point is reported through ``failed``.
        """
        self._queue.put(None)
        if timeout is None:
            return True
        timer = threading.Timer(timeout / 2, self._closing.set)
        timer.daemon = True
        timer.start()
        self._thread.join(timeout)
        timer.cancel()
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self.store = Store(self.db_path)
        except BaseException as exc:
            self.open_error = exc
            self._opened.set()
            self.open_failed.emit(exc)
            return
        self._opened.set()
        self.opened.emit()
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    break
                self._execute(job)
        finally:
            self.store.close()

    def _execute(self, job: _Job) -> None:
        for attempt in itertools.count():
            try:
                result = job.fn(self.store, *job.args, **job.kwargs)
            except (sqlite3.OperationalError, OSError) as exc:
                if job.retry and not self._closing.is_set():
                    # A confirmed label is never dropped: keep trying while the app runs.
                    self.retrying.emit(job.id, job.kind, str(exc))
                    self._closing.wait(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                    continue
                self.failed.emit(job.id, job.kind, exc, traceback.format_exc())
                self._finish_label(job)
                return
            except Exception as exc:
                self.failed.emit(job.id, job.kind, exc, traceback.format_exc())
                self._finish_label(job)
                return
            # done first: the GUI runs the job's callback before it hears "all saved".
            self.done.emit(job.id, job.kind, result)
            self._finish_label(job)
            return

    def _finish_label(self, job: _Job) -> None:
        if job.kind == "label":
            with self._lock:
                self._pending_labels -= 1
            self.pending_changed.emit(self._pending_labels)
