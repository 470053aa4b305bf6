"""The open project: its writer, its read-only connection, the grid's snapshot and labeling.

All catalog writes go through :class:`DbWriter`; reads on the GUI thread are point queries on a
read-only connection; whatever reads the whole catalog runs as a job (:mod:`job_controller`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from labeler.core.catalog_view import CatalogSnapshot, FilterSpec, load_snapshot, select_rows
from labeler.core.jobs import JobKind
from labeler.core.labeling import LabelSession
from labeler.core.project import cache_dir, resolve_db_path
from labeler.core.species import ensure_default_species
from labeler.core.store import Store
from labeler.ui.dbwriter import DbWriter
from labeler.ui.job_controller import JobController


class LabelAction(Enum):
    """What a key, button or menu does to labels: a :class:`LabelSession` method, and whether
    it is a person's confirmation (those count toward the next retrain)."""

    SET_SPECIES = ("set_species", True)
    ACCEPT_SUGGESTION = ("accept_suggestion", True)
    BURST_MAJORITY = ("burst_majority", True)
    LABEL_BURSTS = ("label_bursts", True)
    ADD_SPECIES = ("add_species", True)
    SET_COUNT = ("set_count", True)
    CLEAR = ("clear", False)
    UNDO = ("undo", False)
    REDO = ("redo", False)
    ACCEPT_MACHINE = ("accept_machine", False)
    MERGE_SPECIES = ("merge_species", True)
    # An action a job committed (an import, a species merge), put on the undo stack.
    ADOPT = ("adopt", True)

    def __init__(self, method: str, confirms: bool):
        self.method = method
        self.confirms = confirms

    @property
    def needs_images(self) -> bool:
        """Whether the action applies to a list of images (the first argument)."""
        return self not in (LabelAction.UNDO, LabelAction.REDO, LabelAction.ACCEPT_MACHINE,
                            LabelAction.MERGE_SPECIES, LabelAction.ADOPT)  # fmt: skip


