"""The File and Edit menus' project commands: open, export, import, deployments, backups,
species list, preferences and About. Each opens its dialog (window-modal, never blocking the
event loop) and hands the answer to a workflow."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow

import labeler
from labeler.core.applog import log_path
from labeler.core.exchange_jobs import ImportFormat, ImportRequest
from labeler.core.jobs import JobKind
from labeler.core.project import data_dir
from labeler.core.species import delete_unused_species, hide_species, merge_species, rename_species
from labeler.core.store import list_backups
from labeler.ui.deployments_dialog import DeploymentsDialog
from labeler.ui.export_dialog import ExportDialog
from labeler.ui.info_dialogs import AboutDialog, RestoreDialog, tell
from labeler.ui.preferences import Preferences, PreferencesDialog
from labeler.ui.project import ProjectController
from labeler.ui.session import SessionMemory
from labeler.ui.species_dialog import SpeciesDialog
from labeler.ui.workflows import WorkflowController

IMPORT_PATTERNS = {
    ImportFormat.CSV: "CSV (*.csv)",
    ImportFormat.TIMELAPSE: "Timelapse CSV (*.csv)",
    ImportFormat.CAMTRAPDP: "Camtrap DP package (datapackage.json)",
    ImportFormat.MEGADETECTOR: "JSON (*.json)",
}


class ProjectCommands(QObject):
    """Dialogs of the project commands; the last one opened stays reachable as ``dialog``."""

    folder_chosen = Signal(str)
    folder_relinked = Signal(str, str)
    preferences_changed = Signal(object)

    def __init__(self, window: QMainWindow, project: ProjectController,
                 flows: WorkflowController, memory: SessionMemory, nav=None):  # fmt: skip
        super().__init__(window)
        self.window, self.project, self.flows, self.memory = window, project, flows, memory
        self.nav = nav
        self.last_clock_change = None
        self.dialog: QDialog | None = None
        self.species_dialog: SpeciesDialog | None = None
        flows.species_updated.connect(self._refresh_species_dialog)
        project.jobs.failed.connect(self._on_jobs_failed)

    def _on_jobs_failed(self, kind: JobKind, message: str) -> None:
        if kind is JobKind.SPECIES and self.species_dialog is not None:
            self.species_dialog.message.setText(message)

    def _show(self, dialog: QDialog, on_accept) -> QDialog:
        self.dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(self._on_dialog_finished)
        dialog.open()
        return dialog

    def _on_dialog_finished(self, _result: int) -> None:
        # Keys go back to the grid (and the window's shortcuts to the window) once it closes.
        self.window.activateWindow()
        self.window.grid.setFocus()

    def _start_dir(self) -> str:
        last = self.memory.last_folder()
        return last if last and os.path.isdir(last) else str(Path.home())

    # -- File --------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        """Ask for a folder (beside the last one, which is selected; else the home folder)."""
        last = self.memory.last_folder()
        start = str(Path(last).parent) if last and os.path.isdir(last) else str(Path.home())
        dialog = QFileDialog(self.window, "Open a folder of camera-trap images", start)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        if last and os.path.isdir(last):
            dialog.selectFile(last)
        self._show(
            dialog,
            lambda: dialog.selectedFiles() and self.folder_chosen.emit(dialog.selectedFiles()[0]),
        )

    def choose_export(self) -> None:
        """The export dialog: format, options, destination."""
        start = self.memory.get("last_export_dir", str(Path.home()))
        dialog = ExportDialog(start if os.path.isdir(start) else str(Path.home()), self.window)

        def accepted() -> None:
            request = dialog.request()
            self.memory.set("last_export_dir", os.path.dirname(request.out))
            self.flows.export(request)

        self._show(dialog, accepted)

    def choose_import(self, fmt: ImportFormat) -> None:
        """Ask for a labels CSV or a MegaDetector/AddaxAI results file and import it."""
        dialog = QFileDialog(
            self.window, "Import", self.memory.get("last_import_dir", self._start_dir())
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(IMPORT_PATTERNS[fmt])

        def accepted() -> None:
            files = dialog.selectedFiles()
            if files:
                self.memory.set("last_import_dir", os.path.dirname(files[0]))
                self.flows.import_file(ImportRequest(fmt, files[0]))

        self._show(dialog, accepted)

    def choose_detector(self) -> None:
        """Ask for a detector model file (ONNX) and run it over the folder."""
        dialog = QFileDialog(self.window, "Detector model", self._start_dir())
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("ONNX model (*.onnx)")
        self._show(
            dialog,
            lambda: dialog.selectedFiles() and self.flows.start_detect(dialog.selectedFiles()[0]),
        )

    def edit_deployments(self) -> None:
        """Edit each camera's coordinates, time zone and dates."""
        if self.project.reader is None:
            return
        dialog = DeploymentsDialog(self.project.reader.deployments(), self.window)

        def accepted() -> None:
            values, problems = dialog.values()
            if problems:
                tell(self.window, "Some values were not saved", "\n".join(problems))
            self.flows.save_deployments(values)

        self._show(dialog, accepted)

    def choose_backup(self) -> None:
        """List the verified backups; the chosen one replaces the catalog (set aside first)."""
        if self.project.db_path is None:
            return
        dialog = RestoreDialog(
            [str(b) for b in list_backups(Path(self.project.db_path))], self.window
        )
        self._show(dialog, lambda: dialog.chosen() and self.flows.restore(dialog.chosen()))

    def edit_preferences(self) -> None:
        """Observer, burst gap, audit share, target accuracy and keys."""
        prefs = Preferences.load(self.memory.settings)
        if self.project.reader is not None:
            from labeler.core.audits import audit_share

            prefs.audit_share = audit_share(self.project.reader)
        dialog = PreferencesDialog(prefs, self.window)

        def accepted() -> None:
            prefs = dialog.preferences()
            prefs.save(self.memory.settings)
            self.preferences_changed.emit(prefs)

        self._show(dialog, accepted)

    def about(self) -> None:
        """Version, model in use, data folder, catalog, log file."""
        p = self.project
        active = p.reader.active_model() if p.reader is not None else None
        facts = {
            "Version": labeler.__version__,
            "Model in use": f"{active['version']} ({active['kind']})" if active else "none yet",
            "Model runs on": self.flows.device or "not started yet",
            "Data folder": str(data_dir()),
            "Catalog": p.db_path or "no folder open",
            "Log file": str(log_path()),
        }
        self._show(AboutDialog(facts, self.window), lambda: None)

    # -- Edit → Correct camera clock ---------------------------------------------------------
    def correct_clock(self) -> None:
        """Shift the clock of the current image's camera, or of the selection."""
        from labeler.core.timezones import corrected
        from labeler.ui.clock_ui import ClockDialog

        cur = self.nav.current_image() if self.nav is not None else None
        if cur is None or self.project.reader is None:
            return
        info = self.project.image_info(cur)
        folder = info["path"].rpartition("/")[0]
        selected = self.nav.selected_images()
        when = corrected(info["datetime"], info.get("clock_offset_s"))
        dialog = ClockDialog(folder, len(selected), when, self.window)
        self._show(dialog, lambda: self._apply_clock(dialog, folder, selected or [cur]))

    def _apply_clock(self, dialog, folder: str, ids: list[int]) -> None:
        from labeler.core.clock import shift_folder, shift_images

        p = self.project
        seconds, author, whole = dialog.seconds(), p.author, dialog.whole.isChecked()

        def apply(store):
            if whole:
                return shift_folder(store, folder, seconds, author=author)
            return shift_images(store, ids, seconds, what=f"{len(ids)} selected image(s)",
                                author=author)  # fmt: skip

        def done(change) -> None:
            self.last_clock_change = change
            self.flows.jobs.say(f"{change.description}: {change.images} image(s)")
            p.reload_snapshot(then=lambda: self.nav.show_image(self.nav.current_image()))

        p.submit(apply, on_done=done,
                 on_error=lambda exc: self.flows.jobs.say(f"Clock not corrected: {exc}"))  # fmt: skip

    # -- a folder that is not there ----------------------------------------------------------
    def locate_missing_folder(self, folder: str, db: str | None = None) -> None:
        """A catalog's folder is gone (card not inserted, or moved): offer to locate it."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, "Folder not found",
                          f"{folder} is not there. Is the card inserted? If the images moved, locate "
                          "their new folder: the catalog and every label come along.",
                          QMessageBox.StandardButton.Cancel, self.window)  # fmt: skip
        locate = box.addButton("Locate…", QMessageBox.ButtonRole.AcceptRole)
        locate.clicked.connect(lambda: self._choose_new_place(folder, db))
        box.setModal(False)
        self.missing_folder_box = box
        box.show()

    def _choose_new_place(self, old: str, db: str | None) -> None:
        dialog = QFileDialog(
            self.window, f"Where is {os.path.basename(old)} now?", self._start_dir()
        )
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        self._show(
            dialog,
            lambda: dialog.selectedFiles() and self._relink(old, dialog.selectedFiles()[0], db),
        )

    def _relink(self, old: str, new: str, db: str | None) -> None:
        from labeler.core.identity import DifferentFolder, relink

        try:
            done = relink(old, new, db=db)
        except (DifferentFolder, OSError) as exc:
            self.flows.jobs.say(f"Not relinked: {exc}")
            return
        self.flows.jobs.say(f"{new}: {done.labeled} labeled images kept from {old}")
        self.folder_relinked.emit(new, db or "")

    # -- Edit → Species list -----------------------------------------------------------------
    def manage_species(self) -> None:
        """Rename, merge, hide or show species; delete the unused ones."""
        if self.project.reader is None:
            return
        dialog = SpeciesDialog(self.window)
        flows = self.flows
        dialog.rename_requested.connect(lambda k, n: flows.change_species(rename_species, k, n))
        dialog.hide_requested.connect(
            lambda k, hidden: flows.change_species(hide_species, k, hidden)
        )
        dialog.merge_requested.connect(
            lambda k, t: flows.change_species(merge_species, k, t, undoable=True)
        )
        dialog.delete_unused_requested.connect(lambda: flows.change_species(delete_unused_species))
        self.species_dialog = dialog
        self._refresh_species_dialog()
        self._show(dialog, lambda: None)

    def _refresh_species_dialog(self) -> None:
        d, reader = self.species_dialog, self.project.reader
        if d is not None and reader is not None:
            d.set_species(reader.species(), reader.species_usage())
