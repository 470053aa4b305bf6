"""The catalog's one writer on its own thread (Qt-free): jobs run in order, labels first.

Every write of the app goes through one :class:`CatalogWriter`: label jobs jump ahead of bulk
machine writes (scan batches, prediction batches) so that a confirmation never waits behind
them, and a label job whose commit fails (disk full, media gone, locked) is retried until it
commits; it is never dropped. Callbacks run on the writer thread; the window adapts them to
Qt signals.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from labeler.core.store import TRANSIENT_WRITE_ERRORS, Store, StoreError

RETRY_DELAYS_S = (0.5, 1, 2, 5, 10)
LABEL, OTHER = 0, 1


@dataclass(order=True)
class Job:
    """A queued write; ordered by priority, then submission order."""

    priority: int
    seq: int
    fn: Callable[..., Any] = field(compare=False)
    args: tuple = field(compare=False, default=())
    kwargs: dict = field(compare=False, default_factory=dict)
    kind: str = field(compare=False, default="write")
    retry: bool = field(compare=False, default=False)
    submitted: float = field(compare=False, default=0.0)
    # Set for jobs a background thread waits on (:meth:`CatalogWriter.call`); their outcome
    # goes to the waiting thread rather than to the callbacks.
    future: Future | None = field(compare=False, default=None)


class WriterClosed(StoreError):
    """A write was submitted after the writer stopped (the project was closed)."""


class CatalogWriter:
    """Owns the writer connection; runs ``fn(store, *args)`` jobs one at a time."""

    def __init__(
        self,
        db_path: str,
        *,
        on_opened: Callable[[], None] | None = None,
        on_open_failed: Callable[[BaseException], None] | None = None,
        on_done: Callable[[Job, Any], None] | None = None,
        on_failed: Callable[[Job, BaseException, str], None] | None = None,
        on_retrying: Callable[[Job, str], None] | None = None,
        on_pending: Callable[[int], None] | None = None,
        on_waiting: Callable[[str], None] | None = None,
        start: bool = True,
    ):
        self.db_path = db_path
        self.on_waiting = on_waiting
        self.on_opened, self.on_open_failed = on_opened, on_open_failed
        self.on_done, self.on_failed = on_done, on_failed
        self.on_retrying, self.on_pending = on_retrying, on_pending
        self._queue: queue.PriorityQueue[Job] = queue.PriorityQueue()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._pending_labels = 0
        self._opened = threading.Event()
        self._closing = threading.Event()
        self._stopped = False
        self.open_error: BaseException | None = None
        self.store: Store | None = None
        self._thread = threading.Thread(target=self._run, name="catalog-writer", daemon=True)
        if start:
            self._thread.start()

    def start(self) -> None:
        """Open the catalog on the writer thread (for a writer made with ``start=False`` once its
        callbacks are wired, so that an open that fails at once is never missed)."""
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()

    @property
    def pending_labels(self) -> int:
        """Label jobs submitted but not yet committed."""
        return self._pending_labels

    def wait_open(self, timeout: float | None = None) -> Store:
        """Block until the catalog is open; raises its open error."""
        self._opened.wait(timeout)
        if self.open_error is not None:
            raise self.open_error
        assert self.store is not None
        return self.store

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        kind: str = "write",
        retry: bool = False,
        **kwargs: Any,
    ) -> Job:
        """Queue ``fn(store, *args, **kwargs)``; label jobs run before other writes."""
        return self._put(fn, args, kwargs, kind, retry, None)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(store, *args, **kwargs)`` on the writer and wait for its commit.

        For background jobs: they read on their own connection and write through here. On the
        writer thread itself the function runs at once. Raises what ``fn`` raised, or
        :class:`WriterClosed` once the writer has stopped.
        """
        if threading.current_thread() is self._thread:
            return fn(self.store, *args, **kwargs)
        future: Future = Future()
        self._put(fn, args, kwargs, "worker", False, future)
        return future.result()

    def _put(self, fn, args, kwargs, kind: str, retry: bool, future: Future | None) -> Job:
        job = Job(
            LABEL if kind == "label" else OTHER,
            next(self._seq),
            fn,
            args,
            kwargs,
            kind,
            retry,
            time.perf_counter(),
            future,
        )
        with self._lock:
            if self._stopped:
                raise WriterClosed("the catalog was closed; nothing more can be written to it")
            if kind == "label":
                self._pending_labels += 1
            self._queue.put(job)
        if kind == "label":
            self._pending()
        return job

    def close(self, timeout: float | None = 60.0) -> bool:
        """Finish queued jobs, close the connection and stop. ``timeout=None`` returns at once."""
        if self._thread.ident is None:
            return True  # never started: nothing was opened
        self._queue.put(Job(9, next(self._seq), lambda store: None, kind="stop"))
        if timeout is None:
            return True
        timer = threading.Timer(timeout / 2, self._closing.set)
        timer.daemon = True
        timer.start()
        self._thread.join(timeout)
        timer.cancel()
        return not self._thread.is_alive()

    def _pending(self) -> None:
        if self.on_pending is not None:
            self.on_pending(self._pending_labels)

    def _run(self) -> None:
        try:
            # Another process may hold the catalog for a moment: wait, and say who holds it.
            self.store = Store(self.db_path, on_wait=self.on_waiting)
        except BaseException as exc:
            self.open_error = exc
            self._stop_accepting()
            self._opened.set()
            if self.on_open_failed:
                self.on_open_failed(exc)
            return
        self._opened.set()
        if self.on_opened:
            self.on_opened()
        try:
            while True:
                job = self._queue.get()
                if job.kind == "stop":
                    with self._lock:
                        if self._queue.empty():
                            self._stopped = True
                            break
                    self._queue.put(Job(9, next(self._seq), job.fn, kind="stop"))
                    continue
                self._execute(job)
        finally:
            self.store.close()

    def _stop_accepting(self) -> None:
        """No catalog: refuse further jobs and fail the ones already queued."""
        with self._lock:
            self._stopped = True
            while not self._queue.empty():
                job = self._queue.get_nowait()
                if job.future is not None:
                    job.future.set_exception(
                        WriterClosed(f"the catalog could not be opened: {self.open_error}")
                    )

    def _execute(self, job: Job) -> None:
        if job.future is not None:
            try:
                job.future.set_result(job.fn(self.store, *job.args, **job.kwargs))
            except BaseException as exc:
                job.future.set_exception(exc)
            return
        for attempt in itertools.count():
            try:
                result = job.fn(self.store, *job.args, **job.kwargs)
            except TRANSIENT_WRITE_ERRORS as exc:
                if job.retry and not self._closing.is_set():
                    if self.on_retrying:
                        self.on_retrying(job, str(exc))
                    self._closing.wait(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                    continue
                self._report_failure(job, exc)
                return
            except Exception as exc:
                self._report_failure(job, exc)
                return
            # The job's callback runs before the window hears "all saved".
            if self.on_done:
                self.on_done(job, result)
            self._finish_label(job)
            return

    def _report_failure(self, job: Job, exc: BaseException) -> None:
        if self.on_failed:
            self.on_failed(job, exc, traceback.format_exc())
        self._finish_label(job)

    def _finish_label(self, job: Job) -> None:
        if job.kind == "label":
            with self._lock:
                self._pending_labels -= 1
            self._pending()
