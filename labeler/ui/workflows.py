"""The project's workflows from the window: each starts one core job and patches the view.

Scan, predict, export, import, backup, restore and species-list changes run the same
``labeler/core`` generators as the command line (``run_scan``, ``predict_project``,
``run_export``, ``run_import``, ``Store.backup``, ``restore_catalog``, ``labeler.core.species``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from labeler.core.exchange_jobs import ExportRequest, ImportRequest, run_export, run_import
from labeler.core.ingest import run_scan
from labeler.core.jobs import JobKind
from labeler.core.labeling import LabelSession
from labeler.core.prediction import predict_project
from labeler.ui.project import LabelAction, ProjectController

BACKUP_MINUTES = 10
DEFAULT_MODEL = "lite0"


class WorkflowController(QObject):
    """Scan then predict on open; exports, imports, backups and species changes on demand."""

    device_changed = Signal(str)
    predicted = Signal()
    exported = Signal(dict)
    imported = Signal(dict)
    restored = Signal(str)
    species_updated = Signal()

    def __init__(self, project: ProjectController, parent: QObject | None = None, *,
                 model: str = DEFAULT_MODEL):  # fmt: skip
        super().__init__(parent or project)
        self.project = project
        self.jobs = project.jobs
        self.model = model
        self.burst_gap_s: float | None = None
        self.device = ""
        self.backup_timer = QTimer(self)
        self.backup_timer.setInterval(BACKUP_MINUTES * 60 * 1000)
        self.backup_timer.timeout.connect(lambda: self.backup_now("auto"))
        project.label_committed.connect(
            lambda *_: self.backup_timer.isActive() or self.backup_timer.start()
        )

    # -- scan and predict --------------------------------------------------------------------
    def start_scan(self, then_predict: bool = True) -> None:
        """Scan the folder (incremental), then predict what is new.

        A folder that is not this catalog's card is never scanned into it (its files would all
        be marked missing); a card that moved is scanned and the move is mentioned.
        """
        from labeler.core.identity import DifferentFolder, check_folder

        p = self.project
        try:
            moved = check_folder(p.reader, p.root) if p.reader is not None else None
        except DifferentFolder as exc:
            p.error.emit(str(exc))
            self.jobs.log_error(str(exc))
            return
        if moved:
            self.jobs.warn(JobKind.SCAN, moved)

        def done(report) -> str:
            for note in report.notes:
                self.jobs.warn(JobKind.SCAN, note)
            follow = self.start_predict if then_predict and report.state == "complete" else None
            p.reload_snapshot(then=follow)
            return f"scan {report.state}: {report.images} images, {report.sequences} bursts"

        self.jobs.run(JobKind.SCAN, run_scan, p.root, gap_s=self.burst_gap_s, on_result=done)

    def start_predict(self, model: str | None = None) -> None:
        """Predict every image the model has not seen yet (the grid fills in as it goes)."""
        p = self.project
        if model is not None:
            self.model = model

        def event(value) -> None:
            text = getattr(value, "text", "")
            if text.startswith("model on "):
                self.device = text.removeprefix("model on ")
                self.device_changed.emit(self.device)

        def done(report) -> str:
            active = p.reader.active_model() if p.reader is not None else None
            p.model_id = active["id"] if active else None
            p.reload_snapshot(then=self.predicted.emit)
            state = "cancelled" if report.cancelled else "done"
            return (f"prediction {state}: {report.predicted} images, {report.failed} failed "
                    f"on {report.device}")  # fmt: skip

        self.jobs.run(JobKind.PREDICT, predict_project, p.root, self.model, on_event=event,
                      on_result=done, on_write=self._on_job_write)  # fmt: skip

    def start_detect(self, model: str) -> None:
        """Run a detector file over the folder (GPU lane); its boxes show in the viewer and the
        next prediction crops them."""
        from labeler.core.prediction import detect_with

        p = self.project

        def done(report) -> str:
            p.reload_snapshot()
            return (f"detection {'cancelled' if report.cancelled else 'done'}: {report.detected} "
                    f"images looked at, {report.boxes} boxes on {report.device}")  # fmt: skip

        self.jobs.run(JobKind.DETECT, detect_with, p.root, model, on_result=done)

    def _on_job_write(self, name: str, args: tuple, kwargs: dict, result: object) -> None:
        """Runs on the job's thread after a commit: new suggestions go to the grid."""
        if name == "write_predictions" and args:
            model_id, rows = args[0], args[1]
            tops = {r.image_id: (r.topk[0][0], r.topk[0][1]) for r in rows if r.topk}
            self.jobs.relay.emit(("predictions", model_id, tops))

    def on_relay(self, message: tuple) -> None:
        """Patch the snapshot with suggestions a job just committed (GUI thread)."""
        p = self.project
        kind, model_id, tops = message
        if kind != "predictions" or p.snapshot is None:
            return
        if p.model_id is not None and model_id != p.model_id:
            return
        changed = p.snapshot.update_predictions({i: (t[0], t[1], None) for i, t in tops.items()})
        ids = p.snapshot.ids[np.asarray(changed, np.int64)] if changed else []
        p.predictions_changed.emit([int(i) for i in ids])

    # -- exports, imports, deployments -------------------------------------------------------
    def export(self, request: ExportRequest) -> None:
        """Write an export in the background (Cancel stops it and removes the unfinished file)."""

        def done(report: dict) -> str:
            self.exported.emit(report)
            if report.get("cancelled"):
                return "export cancelled; nothing was left half-written"
            figures = ", ".join(f"{k} {v}" for k, v in report.items()
                                if k not in ("path", "problems", "cancelled", "format"))  # fmt: skip
            return f"Exported to {report.get('path')}: {figures}"

        self.jobs.run(JobKind.EXPORT, run_export, request, on_result=done)

    def import_file(self, request: ImportRequest) -> None:
        """Import labels or detector boxes; a label import is one step of Ctrl+Z."""
        p = self.project

        def done(result) -> str:
            report = result.to_json()
            action = report.get("action_id")
            if action is not None:
                # Ctrl+Z undoes the import like any labeling action.
                p.label(LabelAction.ADOPT, [], action)
            p.reload_snapshot()
            self.imported.emit(report)
            if report.get("format") == "megadetector":
                return (f"Imported boxes: {report.get('matched', 0)} of {report.get('images', 0)} images "
                        f"matched, {report.get('detections', 0)} boxes")  # fmt: skip
            unknown = report.get("unknown_species_rows", 0)
            return (f"Imported {report.get('format')}: {report.get('images_updated', 0)} images labeled; "
                    f"{len(report.get('unmatched', []))} rows match no image; {unknown} rows name "
                    "species the project does not have")  # fmt: skip

        self.jobs.run(JobKind.IMPORT, run_import, request, author=p.author, on_result=done)

    def save_deployments(self, values: dict[str, dict]) -> None:
        """Store edited camera facts through the writer."""

        def save(store) -> int:
            for folder, facts in values.items():
                store.set_deployment(folder, **facts)
            return len(values)

        self.project.submit(save, on_done=lambda n: self.jobs.say(f"Saved {n} deployments"))

    # -- backups -----------------------------------------------------------------------------
    def backup_now(self, reason: str = "manual") -> None:
        """Back up the catalog (automatic backups only when labels changed since the last)."""
        p = self.project
        if reason == "auto" and not p.changed_since_backup:
            return
        p.changed_since_backup = False
        self.jobs.run(JobKind.BACKUP, lambda store: store.backup(reason=reason),
                      on_result=lambda path: f"backed up to {path}")  # fmt: skip

    def restore(self, backup: str) -> None:
        """Let go of the catalog, put the backup in its place (the catalog set aside, never
        deleted) and open it again. While another program holds the catalog nothing moves."""
        from labeler.core.store import restore_catalog

        p = self.project
        root, db = p.root, p.db_path
        p.close()

        def done(result) -> str:
            p.open(root, db)
            self.restored.emit(str(result.restored))
            aside = (
                f"; the previous catalog is kept at {result.set_aside}" if result.set_aside else ""
            )
            return f"restored {result.restored}{aside}"

        def refused(exc: BaseException) -> None:
            p.open(root, db)  # nothing changed: the catalog opens as it was

        self.jobs.run(JobKind.BACKUP, restore_catalog, Path(db), Path(backup), with_store=False,
                      on_result=done, on_error=refused)  # fmt: skip

    # -- species list ------------------------------------------------------------------------
    def change_species(self, fn, *args, undoable: bool = False) -> None:
        """Run a ``labeler.core.species`` change (rename, hide, merge, delete unused); merges
        are one undoable labeling action."""
        p = self.project

        def job(store, *a):
            if undoable:
                return fn(store, LabelSession(store, author=p.author), *a)
            return fn(store, *a)

        def done(result) -> str:
            if undoable and result is not None:
                p.label(LabelAction.ADOPT, [], result.id)
            p.load_species()
            p.reload_snapshot()
            self.species_updated.emit()
            return "species list updated"

        self.jobs.run(JobKind.SPECIES, job, *args, on_result=done)

    def set_burst_gap(self, seconds: float) -> None:
        """A new burst gap regroups the bursts with the next scan (started now)."""
        self.burst_gap_s = seconds
        if self.project.root is not None:
            self.start_scan(then_predict=False)
