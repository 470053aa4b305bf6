"""The catalog writer as Qt signals: the window submits jobs and hears back on its own thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from labeler.core.store import Store
from labeler.core.writer import CatalogWriter


class DbWriter(QObject):
    """Qt face of :class:`CatalogWriter` (signals are queued to the GUI thread)."""

    opened = Signal()
    open_failed = Signal(object)
    done = Signal(int, str, object)
    failed = Signal(int, str, object, str)
    retrying = Signal(int, str, str)
    pending_changed = Signal(int)
    waiting = Signal(str)

    # Opening may end before the caller has connected to ``opened``: these hops are queued, so
    # the public signals go out from the event loop, after whoever created this writer has
    # connected (and a ``start=False`` writer starts only when told).
    _opened_on_thread = Signal()
    _open_failed_on_thread = Signal(object)

    def __init__(self, db_path: str, parent: QObject | None = None, *, start: bool = True):
        super().__init__(parent)
        self.db_path = db_path
        queued = Qt.ConnectionType.QueuedConnection
        self._opened_on_thread.connect(self.opened.emit, queued)
        self._open_failed_on_thread.connect(self.open_failed.emit, queued)
        self.core = CatalogWriter(
            db_path,
            on_opened=self._opened_on_thread.emit,
            on_open_failed=self._open_failed_on_thread.emit,
            on_done=lambda job, result: self.done.emit(job.seq, job.kind, result),
            on_failed=lambda job, exc, tb: self.failed.emit(job.seq, job.kind, exc, tb),
            on_retrying=lambda job, msg: self.retrying.emit(job.seq, job.kind, msg),
            on_pending=self.pending_changed.emit,
            on_waiting=self.waiting.emit,
            start=start,
        )

    def start(self) -> None:
        """Start opening the catalog (after connecting to the signals of a ``start=False`` writer)."""
        self.core.start()

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a write from a background thread and wait for its commit."""
        return self.core.call(fn, *args, **kwargs)

    @property
    def store(self) -> Store | None:
        """The writer's catalog connection (used on the writer thread only)."""
        return self.core.store

    @property
    def pending_labels(self) -> int:
        """Label jobs not yet committed."""
        return self.core.pending_labels

    def wait_open(self, timeout: float | None = None) -> Store:
        """Block until the catalog is open (scripts and tests)."""
        return self.core.wait_open(timeout)

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        kind: str = "write",
        retry: bool = False,
        **kwargs: Any,
    ) -> int:
        """Queue a write; returns the job id reported by ``done``/``failed``."""
        return self.core.submit(fn, *args, kind=kind, retry=retry, **kwargs).seq

    def close(self, timeout: float | None = 60.0) -> bool:
        """Finish queued jobs and stop (``None``: do not wait)."""
        return self.core.close(timeout)