class ProjectController(QObject):
    """Opens a folder's catalog, keeps the snapshot current, applies labeling actions."""

    project_opened = Signal(str)
    open_failed = Signal(str, list)
    snapshot_loaded = Signal(object)
    labels_changed = Signal(list)
    predictions_changed = Signal(list)
    saved_changed = Signal(bool, str)
    species_changed = Signal()
    label_committed = Signal(object, int)
    error = Signal(str)

    def __init__(self, parent: QObject | None = None, *, author: str | None = None):
        super().__init__(parent)
        self.author = author or os.environ.get("USER") or "observer"
        self.jobs = JobController(self)
        self.writer: DbWriter | None = None
        self.reader: Store | None = None
        self.session: LabelSession | None = None
        self.root: str | None = None
        self.db_path: str | None = None
        self.snapshot: CatalogSnapshot | None = None
        self.model_id: int | None = None
        self.names: dict[str, str] = {}
        self.generation = 0
        self.changed_since_backup = False
        self._callbacks: dict[int, tuple[Callable | None, Callable | None]] = {}

    # -- opening and closing -----------------------------------------------------------------
    def open(self, folder: str | os.PathLike[str], db: str | None = None) -> None:
        """Open a folder's catalog (created if new). Nothing here waits for the disk: the
        writer opens it on its own thread, then ``project_opened`` (or ``open_failed``)."""
        self._retire()
        self.generation += 1
        self.root = str(Path(folder).resolve())
        self.db_path = str(resolve_db_path(self.root, db))
        writer = DbWriter(self.db_path, self, start=False)
        self.writer = writer
        gen = self.generation
        # Another program may hold the catalog for a while: say so (who holds it) while waiting.
        writer.waiting.connect(lambda m: gen == self.generation and self.jobs.say(m))
        writer.done.connect(self._on_writer_done)
        writer.failed.connect(self._on_writer_failed)
        writer.retrying.connect(self._on_writer_retrying)
        writer.pending_changed.connect(self._on_writer_pending_changed)
        writer.opened.connect(lambda: self._on_writer_opened(gen))
        writer.open_failed.connect(lambda exc: self._on_writer_open_failed(gen, exc))
        writer.start()

    def _on_writer_opened(self, gen: int) -> None:
        if gen != self.generation or self.writer is None:
            return
        self.session = LabelSession(self.writer.store, author=self.author)
        self.reader = Store(self.db_path, readonly=True)
        active = self.reader.active_model()
        self.model_id = active["id"] if active else None
        self.submit(ensure_default_species, on_done=lambda _r: self.load_species())
        self.project_opened.emit(self.root)

    def _on_writer_open_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self.generation:
            return
        self.writer = None
        backups = [str(b) for b in getattr(exc, "backups", [])]
        self.error.emit(f"cannot open the catalog: {exc}")
        self.open_failed.emit(str(exc), backups)

    def _retire(self) -> None:
        """Let go of the current project without waiting: jobs are cancelled, the old writer
        finishes its queue (and a backup) on its own thread."""
        self.jobs.cancel_all()
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
        self._callbacks.clear()

    def close(self, timeout_s: float = 60.0) -> bool:
        """Cancel jobs, let queued writes finish, back up and close (waits: for app exit)."""
        clean = self.jobs.shutdown(int(timeout_s * 1000))
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
        self.jobs.log_error(f"saving ({kind}) failed: {exc}", tb)
        if on_error is not None:
            on_error(exc)
        else:
            self.error.emit(f"saving failed: {exc}")

    def _on_writer_retrying(self, job: int, kind: str, message: str) -> None:
        self.saved_changed.emit(False, f"NOT SAVED ({message}); retrying…")

    def _on_writer_pending_changed(self, pending: int) -> None:
        self.saved_changed.emit(
            pending == 0, "All changes saved" if pending == 0 else f"Saving {pending}…"
        )

    # -- reads -------------------------------------------------------------------------------
    def load_species(self) -> None:
        """Re-read the species names (after the list changed)."""
        if self.reader is None:
            return
        self.names = {s.key: s.common_name for s in self.reader.species()}
        if self.session is not None:
            self.submit(lambda store: self.session._types.clear())
        self.species_changed.emit()

    def name_of(self, key: str | None) -> str:
        """Display name of a species key."""
        if key is None:
            return ""
        return self.names.get(key, key)

    def reload_snapshot(self, then: Callable[[], None] | None = None) -> None:
        """Re-read the grid's snapshot in a job."""

        def loaded(snap: CatalogSnapshot) -> None:
            self.snapshot = snap
            # The snapshot lives long and holds hundreds of thousands of objects: keep the
            # cyclic collector from walking it again and again (a full pass stalls the window).
            gc.freeze()
            self.snapshot_loaded.emit(snap)
            if then is not None:
                then()

        self.jobs.run(JobKind.SNAPSHOT, load_snapshot, self.model_id, on_result=loaded)

    def rows_for(self, spec: FilterSpec):
        """Snapshot rows to show for a filter."""
        assert self.snapshot is not None
        return select_rows(self.snapshot, spec)

    def counts(self) -> dict[str, int]:
        """Labeled, unlabeled, blank and auto-accepted images, and problem files."""
        s = self.snapshot
        if s is None:
            return {"images": 0, "labeled": 0, "unlabeled": 0, "blank": 0, "auto_accepted": 0,
                    "problems": 0}  # fmt: skip
        ok = s.status == "ok"
        labeled = s.n_labels > 0
        return {
            "images": int(ok.sum()),
            "labeled": int((labeled & ok).sum()),
            "unlabeled": int((~labeled & ok).sum()),
            "blank": int(((s.label == "blank") & ok).sum()),
            "auto_accepted": int(((s.method == "machine") & ok).sum()),
            "problems": int((~ok).sum()),
        }

    def image_info(self, image_id: int) -> dict:
        """What the panel shows about one image (point queries on the reader)."""
        assert self.reader is not None
        info = self.reader.image_facts(image_id, self.model_id)
        info["suggestions"] = (
            self.reader.topk(self.model_id, image_id) if self.model_id is not None else []
        )
        info["labels"] = self.reader.labels([image_id])[image_id]
        info["note"] = self.reader.notes([image_id]).get(image_id, "")
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

    # -- labeling ----------------------------------------------------------------------------
    def set_author(self, name: str) -> None:
        """The observer's name, recorded on every decision from now on."""
        self.author = name or self.author
        if self.session is not None:
            # At once, not as a queued write: label jobs jump ahead of other writes, and every
            # decision from now on must carry the new name.
            self.session.author = self.author

    def label(
        self,
        action: LabelAction,
        ids: list[int],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
    ) -> int | None:
        """Run a :class:`LabelSession` action on the writer; the grid updates when it committed."""
        if self.session is None or (not ids and action.needs_images):
            return None
        method = getattr(self.session, action.method)

        def run(store: Store):
            return method(ids, *args) if action.needs_images else method(*args)

        def committed(record) -> None:
            if record is not None:
                self.changed_since_backup = True
                self.apply_labels(list(record.image_ids))
                self.label_committed.emit(action, len(record.image_ids))
            if on_done is not None:
                on_done(record)

        return self.submit(run, kind="label", on_done=committed)

    def apply_labels(self, ids: list[int]) -> None:
        """Patch the snapshot with the current labels of ``ids`` and tell the views."""
        if self.reader is None or self.snapshot is None:
            return
        self.snapshot.update_labels(self.reader.labels(ids))
        self.labels_changed.emit(ids)

    def undo(self) -> None:
        """Undo the last action (bulk ones included)."""
        self.label(LabelAction.UNDO, [])

    def redo(self) -> None:
        """Redo the last undone action."""
        self.label(LabelAction.REDO, [])

    def set_note(self, image_id: int, text: str, on_done: Callable[[], None] | None = None) -> None:
        """Save an image's note (with the observer's name); ``on_done`` once it committed."""
        author = self.author

        def saved(_r) -> None:
            self.labels_changed.emit([image_id])
            if on_done is not None:
                on_done()

        self.submit(lambda store: store.set_note(image_id, text, author), on_done=saved)
