"""The main window: grid, viewer with filmstrip, suggestion panel, filters, status bar, menus."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inference.taxonomy import BLANK, HUMAN, VEHICLE
from labeler.core.catalog_view import FilterSpec, empty_snapshot
from labeler.core.runtime import relax_gc
from labeler.ui.controller import ProjectController
from labeler.ui.exchange_ui import ExchangeController
from labeler.ui.grid import FilmstripView, ThumbnailGridView
from labeler.ui.hotkeys import load_hotkeys, sequences
from labeler.ui.learning_controller import LearningController
from labeler.ui.learning_panel import LearningPanel
from labeler.ui.models import HistoryModel, ImageGridModel, SpeciesModel
from labeler.ui.panel import SuggestionPanel
from labeler.ui.thumbnails import ThumbnailLoader
from labeler.ui.viewer import ImageViewer
from labeler.ui.window_labeling import LabelingActionsMixin
from labeler.ui.window_project import ProjectFeaturesMixin

FILTER_CHOICES = [
    ("All images", "all"),
    ("Unlabeled", "unlabeled"),
    ("Labeled", "labeled"),
    ("By species…", "species"),
    ("Predicted blank", "predicted_blank"),
    ("Accepted by the model", "machine"),
    ("Problems", "problems"),
]
ORDER_CHOICES = [
    ("By time", "time"),
    ("Most uncertain first", "uncertain_first"),
    ("Most likely empty first", "blank_score"),
    ("By path", "path"),
]
MAX_RECENT = 8
_EMPTY = empty_snapshot()


class MainWindow(LabelingActionsMixin, ProjectFeaturesMixin, QMainWindow):
    """One project at a time; everything slow runs in the controller's workers."""

    closed = Signal()

    def __init__(
        self, settings: QSettings | None = None, controller: ProjectController | None = None
    ):
        super().__init__()
        # Background threads run Python too; a short switch interval hands the GIL back to the
        # event loop within about a millisecond instead of five.
        sys.setswitchinterval(0.001)
        relax_gc()
        self.settings = settings or QSettings()
        self.setWindowTitle("Camera-trap labeler")
        self.setAcceptDrops(True)
        self.controller = controller or ProjectController(self)
        c = self.controller
        self.thumbs = ThumbnailLoader(None, parent=self)
        self.species_model = SpeciesModel(self)
        self.grid_model = ImageGridModel(self.thumbs, c.name_of, self)
        self.strip_model = ImageGridModel(self.thumbs, c.name_of, self)
        self.history_model = HistoryModel(c.name_of, self)
        self.spec = FilterSpec()
        self.learning = LearningController(c, self)
        self.exchange = ExchangeController(c, self)
        self.exchange.progress.connect(
            lambda kind, n: self._on_controller_job_progress("export", n, 0)
        )
        self.exchange.finished.connect(self._on_exchange_finished)
        self.exchange.failed.connect(
            lambda kind, msg: QMessageBox.warning(self, "Export or import failed", msg)
        )
        self._auto_accept: tuple[dict, dict] | None = None
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        c.snapshot_loaded.connect(self._on_controller_snapshot_loaded)
        c.labels_changed.connect(self._on_controller_labels_changed)
        c.predictions_changed.connect(self._on_controller_labels_changed)
        c.saved_changed.connect(self._on_controller_saved_changed)
        c.job_progress.connect(self._on_controller_job_progress)
        c.job_finished.connect(self._on_controller_job_finished)
        c.species_changed.connect(self._on_controller_species_changed)
        c.device_changed.connect(lambda d: self.device_label.setText(f"model on {d}"))
        c.error.connect(self._on_controller_error)
        c.open_failed.connect(self._on_controller_open_failed)
        c.status_message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.resize(1500, 920)

    # -- construction ------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.grid = ThumbnailGridView(self)
        self.grid.setModel(self.grid_model)
        self.grid.selectionModel().currentChanged.connect(self._on_grid_current_changed)
        self.grid.selectionModel().selectionChanged.connect(
            lambda *_: self._update_selection_label()
        )
        self.viewer = ImageViewer(self)
        self.strip = FilmstripView(self)
        self.strip.setModel(self.strip_model)
        self.strip.clicked.connect(self._on_strip_clicked)
        viewer_bar = QToolBar(self)
        viewer_bar.addAction("Fit", self.viewer.fit)
        viewer_bar.addAction("1:1", self.viewer.actual_size)
        viewer_bar.addAction("Previous", lambda: self.step(-1))
        viewer_bar.addAction("Next", lambda: self.step(1))
        viewer_bar.addWidget(QLabel(" Brightness "))
        self.brightness = QSlider(Qt.Orientation.Horizontal)
        self.brightness.setRange(-100, 100)
        self.brightness.setFixedWidth(120)
        viewer_bar.addWidget(self.brightness)
        viewer_bar.addWidget(QLabel(" Contrast "))
        self.contrast = QSlider(Qt.Orientation.Horizontal)
        self.contrast.setRange(20, 300)
        self.contrast.setValue(100)
        self.contrast.setFixedWidth(120)
        viewer_bar.addWidget(self.contrast)
        for s in (self.brightness, self.contrast):
            s.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            s.valueChanged.connect(self._on_adjustments_changed)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(viewer_bar)
        rl.addWidget(self.viewer, 1)
        rl.addWidget(self.strip)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.grid)
        split.addWidget(right)
        split.setSizes([700, 600])
        self.setCentralWidget(split)
        self.panel = SuggestionPanel(self.species_model, self)
        dock = QDockWidget("Decision", self)
        dock.setObjectName("decision")
        dock.setWidget(self.panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        p = self.panel
        p.suggestion_chosen.connect(lambda k: self.accept_suggestion(k))
        p.species_chosen.connect(self._on_panel_species_chosen)
        p.new_species_requested.connect(self._on_panel_new_species_requested)
        p.count_changed.connect(self._on_panel_count_changed)
        p.blank_requested.connect(lambda: self.set_species(BLANK))
        p.human_requested.connect(lambda: self.set_species(HUMAN))
        p.vehicle_requested.connect(lambda: self.set_species(VEHICLE))
        p.majority_requested.connect(self.burst_majority)
        p.history_requested.connect(self.show_history)
        p.done_typing.connect(lambda: self.grid.setFocus())
        self.learning_panel = LearningPanel(self, name_of=self.controller.name_of)
        ldock = QDockWidget("Learning", self)
        ldock.setObjectName("learning")
        scroll = QScrollArea(self)
        scroll.setWidget(self.learning_panel)
        scroll.setWidgetResizable(True)
        ldock.setWidget(scroll)
        ldock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, ldock)
        self.tabifyDockWidget(dock, ldock)
        self.resizeDocks([dock], [400], Qt.Orientation.Horizontal)
        dock.raise_()
        self.learning_dock = ldock
        self._connect_learning()
        self._build_filter_bar()
        self._build_status_bar()

    def _build_filter_bar(self) -> None:
        bar = QToolBar("Filters", self)
        bar.setObjectName("filters")
        self.addToolBar(bar)
        self.filter_combo = QComboBox(self)
        for text, key in FILTER_CHOICES:
            self.filter_combo.addItem(text, key)
        self.species_combo = QComboBox(self)
        self.species_combo.setEnabled(False)
        self.species_combo.setMinimumWidth(160)
        self.blank_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.blank_slider.setRange(0, 100)
        self.blank_slider.setValue(80)
        self.blank_slider.setFixedWidth(110)
        self.blank_value = QLabel("≥ 80%")
        self.order_combo = QComboBox(self)
        for text, key in ORDER_CHOICES:
            self.order_combo.addItem(text, key)
        self.folder_combo = QComboBox(self)
        self._folder_choices: list[str | None] = [None]
        self.folder_combo.addItem("All folders")
        self.folder_combo.setMinimumWidth(150)
        self.burst_only = QCheckBox("This burst only", self)
        for w in (self.filter_combo, self.species_combo, self.order_combo, self.folder_combo):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for w in (self.blank_slider, self.burst_only):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar.addWidget(QLabel(" Show "))
        bar.addWidget(self.filter_combo)
        bar.addWidget(self.species_combo)
        bar.addWidget(QLabel(" empty score "))
        bar.addWidget(self.blank_slider)
        bar.addWidget(self.blank_value)
        bar.addWidget(QLabel("  Order "))
        bar.addWidget(self.order_combo)
        bar.addWidget(QLabel("  Camera "))
        bar.addWidget(self.folder_combo)
        bar.addWidget(self.burst_only)
        self.filter_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.species_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.order_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.folder_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.burst_only.toggled.connect(self._on_filter_changed)
        self.blank_slider.valueChanged.connect(self._on_blank_slider_changed)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.counts_label = QLabel("")
        self.selection_label = QLabel("")
        self.saved_label = QLabel("All changes saved")
        self.device_label = QLabel("")
        self.progress = QProgressBar(self)
        self.progress.setFixedWidth(220)
        self.progress.setVisible(False)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setVisible(False)
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.controller.cancel_jobs)
        # Counts and the saved state stay visible while messages come and go on the left.
        for w in (
            self.counts_label,
            self.selection_label,
            self.progress_label,
            self.progress,
            self.cancel_button,
            self.device_label,
            self.saved_label,
        ):
            sb.addPermanentWidget(w)

    def _build_actions(self) -> None:
        self.hotkeys = load_hotkeys(self.settings)
        self.actions_by_name: dict[str, QAction] = {}
        handlers = {
            **{
                f"accept_{k}": (lambda _checked=False, k=k: self.accept_suggestion(k))
                for k in range(1, 6)
            },
            "accept_top_and_next": self.accept_top_and_next,
            "blank": lambda: self.set_species(BLANK),
            "human": lambda: self.set_species(HUMAN),
            "vehicle": lambda: self.set_species(VEHICLE),
            "burst_majority": self.burst_majority,
            "select_burst": self.select_burst,
            "label_bursts": self.label_bursts,
            "search": lambda: self.panel.focus_search(False),
            "add_species": lambda: self.panel.focus_search(True),
            "count": lambda: (self.panel.count.setFocus(), self.panel.count.selectAll()),
            "clear": self.clear_labels,
            "next": lambda: self.step(1),
            "previous": lambda: self.step(-1),
            "undo": self.controller.undo,
            "redo": self.controller.redo,
            "history": self.show_history,
            "fit": self.viewer.fit,
            "actual_size": self.viewer.actual_size,
            "refresh_view": self.apply_filter,
            "review_mode": lambda: self.set_review_mode(self.spec.order != "review"),
            "help": self.show_help,
        }
        grid_scoped = {
            *(f"accept_{k}" for k in range(1, 6)), "accept_top_and_next", "blank", "human", "vehicle",
            "burst_majority", "select_burst", "count", "clear", "next", "previous", "fit",
            "actual_size", "add_species", "search", "review_mode",
        }  # fmt: skip
        for name, fn in handlers.items():
            action = QAction(self)
            action.setObjectName(name)
            action.setShortcuts(sequences(self.hotkeys.get(name, [])))
            if name in grid_scoped:
                # Single keys act only while the grid has focus, never while typing.
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.grid.addAction(action)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                self.addAction(action)
            action.triggered.connect(fn)
            self.actions_by_name[name] = action

    def _build_menus(self) -> None:
        m = self.menuBar()
        f = m.addMenu("&File")
        f.addAction("&Open folder…", QKeySequence.StandardKey.Open, self.choose_folder)
        self.recent_menu = f.addMenu("Open &recent")
        self._refresh_recent_menu()
        f.addSeparator()
        self.scan_action = f.addAction("Re&scan folder", lambda: self.controller.start_scan())
        self.predict_action = f.addAction(
            "&Predict new images", lambda: self.controller.start_predict()
        )
        f.addSeparator()
        f.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)
        e = m.addMenu("&Edit")
        e.addAction(self.actions_by_name["undo"])
        self.actions_by_name["undo"].setText("&Undo")
        e.addAction(self.actions_by_name["redo"])
        self.actions_by_name["redo"].setText("&Redo")
        e.addSeparator()
        for name, text in (("blank", "Mark selection &blank"), ("accept_1", "Accept each image's &top suggestion"),
                           ("label_bursts", "Give whole &bursts this label"), ("burst_majority", "Burst &majority"),
                           ("select_burst", "Select the &burst"), ("clear", "&Clear labels")):  # fmt: skip
            self.actions_by_name[name].setText(text)
            e.addAction(self.actions_by_name[name])
        e.addAction("Set selection to &species…", lambda: self.panel.focus_search(False))
        e.addSeparator()
        self.clock_action = e.addAction("Correct camera &clock…", self.correct_clock)
        v = m.addMenu("&View")
        for name, text in (("fit", "&Fit image"), ("actual_size", "&1:1"), ("refresh_view", "Re-apply &filter"),
                           ("history", "Label &history")):  # fmt: skip
            self.actions_by_name[name].setText(text)
            v.addAction(self.actions_by_name[name])
        v.addSeparator()
        self.burst_view_action = v.addAction("Suggestions averaged over each &burst")
        self.burst_view_action.setCheckable(True)
        self.burst_view_action.toggled.connect(self.controller.set_burst_view)
        h = m.addMenu("&Help")
        self.actions_by_name["help"].setText("&Keyboard shortcuts")
        h.addAction(self.actions_by_name["help"])

    # -- opening -----------------------------------------------------------------------------
    def open_folder(self, folder: str, db: str | None = None, *, auto_jobs: bool = True) -> None:
        """Open a folder (its catalog is created on first open)."""
        if not os.path.isdir(folder):
            self.locate_missing_folder(folder, db)
            return
        try:
            self.controller.open(folder, db, auto_jobs=auto_jobs)
        except Exception as exc:
            QMessageBox.critical(self, "Cannot open folder", str(exc))
            return
        self.grid_model.set_view(_EMPTY, np.zeros(0, np.int64))
        self.strip_model.set_view(_EMPTY, np.zeros(0, np.int64))
        self.thumbs.cache_dir = self.controller.thumb_cache_dir()
        self.grid_model.root = self.strip_model.root = self.controller.root or ""
        self.setWindowTitle(f"{Path(folder).name} — Camera-trap labeler")
        self._remember_recent(str(folder))
        self.grid.reset_first_paint()

    def choose_folder(self) -> None:
        """Ask for a folder and open it."""
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of camera-trap images")
        if folder:
            self.open_folder(folder)

    def _remember_recent(self, folder: str) -> None:
        recent = [f for f in (self.settings.value("recent", []) or []) if f != folder]
        self.settings.setValue("recent", [folder, *recent][:MAX_RECENT])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for folder in self.settings.value("recent", []) or []:
            self.recent_menu.addAction(folder, lambda f=folder: self.open_folder(f))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if os.path.isdir(path):
                self.open_folder(path)
                return

    # -- controller events -------------------------------------------------------------------
    def _on_controller_snapshot_loaded(self, snap) -> None:
        current = self.current_image()
        chosen = (
            self._folder_choices[self.folder_combo.currentIndex()]
            if self.folder_combo.count()
            else None
        )
        self._folder_choices = [None, *snap.folder_names]
        self.folder_combo.blockSignals(True)
        self.folder_combo.clear()
        for f in self._folder_choices:
            self.folder_combo.addItem("All folders" if f is None else (f or "."))
        self.folder_combo.setCurrentIndex(
            self._folder_choices.index(chosen) if chosen in self._folder_choices else 0
        )
        self.folder_combo.blockSignals(False)
        self.apply_filter(keep=current)
        self._update_counts()

    def _on_controller_labels_changed(self, ids: list) -> None:
        snap = self.controller.snapshot
        if snap is None:
            return
        rows = [snap.row_of(i) for i in ids]
        self.grid_model.refresh_snapshot_rows([r for r in rows if r is not None])
        self.strip_model.refresh_snapshot_rows([r for r in rows if r is not None])
        current = self.current_image()
        if current is not None and current in set(ids):
            self._show_panel(current)
        self._update_counts()

    def _on_controller_saved_changed(self, saved: bool, text: str) -> None:
        self.saved_label.setText(text)
        self.saved_label.setStyleSheet("" if saved else "color: #c03030; font-weight: bold")

    def _on_controller_job_progress(self, name: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        what = "Scanning" if name == "scan" else "Predicting"
        self.progress_label.setText(f"{what} {done}/{total}" if total else f"{what}…")

    def _on_controller_job_finished(self, name: str, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        if not self.controller.busy():
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)
            self.progress_label.setText("")

    def _on_controller_species_changed(self) -> None:
        species = self.controller.reader.species(active_only=True) if self.controller.reader else []
        self.species_model.set_species([(s.key, s.common_name, s.scientific_name) for s in species])
        current = self.species_combo.currentData()
        self.species_combo.blockSignals(True)
        self.species_combo.clear()
        for s in species:
            self.species_combo.addItem(s.common_name, s.key)
        idx = self.species_combo.findData(current)
        self.species_combo.setCurrentIndex(max(idx, 0))
        self.species_combo.blockSignals(False)

    def confirm(self, title: str, text: str) -> bool:
        """Ask a yes/no question (tests replace this)."""
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def _on_controller_open_failed(self, message: str, backups: list) -> None:
        if not backups:
            QMessageBox.critical(self, "Cannot open the catalog", message)
            return
        newest = backups[0]
        if self.confirm("The catalog could not be opened",
                        f"{message}\n\nRestore the newest verified backup?\n{newest}"):  # fmt: skip
            try:
                self.controller.restore_and_reopen(newest)
            except Exception as exc:
                QMessageBox.critical(self, "Restore failed", str(exc))

    def _on_controller_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    # -- filters -----------------------------------------------------------------------------
    def _on_blank_slider_changed(self, value: int) -> None:
        self.blank_value.setText(f"≥ {value}%")
        if self.filter_combo.currentData() == "predicted_blank":
            self._on_filter_changed()

    def _on_filter_changed(self, *_args) -> None:
        kind = self.filter_combo.currentData()
        self.species_combo.setEnabled(kind == "species")
        self.apply_filter(keep=self.current_image())

    def apply_filter(self, keep: int | None = None) -> None:
        """Rebuild the grid for the chosen filter, keeping the current image when it stays."""
        snap = self.controller.snapshot
        if snap is None:
            return
        current = self.current_image() if keep is None else keep
        self.spec = FilterSpec(
            kind=self.filter_combo.currentData(),
            species=self.species_combo.currentData(),
            blank_min=self.blank_slider.value() / 100,
            folder=self._folder_choices[max(self.folder_combo.currentIndex(), 0)],
            burst=None,
            order=self.order_combo.currentData(),
        )
        if self.burst_only.isChecked() and current is not None:
            r = snap.row_of(current)
            if r is not None and snap.seq[r] >= 0:
                self.spec.burst = int(snap.seq[r])
        self.grid_model.set_view(snap, self.controller.rows_for(self.spec))
        row = self.grid_model.row_of_image(current) if current is not None else None
        self.set_current_row(row if row is not None else 0)
        self._update_counts()

    # -- closing -----------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802
        self.thumbs.shutdown()
        self.viewer.shutdown()
        self.learning.cancel_fine_tune()
        self.controller.close()
        self.closed.emit()
        super().closeEvent(event)
