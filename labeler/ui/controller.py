"""The window's controller: one project, its writer, its reader, and its background jobs.

All catalog writes go through :class:`DbWriter`; reads on the GUI thread are point queries on a
read-only connection; anything that reads the whole catalog runs in a worker.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from inference.builtin import pretrained_card
from inference.weights import DEFAULT_PRETRAINED, PRETRAINED
from labeler.core.catalog_view import CatalogSnapshot, FilterSpec, select_rows
from labeler.core.identity import DifferentFolder, check_folder
from labeler.core.ingest import commit_batch, finalize_scan
from labeler.core.labeling import LabelSession
from labeler.core.learning import write_head_predictions
from labeler.core.predict_job import register
from labeler.core.project import cache_dir, resolve_db_path
from labeler.core.scan import ScanBatch, ScanProgress
from labeler.core.species import ensure_default_species, new_species_key, project_labels
from labeler.core.store import Store
from labeler.ui import jobs
from labeler.ui.dbwriter import DbWriter
from labeler.ui.workers import WorkerRunner

BACKUP_MINUTES = 10


class ProjectController(QObject):
    """Opens a folder, runs scan and prediction in the background, applies labeling actions."""

    snapshot_loaded = Signal(object)
    labels_changed = Signal(list)
    predictions_changed = Signal(list)
    saved_changed = Signal(bool, str)
    job_progress = Signal(str, int, int)
    job_finished = Signal(str, str)
    status_message = Signal(str)
    species_changed = Signal()
    device_changed = Signal(str)
    error = Signal(str)
    project_opened = Signal(str)
    open_failed = Signal(str, list)
    label_committed = Signal(str, int)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        model: str = DEFAULT_PRETRAINED,
        author: str | None = None,
    ):
        super().__init__(parent)
        self.model_name = model
        self.author = author or os.environ.get("USER") or "user"
        self.runner = WorkerRunner(max_threads=2, parent=self)
        self.writer: DbWriter | None = None
        self.reader: Store | None = None
        self.session: LabelSession | None = None
        self.root: str | None = None
        self.db_path: str | None = None
        self.snapshot: CatalogSnapshot | None = None
        self.model_id: int | None = None
        self.names: dict[str, str] = {}
        self._callbacks: dict[
            int, tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None]
        ] = {}
        self._jobs: dict[str, Any] = {}
        self._scan_started = 0.0
        self._scan_id: int | None = None
        self._predicting_model: int | None = None
        self.view_tops: dict[int, list[tuple[str, float]]] | None = None
        self.generation = 0
        self.after_predict: Callable[[], None] | None = None
        self._changed_since_backup = False
        self.backup_timer = QTimer(self)
        self.backup_timer.setInterval(BACKUP_MINUTES * 60 * 1000)
        self.backup_timer.timeout.connect(self.backup_now)

    # -- opening and closing -----------------------------------------------------------------
    def open(
        self, folder: str | os.PathLike[str], db: str | None = None, *, auto_jobs: bool = True
    ) -> None:
        """Open a folder's catalog (created if new); the grid loads, then scan and prediction run.

        Nothing here waits for the disk: the writer opens the catalog on its own thread and
        ``project_opened`` (or ``error``) follows.
        """
        self._retire()
        self.generation += 1
        self.root = str(Path(folder).resolve())
        self.db_path = str(resolve_db_path(self.root, db))
        gen = self.generation
        # Started only once every signal is connected: an open that fails at once must be heard.
        writer = DbWriter(self.db_path, self, start=False)
        writer.waiting.connect(lambda m: gen == self.generation and self.status_message.emit(m))
        self.writer = writer
        writer.done.connect(self._on_writer_done)
        writer.failed.connect(self._on_writer_failed)
        writer.retrying.connect(self._on_writer_retrying)
        writer.pending_changed.connect(self._on_writer_pending_changed)
        writer.opened.connect(lambda: self._on_writer_opened(gen, auto_jobs))
        writer.open_failed.connect(lambda exc: self._on_writer_open_failed(gen, exc))
        writer.start()

    def _on_writer_opened(self, gen: int, auto_jobs: bool) -> None:
        if gen != self.generation or self.writer is None:
            return
        self.session = LabelSession(self.writer.store, author=self.author)
        self.reader = Store(self.db_path, readonly=True)
        self.submit(ensure_default_species, on_done=lambda _r: self._load_species())
        active = self.reader.active_model()
        self.model_id = active["id"] if active else None
        self.project_opened.emit(self.root)
        self.reload_snapshot(then=self.start_scan if auto_jobs else None)

    def _on_writer_open_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self.generation:
            return
        self.writer = None
        backups = [str(b) for b in getattr(exc, "backups", [])]
        self.error.emit(f"cannot open the catalog: {exc}")
        self.open_failed.emit(str(exc), backups)

    def restore_and_reopen(self, backup: str) -> None:
        """Restore a verified backup in place of the catalog and open it.

        Raises StoreError (nothing changed) when the backup is unsound or another process
        has the catalog open.
        """
        from labeler.core.store import restore_catalog

        restore_catalog(Path(self.db_path), Path(backup))
        self.open(self.root, self.db_path)

    def backup_now(self, reason: str = "auto") -> None:
        """Back up the catalog if labels changed since the last backup (from the writer)."""
        if self.writer is None or not self._changed_since_backup:
            return
        self._changed_since_backup = False
        self.submit(lambda store: store.backup(reason=reason),
                    on_done=lambda path: self.status_message.emit(f"backed up to {path}"))  # fmt: skip

    def _retire(self) -> None:
        """Let go of the current project without waiting: jobs are cancelled, the old writer
        finishes its queue (and a backup) on its own thread."""
        self.runner.cancel_all()
        self._jobs.clear()
        old = self.writer
        if old is not None:
            for signal in (old.done, old.failed, old.retrying, old.pending_changed):
                signal.disconnect()
            if old.store is not None:
                old.submit(lambda store: store.backup(reason="exit"), kind="backup")
            old.close(timeout=None)
        if self.reader is not None:
            self.reader.close()
        self.writer = self.reader = self.session = None
        self.snapshot = None
        self.view_tops = None
        self._callbacks.clear()

    def close(self, timeout_s: float = 60.0) -> bool:
        """Cancel jobs, let queued writes finish, back up and close (waits: for app exit)."""
        clean = self.runner.shutdown(int(timeout_s * 1000))
        writer = self.writer
        if writer is None:
            return clean
        try:
            writer.wait_open(timeout_s)
            writer.submit(lambda store: store.backup(reason="exit"), kind="backup")
        except Exception:
            pass
        # Readers first: the writer, closing last, checkpoints the WAL into the file.
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        clean &= writer.close(timeout_s)
        self.writer = self.reader = self.session = None
        self.snapshot = None
        return clean

    # -- writer plumbing ---------------------------------------------------------------------
    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        kind: str = "write",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> int:
        """Queue a catalog write; ``on_done`` runs on the GUI thread after the commit returned."""
        assert self.writer is not None
        job = self.writer.submit(fn, *args, kind=kind, retry=kind == "label", **kwargs)
        self._callbacks[job] = (on_done, on_error)
        return job

    def _on_writer_done(self, job: int, kind: str, result: object) -> None:
        on_done, _ = self._callbacks.pop(job, (None, None))
        if on_done is not None:
            on_done(result)

    def _on_writer_failed(self, job: int, kind: str, exc: BaseException, tb: str) -> None:
        _, on_error = self._callbacks.pop(job, (None, None))
        if on_error is not None:
            on_error(exc)
        else:
            self.error.emit(f"{kind} failed: {exc}")

    def _on_writer_retrying(self, job: int, kind: str, message: str) -> None:
        self.saved_changed.emit(False, f"NOT SAVED ({message}); retrying…")

    def _on_writer_pending_changed(self, pending: int) -> None:
        self.saved_changed.emit(
            pending == 0, "All changes saved" if pending == 0 else f"Saving {pending}…"
        )

    # -- reads -------------------------------------------------------------------------------
    def _load_species(self) -> None:
        if self.reader is None:
            return
        self.names = {s.key: s.common_name for s in self.reader.species()}
        self.species_changed.emit()

    def name_of(self, key: str | None) -> str:
        """Display name of a species key."""
        if key is None:
            return ""
        return self.names.get(key, key)

    def _current(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Wrap a worker callback so that it is dropped once another project is open."""
        gen = self.generation

        def guarded(*args: Any) -> None:
            if gen == self.generation and self.writer is not None:
                fn(*args)

        return guarded

    def reload_snapshot(self, then: Callable[[], None] | None = None) -> None:
        """Re-read the grid's snapshot in a worker."""
        assert self.db_path is not None

        def loaded(snap: CatalogSnapshot) -> None:
            self.snapshot = snap
            # The snapshot lives long and holds hundreds of thousands of objects: keep the
            # cyclic collector from walking it again and again (a full pass stalls the window).
            gc.freeze()
            self.snapshot_loaded.emit(snap)
            if then is not None:
                then()

        self.runner.start(jobs.snapshot_job, self.db_path, self.model_id, on_return=self._current(loaded),
                          on_error=self._job_error("loading the catalog"))  # fmt: skip

    def rows_for(self, spec: FilterSpec):
        """Snapshot rows to show for a filter."""
        assert self.snapshot is not None
        return select_rows(self.snapshot, spec)

    def counts(self) -> dict[str, int]:
        """Labeled, unlabeled, blank and auto-accepted images (from the snapshot)."""
        s = self.snapshot
        if s is None:
            return {"images": 0, "labeled": 0, "unlabeled": 0, "blank": 0, "auto_accepted": 0}
        ok = s.status == "ok"
        labeled = s.n_labels > 0
        return {
            "images": int(ok.sum()),
            "labeled": int((labeled & ok).sum()),
            "unlabeled": int((~labeled & ok).sum()),
            "blank": int(((s.label == "blank") & ok).sum()),
            "auto_accepted": int(((s.method == "machine") & ok).sum()),
        }

    # -- background jobs ---------------------------------------------------------------------
    def _job_error(self, what: str) -> Callable[[BaseException, str], None]:
        gen = self.generation

        def report(exc: BaseException, tb: str) -> None:
            if gen != self.generation:
                return
            self._jobs.pop(what, None)
            self.error.emit(f"{what} failed: {exc}")
            self.job_finished.emit(what, f"{what} failed: {exc}")

        return report

    def busy(self) -> bool:
        """True while a scan or prediction runs."""
        return bool(self._jobs)

    def cancel_jobs(self) -> None:
        """Stop scan and prediction between batches."""
        for worker in list(self._jobs.values()):
            worker.cancel()

    def start_scan(self) -> None:
        """Scan the folder (incremental), then predict."""
        if "scan" in self._jobs or self.root is None:
            return
        try:
            moved = check_folder(self.reader, self.root) if self.reader is not None else None
        except DifferentFolder as exc:
            # Scanning another card into this catalog would mark all of its files missing.
            self.error.emit(str(exc))
            return
        if moved:
            self.error.emit(moved)
        self._scan_started = time.perf_counter()
        self.submit(lambda store: store.begin_scan(), on_done=self._scan_begun)

    def _scan_begun(self, scan_id: int) -> None:
        self._scan_id = scan_id
        self.job_progress.emit("scan", 0, 0)
        self._jobs["scan"] = self.runner.start(
            jobs.scan_job, self.db_path, self.root,
            on_yield=self._current(self._on_scan_event), on_return=self._current(self._on_scan_walked),
            on_error=self._job_error("scan"),
        )  # fmt: skip

    def _on_scan_event(self, event: object) -> None:
        if isinstance(event, ScanBatch):
            self.submit(commit_batch, event)
        elif isinstance(event, ScanProgress):
            self.job_progress.emit("scan", event.done, max(event.total, event.done))

    def _on_scan_walked(self, walk) -> None:
        def finished(report) -> None:
            self._jobs.pop("scan", None)
            self.job_finished.emit(
                "scan", f"scan {report.state}: {report.images} images, {report.sequences} bursts"
            )
            self.reload_snapshot(then=self.start_predict if report.state == "complete" else None)

        self.submit(finalize_scan, self.root, walk, scan_id=self._scan_id, started=self._scan_started,
                    on_done=finished)  # fmt: skip

    def start_predict(self, model: str | None = None) -> None:
        """Predict every image the model has not seen yet."""
        if "predict" in self._jobs or self.root is None:
            return
        if model is not None:
            self.model_name = model
        model = self.model_name
        card = pretrained_card(PRETRAINED[model]) if model in PRETRAINED else None
        if card is None:
            from inference.card import load_card

            card = load_card(model)

        def prepare(store: Store) -> tuple[int, list[str], int | None]:
            ensure_default_species(store)
            model_id = register(store, card, None if model in PRETRAINED else str(model))
            active = store.active_model()
            head_id = None
            if (
                active is not None
                and active["kind"] == "head"
                and active["card"].get("parent_version") == card.version
            ):
                head_id = active["id"]  # keep showing the head; it is applied to new images after
            elif active is None or active["id"] != model_id:
                store.set_active_model(model_id)
            return model_id, project_labels(store), head_id

        def prepared(result) -> None:
            model_id, labels, head_id = result
            self._predicting_model = model_id
            if head_id is not None and self.after_predict is None:
                self.after_predict = self.apply_head
            shown = head_id if head_id is not None else model_id
            changed = shown != self.model_id
            self.model_id = shown
            self.job_progress.emit("predict", 0, 0)
            self._jobs["predict"] = self.runner.start(
                jobs.predict_job, self.db_path, self.root, model, model_id, labels,
                on_yield=self._current(self._on_predict_event), on_return=self._current(self._on_predict_done),
                on_error=self._job_error("prediction"),
            )  # fmt: skip
            if changed:
                self.reload_snapshot()

        self.submit(prepare, on_done=prepared)

    def _on_predict_event(self, event: tuple[str, object]) -> None:
        kind, payload = event
        if kind == "device":
            self.device_changed.emit(str(payload))
        elif kind == "status":
            self.status_message.emit(str(payload))
        elif kind == "progress":
            self.job_progress.emit("predict", payload.done, payload.total)
        elif kind == "rows":
            model_id = self._predicting_model

            def write(store: Store, rows=payload) -> list:
                store.write_predictions(model_id, rows)
                return rows

            self.submit(write, on_done=self._on_predictions_written)

    def _on_predictions_written(self, rows) -> None:
        if self.snapshot is None or self._predicting_model != self.model_id:
            return
        tops = {
            r.image_id: (
                r.topk[0][0] if r.topk else None,
                r.topk[0][1] if r.topk else float("nan"),
                None,
            )
            for r in rows
        }
        changed = self.snapshot.update_predictions(tops)
        self.predictions_changed.emit(
            [r.image_id for r in rows if self.snapshot.row_of(r.image_id) in changed]
        )

    def _on_predict_done(self, summary: dict) -> None:
        def scored(scores: dict[int, float]) -> None:
            model_id = self._predicting_model

            def write(store: Store) -> dict:
                store.set_empty_scores(model_id, scores)
                return scores

            def written(s: dict) -> None:
                self._jobs.pop("predict", None)
                if self.snapshot is not None and model_id == self.model_id:
                    for image_id, value in s.items():
                        r = self.snapshot.row_of(image_id)
                        if r is not None:
                            self.snapshot.empty_score[r] = value
                    self.predictions_changed.emit(list(s))
                state = "cancelled" if summary["cancelled"] else "done"
                self.job_finished.emit(
                    "predict", f"prediction {state}: {summary['predicted']} images, {summary['failed']} failed "
                    f"on {summary['device']}"
                )  # fmt: skip
                follow, self.after_predict = self.after_predict, None
                if follow is not None and not summary["cancelled"]:
                    follow()

            self.submit(write, on_done=written)

        self.runner.start(jobs.empty_score_job, self.db_path, self._predicting_model, on_return=self._current(scored),
                          on_error=self._job_error("prediction"))  # fmt: skip

    def set_burst_view(self, on: bool) -> None:
        """Show suggestions averaged over each burst (on) or per frame (off)."""
        if self.db_path is None or self.model_id is None:
            return
        if not on:
            self.view_tops = None
            self.reload_snapshot()
            return

        def ready(view: dict) -> None:
            self.view_tops = view
            if self.snapshot is not None:
                tops = {i: (t[0][0], t[0][1], None) for i, t in view.items() if t}
                for image_id, (label, score, _e) in tops.items():
                    r = self.snapshot.row_of(image_id)
                    if r is not None:
                        self.snapshot.top_label[r], self.snapshot.top_score[r] = label, score
                self.predictions_changed.emit(list(view))

        self.runner.start(
            jobs.burst_view_job, self.db_path, self.model_id, on_return=self._current(ready)
        )

    def apply_head(self) -> None:
        """Apply the active head to every image (after new images were predicted)."""

        def written(_r) -> None:
            self.reload_snapshot()

        def computed(rows) -> None:
            if rows:
                model_id = self.model_id
                self.submit(
                    lambda store: write_head_predictions(store, model_id, rows), on_done=written
                )

        self.runner.start(jobs.apply_head_job, self.db_path, on_return=self._current(computed))

    # -- labeling ----------------------------------------------------------------------------
    def label(
        self, action: str, ids: list[int], *args: Any, on_done: Callable[[Any], None] | None = None
    ) -> int | None:
        """Run a :class:`LabelSession` action on the writer; the grid updates when it committed."""
        if self.session is None or not ids and action not in ("undo", "redo", "accept_machine"):
            return None
        method = getattr(self.session, action)

        def run(store: Store):
            return (
                method(*args)
                if action in ("undo", "redo", "accept_machine")
                else method(ids, *args)
            )

        def committed(record) -> None:
            if record is not None:
                self._changed_since_backup = True
                if not self.backup_timer.isActive():
                    self.backup_timer.start()
                self._apply_labels(list(record.image_ids))
                self.label_committed.emit(action, len(record.image_ids))
            if on_done is not None:
                on_done(record)

        return self.submit(run, kind="label", on_done=committed)

    def _apply_labels(self, ids: list[int]) -> None:
        if self.reader is None or self.snapshot is None:
            return
        self.snapshot.update_labels(self.reader.labels(ids))
        self.labels_changed.emit(ids)

    def add_species(self, name: str, on_done: Callable[[str], None] | None = None) -> None:
        """Add a user species (name stored verbatim) and reload the species list."""
        key = new_species_key(name, set(self.names))

        def add(store: Store) -> str:
            store.add_species(key, name)
            return key

        def added(k: str) -> None:
            self._load_species()
            if self.session is not None:
                self.session._types.clear()
            if on_done is not None:
                on_done(k)

        self.submit(add, on_done=added)

    def undo(self) -> None:
        """Undo the last action (bulk ones included)."""
        self.label("undo", [])

    def redo(self) -> None:
        """Redo the last undone action."""
        self.label("redo", [])

    def image_info(self, image_id: int) -> dict:
        """What the panel shows about one image (point queries on the reader)."""
        assert self.reader is not None
        info = self.reader.image_facts(image_id, self.model_id)
        info["suggestions"] = (
            self.reader.topk(self.model_id, image_id) if self.model_id is not None else []
        )
        info["labels"] = self.reader.labels([image_id])[image_id]
        return info

    def history(self, image_id: int) -> list[dict]:
        """An image's label history."""
        assert self.reader is not None
        return self.reader.image_history(image_id)

    def thumb_cache_dir(self) -> Path | None:
        """Disk cache for this project's thumbnails."""
        if self.db_path is None:
            return None
        return cache_dir() / "thumbnails" / Path(self.db_path).stem
