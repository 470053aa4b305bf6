"""The main window: it builds the parts, connects them and remembers the session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStackedWidget,
)

from inference.taxonomy import BLANK, HUMAN, VEHICLE
from labeler.core.applog import setup_logging
from labeler.core.catalog_view import empty_snapshot
from labeler.core.exchange_jobs import ImportFormat
from labeler.core.runtime import relax_gc
from labeler.ui.commands import Command
from labeler.ui.filter_bar import FilterBar
from labeler.ui.grid import ThumbnailGridView
from labeler.ui.info_dialogs import tell
from labeler.ui.labeling import LabelingController
from labeler.ui.learning_controller import LearningController
from labeler.ui.learning_link import LearningLink
from labeler.ui.learning_panel import LearningPanel
from labeler.ui.menus import WindowActions
from labeler.ui.models import HistoryModel, ImageGridModel, SpeciesModel
from labeler.ui.navigation import Navigator
from labeler.ui.panel import SuggestionPanel
from labeler.ui.panes import EmptyHint, ViewerPane
from labeler.ui.preferences import Preferences
from labeler.ui.project import ProjectController
from labeler.ui.project_commands import ProjectCommands
from labeler.ui.session import SessionMemory
from labeler.ui.status_area import StatusArea
from labeler.ui.thumbnails import ThumbnailLoader
from labeler.ui.view_sync import ViewSync
from labeler.ui.workflows import DEFAULT_MODEL, WorkflowController

_EMPTY = empty_snapshot()


class MainWindow(QMainWindow):
    """One project at a time; everything slow runs as a job of the project."""

    closed = Signal()

    def __init__(self, settings: QSettings | None = None, *, model: str = DEFAULT_MODEL):
        super().__init__()
        # Background threads run Python too; a short switch interval hands the GIL back to the
        # event loop within about a millisecond instead of five.
        sys.setswitchinterval(0.001)
        relax_gc()
        setup_logging()
        self.settings = settings or QSettings()
        self.memory = SessionMemory(self.settings)
        self.prefs = Preferences.load(self.settings)
        self.setWindowTitle("Camera-trap labeler")
        self.setAcceptDrops(True)
        self.project = p = ProjectController(self, author=self.prefs.observer)
        self.flows = WorkflowController(p, model=model)
        self.flows.burst_gap_s = self.prefs.burst_gap_s
        self.learning = LearningController(p)
        self._build_widgets()
        self.status = StatusArea(self, p.jobs)
        self.nav = Navigator(p, self.grid, self.grid_model, self.pane.strip, self.strip_model,
                             self.panel, self.pane.viewer, self.status, self)  # fmt: skip
        self.labeling = LabelingController(p, self.nav, self)
        self.commands = ProjectCommands(self, p, self.flows, self.memory, self.nav)
        self.actions = WindowActions(self, self.grid, self._handlers(), self.prefs.hotkeys)
        self.actions_by_command = self.actions.actions
        self.pane.fill_bar(*(self.actions_by_command[c] for c in (
            Command.FIT, Command.ACTUAL_SIZE, Command.PREVIOUS, Command.NEXT, Command.MAGNIFIER,
            Command.AUTO_CONTRAST)))  # fmt: skip
        self.view = ViewSync(self)
        self.learning_link = LearningLink(self)
        self._connect()
        self._restore_session()

    # -- construction ------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        p = self.project
        self.thumbs = ThumbnailLoader(None, parent=self)
        self.species_model = SpeciesModel(self)
        self.grid_model = ImageGridModel(self.thumbs, p.name_of, self)
        self.strip_model = ImageGridModel(self.thumbs, p.name_of, self)
        self.history_model = HistoryModel(p.name_of, self)
        self.grid = ThumbnailGridView(self)
        self.grid.setModel(self.grid_model)
        self.pane = ViewerPane(self)
        self.pane.strip.setModel(self.strip_model)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.setObjectName("grid_viewer")
        self.split.addWidget(self.grid)
        self.split.addWidget(self.pane)
        self.split.setSizes([700, 600])
        self.hint = EmptyHint(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.split)
        self.setCentralWidget(self.stack)
        self.panel = SuggestionPanel(self.species_model, self)
        self.decision_dock = self._dock("Decision", "decision", self.panel)
        self.learning_panel = LearningPanel(self, name_of=p.name_of)
        scroll = QScrollArea(self)
        scroll.setWidget(self.learning_panel)
        scroll.setWidgetResizable(True)
        self.learning_dock = self._dock("Learning", "learning", scroll)
        self.tabifyDockWidget(self.decision_dock, self.learning_dock)
        self.resizeDocks([self.decision_dock], [380], Qt.Orientation.Horizontal)
        self.decision_dock.raise_()
        self.filter_bar = FilterBar(self)
        self.addToolBar(self.filter_bar)

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _handlers(self) -> dict:
        lab, nav, cmd, flows, viewer = (
            self.labeling,
            self.nav,
            self.commands,
            self.flows,
            self.pane.viewer,
        )
        C = Command
        return {
            **{getattr(C, f"ACCEPT_{k}"): (lambda k=k: lab.accept_suggestion(k)) for k in range(1, 6)},
            C.OPEN: cmd.choose_folder, C.RESCAN: lambda: flows.start_scan(),
            C.PREDICT: lambda: flows.start_predict(), C.EXPORT: cmd.choose_export,
            C.DETECT: cmd.choose_detector,
            C.IMPORT_CSV: lambda: cmd.choose_import(ImportFormat.CSV),
            C.IMPORT_MEGADETECTOR: lambda: cmd.choose_import(ImportFormat.MEGADETECTOR),
            C.IMPORT_TIMELAPSE: lambda: cmd.choose_import(ImportFormat.TIMELAPSE),
            C.IMPORT_CAMTRAPDP: lambda: cmd.choose_import(ImportFormat.CAMTRAPDP),
            C.CLOCK: cmd.correct_clock,
            C.DEPLOYMENTS: cmd.edit_deployments, C.BACKUP: lambda: flows.backup_now("manual"),
            C.RESTORE: cmd.choose_backup, C.PREFERENCES: cmd.edit_preferences, C.QUIT: self.close,
            C.UNDO: self.project.undo, C.REDO: self.project.redo,
            C.ACCEPT_TOP_AND_NEXT: lab.accept_top_and_next, C.BLANK: lambda: lab.mark(BLANK),
            C.HUMAN: lambda: lab.mark(HUMAN), C.VEHICLE: lambda: lab.mark(VEHICLE),
            C.REPEAT_LAST: lab.repeat_last, C.BURST_MAJORITY: lab.burst_majority,
            C.SELECT_BURST: lab.select_burst, C.LABEL_BURSTS: lab.label_bursts,
            C.SEARCH: lambda: self.panel.focus_search(False),
            C.ADD_SPECIES: lambda: self.panel.focus_search(True), C.COUNT: self.panel.focus_count,
            C.NOTE: self.panel.focus_note, C.CLEAR: lab.clear, C.SPECIES: cmd.manage_species,
            C.NEXT: lambda: nav.step(1), C.PREVIOUS: lambda: nav.step(-1),
            C.HISTORY: lambda: self.view.show_history(), C.FIT: viewer.fit,
            C.ACTUAL_SIZE: viewer.actual_size, C.MAGNIFIER: lambda on: self.view.set_magnifier(on),
            C.AUTO_CONTRAST: self.pane.set_auto,
            C.LARGER_THUMBNAILS: lambda: self.view.step_thumbnails(1),
            C.SMALLER_THUMBNAILS: lambda: self.view.step_thumbnails(-1),
            C.BURST_VIEW: lambda on: self.view.set_burst_view(on),
            C.ZOOM_TILES: lambda on: self.view.set_zoom(on),
            C.REFRESH_VIEW: lambda: self.view.apply_filter(),
            C.REVIEW_MODE: lambda on: self.view.set_review_mode(on),
            C.HELP: lambda: self.view.show_keys(), C.ABOUT: cmd.about,
        }  # fmt: skip

    def _connect(self) -> None:
        p, panel, lab = self.project, self.panel, self.labeling
        panel.suggestion_chosen.connect(lambda k: lab.accept_suggestion(k))
        panel.species_chosen.connect(lab.choose_species)
        panel.new_species_requested.connect(lab.add_new_species)
        panel.count_changed.connect(lab.set_count)
        panel.note_changed.connect(lab.set_note)
        panel.blank_requested.connect(lambda: lab.mark(BLANK))
        panel.human_requested.connect(lambda: lab.mark(HUMAN))
        panel.vehicle_requested.connect(lambda: lab.mark(VEHICLE))
        panel.majority_requested.connect(lab.burst_majority)
        panel.history_requested.connect(lambda: self.view.show_history())
        panel.done_typing.connect(lambda: self.grid.setFocus())
        p.saved_changed.connect(self.status.set_saved)
        p.error.connect(lambda m: self.status.message(m, 15000))
        p.open_failed.connect(self._on_project_open_failed)
        p.project_opened.connect(self._on_project_opened)
        p.jobs.relay.connect(self.flows.on_relay)
        self.flows.device_changed.connect(lambda d: self.status.device.setText(f"model on {d}"))
        self.commands.folder_chosen.connect(self.open_folder)
        self.commands.folder_relinked.connect(lambda new, db: self.open_folder(new, db or None))
        self.commands.preferences_changed.connect(self._on_preferences_changed)
        self.hint.open_requested.connect(self.commands.choose_folder)
        self.hint.recent_chosen.connect(self.open_recent)

    # -- opening -----------------------------------------------------------------------------
    def open_folder(self, folder: str, db: str | None = None, *, auto_jobs: bool = True) -> None:
        """Open a folder (its catalog is created on first open); scan and predict follow."""
        if not os.path.isdir(folder):
            self.commands.locate_missing_folder(folder, db)
            return
        self.remember_position()
        self._auto_jobs = auto_jobs
        try:
            self.project.open(folder, db)
        except Exception as exc:
            tell(self, "Cannot open folder", str(exc))
            return
        self.grid_model.set_view(_EMPTY, np.zeros(0, np.int64))
        self.strip_model.set_view(_EMPTY, np.zeros(0, np.int64))
        self.thumbs.cache_dir = self.project.thumb_cache_dir()
        self.grid_model.root = self.strip_model.root = self.project.root or ""
        self.setWindowTitle(f"{Path(folder).name} — Camera-trap labeler")
        self.memory.remember_folder(str(folder), db)
        self._refresh_recent()
        self.grid.reset_first_paint()
        self.stack.setCurrentWidget(self.split)
        self.actions.set_project_open(True)
        for w in (self.filter_bar, self.panel, self.learning_panel):
            w.setEnabled(True)

    def _on_project_opened(self, _root: str) -> None:
        self.view.wanted_image = self.memory.current_image(self.project.db_path)
        then = self.flows.start_scan if getattr(self, "_auto_jobs", True) else None
        self.project.reload_snapshot(then=then)

    def _on_project_open_failed(self, message: str, backups: list) -> None:
        self.actions.set_project_open(False)
        if not backups:
            tell(self, "Cannot open the catalog", message)
            return
        newest = backups[0]
        tell(self, "The catalog could not be opened",
             f"{message}\n\nRestore the newest verified backup?\n{newest}", question=True,
             on_yes=lambda: self.flows.restore(newest))  # fmt: skip

    def open_recent(self, folder: str) -> None:
        """Open a recent folder with the catalog it was opened with."""
        self.open_folder(folder, self.memory.catalog_for(folder))

    def _refresh_recent(self) -> None:
        recent = self.memory.recent()
        self.actions.set_recent(recent, self.open_recent)
        self.hint.set_recent(recent)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if os.path.isdir(url.toLocalFile()):
                self.open_folder(url.toLocalFile())
                return

    # -- preferences and session -------------------------------------------------------------
    def _on_preferences_changed(self, prefs: Preferences) -> None:
        old, self.prefs = self.prefs, prefs
        self.project.set_author(prefs.observer)
        self.actions.apply_hotkeys(prefs.hotkeys)
        self.learning_link.set_target(prefs.target_accuracy)
        self.learning.set_audit_share(prefs.audit_share)
        if prefs.burst_gap_s != old.burst_gap_s:
            self.flows.set_burst_gap(prefs.burst_gap_s)
        self.status.message("Preferences saved")

    def _restore_session(self) -> None:
        m = self.memory
        geometry = m.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1500, 920)
        state = m.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        split = m.settings.value("window/splitter")
        if isinstance(split, QByteArray) and not split.isEmpty():
            self.split.restoreState(split)
        self.filter_bar.restore(m)
        self.view.restore(m)
        self.learning_link.set_target(self.prefs.target_accuracy)
        self._refresh_recent()
        self.actions.set_project_open(False)
        # Nothing to filter or label before a folder is open.
        for w in (self.filter_bar, self.panel, self.learning_panel):
            w.setEnabled(False)

    def remember_position(self) -> None:
        """Remember the current image of the open project."""
        if self.project.db_path is not None:
            self.memory.set_current_image(self.project.db_path, self.nav.current_image())

    def save_session(self) -> None:
        """Remember the layout, the filter and where the user is."""
        m = self.memory
        m.set("window/geometry", self.saveGeometry())
        m.set("window/state", self.saveState())
        m.set("window/splitter", self.split.saveState())
        self.filter_bar.save(m)
        self.view.save(m)
        self.remember_position()
        m.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.save_session()
        self.thumbs.shutdown()
        self.pane.viewer.shutdown()
        self.project.close()
        self.closed.emit()
        super().closeEvent(event)
