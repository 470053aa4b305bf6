"""Background jobs of the open project: start a core generator, turn its events into signals.

A job is a ``labeler/core`` function or generator that takes a ``Store`` (here a
:class:`WorkerStore`: its own read-only connection, writes through the project's writer) and a
``should_stop`` callable. Progress, warnings and errors of every job reach the status bar (through
the signals below) and the log file; Cancel stops every job the status bar shows.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, Signal

from labeler.core.applog import get_logger
from labeler.core.job_process import run_in_child, target_name
from labeler.core.jobs import JobKind, Progress
from labeler.core.worker_store import WorkerStore, WriteHook
from labeler.ui.workers import GeneratorWorker, WorkerRunner

MAX_NOTICES = 200


def progress_of(event: object) -> tuple[int, int, str] | None:
    """(done, total, text) of a job's progress event, whatever its type."""
    if isinstance(event, Progress):
        return event.done, event.total, event.text
    done, total = getattr(event, "done", None), getattr(event, "total", None)
    if isinstance(done, int) and isinstance(total, int):
        return done, total, ""
    epoch, epochs = getattr(event, "epoch", None), getattr(event, "epochs", None)
    if isinstance(epoch, int) and isinstance(epochs, int):
        return epoch - 1, epochs, f"epoch {epoch}/{epochs}"
    return None


def _accepts_stop(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "should_stop" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )


class JobController(QObject):
    """Runs the project's jobs; at most one of each kind, GPU jobs one at a time."""

    started = Signal(object)
    progress = Signal(object, int, int, str)
    warned = Signal(object, str)
    failed = Signal(object, str)
    finished = Signal(object, str)
    busy_changed = Signal(bool)
    status = Signal(str)
    # Messages from a job's thread to the GUI thread (a job's write hook emits these).
    relay = Signal(object)

    def __init__(self, project, parent: QObject | None = None):
        super().__init__(parent or project)
        self.project = project
        self.runner = WorkerRunner(max_threads=3, parent=self)
        self.running: dict[JobKind, GeneratorWorker] = {}
        self.notices: list[str] = []
        self.log: logging.Logger = get_logger("window")
        # Jobs of the kinds marked isolated run in a child process (see labeler.core.jobs).
        self.isolate = True

    # -- starting ----------------------------------------------------------------------------
    def run(
        self,
        kind: JobKind,
        fn: Callable[..., Any],
        *args: Any,
        on_event: Callable[[Any], None] | None = None,
        on_result: Callable[[Any], str | None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_write: WriteHook | None = None,
        with_store: bool = True,
        **kwargs: Any,
    ) -> GeneratorWorker | None:
        """Run ``fn(store, *args, should_stop=..., **kwargs)`` in the background.

        ``on_result`` may return a sentence for the status bar. Returns None (and says why in the
        status bar) when a job of this kind is already running or no project is open.
        """
        p = self.project
        if kind in self.running:
            if kind.shown:
                self.finished.emit(kind, f"{kind.verb} is already running")
            return None
        if with_store and (p.writer is None or p.db_path is None):
            return None
        gen, db, writer = p.generation, p.db_path, p.writer.core if p.writer else None
        stop_kw = _accepts_stop(fn)
        isolated = kind.isolated and self.isolate and with_store

        def job(*a: Any, should_stop: Callable[[], bool], **kw: Any) -> Generator:
            if not with_store:
                result = fn(*a, **kw, **({"should_stop": should_stop} if stop_kw else {}))
                return (yield from result) if isinstance(result, Generator) else result
            with WorkerStore(db, writer, on_write=on_write) as store:
                if isolated:
                    return (yield from run_in_child(store, target_name(fn), *a,
                                                    should_stop=should_stop, **kw))  # fmt: skip
                if stop_kw:
                    kw["should_stop"] = should_stop
                result = fn(store, *a, **kw)
                return (yield from result) if isinstance(result, Generator) else result

        def current() -> bool:
            return gen == p.generation

        def event(value: object) -> None:
            if not current():
                return
            if kind.shown and (prog := progress_of(value)) is not None:
                self.progress.emit(kind, *prog)
            if on_event is not None:
                on_event(value)

        def returned(value: object) -> None:
            self._end(kind, worker)
            if not current():
                return
            message = on_result(value) if on_result is not None else None
            if message:
                self.log.info("%s: %s", kind.verb, message)
            if kind.shown or message:
                self.finished.emit(kind, message or "")

        def errored(exc: BaseException, tb: str) -> None:
            self._end(kind, worker)
            if not current():
                return
            self.log_error(f"{kind.verb} failed: {exc}", tb)
            self.failed.emit(kind, f"{kind.verb} failed: {exc}")
            if on_error is not None:
                on_error(exc)

        def warned(message: str) -> None:
            if current():
                self._notice(f"{kind.verb}: {message}", logging.WARNING)
                self.warned.emit(kind, message)

        def ended() -> None:
            # A job cancelled before it ran ends without returning.
            if self.running.get(kind) is worker:
                self._end(kind, worker)
                if current() and kind.shown:
                    self.finished.emit(kind, f"{kind.verb} cancelled")

        worker = self.runner.start(job, *args, gpu=kind.gpu, on_yield=event, on_return=returned,
                                   on_error=errored, on_warn=warned, on_finish=ended, **kwargs)  # fmt: skip
        self.running[kind] = worker
        self.started.emit(kind)
        if kind.shown:
            self.busy_changed.emit(True)
            waiting = self.runner.waiting_for_gpu(worker)
            self.progress.emit(kind, 0, 0, "waiting for the GPU" if waiting else "")
        return worker

    def _end(self, kind: JobKind, worker: GeneratorWorker) -> None:
        if self.running.get(kind) is worker:
            del self.running[kind]
            if kind.shown and not self.busy():
                self.busy_changed.emit(False)

    # -- state and control -------------------------------------------------------------------
    def busy(self) -> bool:
        """True while a job the status bar shows is running."""
        return any(k.shown for k in self.running)

    def is_running(self, kind: JobKind) -> bool:
        """True while a job of ``kind`` runs (or waits for the GPU)."""
        return kind in self.running

    def cancel(self, kind: JobKind | None = None) -> None:
        """Stop one kind of job, or every job the status bar shows (Cancel)."""
        for k, w in list(self.running.items()):
            if (kind is None and k.shown) or k is kind:
                self.runner.cancel(w)

    def cancel_all(self) -> None:
        """Stop every job (the project is being closed)."""
        self.runner.cancel_all()
        self.running.clear()

    def shutdown(self, timeout_ms: int) -> bool:
        """Stop every job and wait for the threads."""
        self.running.clear()
        return self.runner.shutdown(timeout_ms)

    # -- notices -----------------------------------------------------------------------------
    def warn(self, kind: JobKind, message: str) -> None:
        """A job's warning that came with its result (scan notes, export problems)."""
        self._notice(f"{kind.verb}: {message}", logging.WARNING)
        self.warned.emit(kind, message)

    def say(self, message: str) -> None:
        """A passing message for the status bar."""
        self.status.emit(message)

    def _notice(self, text: str, level: int, detail: str = "") -> None:
        self.log.log(level, "%s%s", text, f"\n{detail.rstrip()}" if detail else "")
        self.notices.append(text)
        del self.notices[:-MAX_NOTICES]

    def log_error(self, text: str, tb: str = "") -> None:
        """Record an error in the notices and the log file (with its traceback)."""
        self._notice(text, logging.ERROR, tb)
