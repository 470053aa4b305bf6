"""The main window: grid, viewer with filmstrip, suggestion panel, filters, status bar, menus."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inference.taxonomy import BLANK, HUMAN, VEHICLE
from labeler.core.catalog_view import FilterSpec, empty_snapshot
from labeler.ui.controller import ProjectController
from labeler.ui.exchange_ui import EXPORTS, DeploymentsDialog, ExchangeController
from labeler.ui.grid import FilmstripView, ThumbnailGridView
from labeler.ui.hotkeys import HotkeyHelpDialog, load_hotkeys, sequences
from labeler.ui.learning_controller import LearningController
from labeler.ui.learning_panel import LearningPanel
from labeler.ui.models import HistoryModel, ImageGridModel, SpeciesModel
from labeler.ui.panel import SuggestionPanel
from labeler.ui.thumbnails import ThumbnailLoader
from labeler.ui.viewer import ImageViewer

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


class MainWindow(QMainWindow):
    """One project at a time; everything slow runs in the controller's workers."""

    closed = Signal()

    def __init__(
        self, settings: QSettings | None = None, controller: ProjectController | None = None
    ):
        super().__init__()
        # Background threads run Python too; a short switch interval hands the GIL back to the
        # event loop within about a millisecond instead of five.
        sys.setswitchinterval(0.001)
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
        split.setSizes([760, 740])
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
        self.learning_panel = LearningPanel(self)
        ldock = QDockWidget("Learning", self)
        ldock.setObjectName("learning")
        ldock.setWidget(self.learning_panel)
        ldock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, ldock)
        self.tabifyDockWidget(dock, ldock)
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
        for w in (self.counts_label, self.selection_label):
            sb.addWidget(w)
        for w in (
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
        v = m.addMenu("&View")
        for name, text in (("fit", "&Fit image"), ("actual_size", "&1:1"), ("refresh_view", "Re-apply &filter"),
                           ("history", "Label &history")):  # fmt: skip
            self.actions_by_name[name].setText(text)
            v.addAction(self.actions_by_name[name])
        h = m.addMenu("&Help")
        self.actions_by_name["help"].setText("&Keyboard shortcuts")
        h.addAction(self.actions_by_name["help"])

    def _connect_learning(self) -> None:
        lp, lc = self.learning_panel, self.learning
        lp.retrain_requested.connect(lc.retrain)
        lp.retrain_every_changed.connect(lambda n: setattr(lc, "retrain_every", n))
        lp.imbalance_changed.connect(lambda k: setattr(lc, "imbalance", k))
        lp.review_toggled.connect(self.set_review_mode)
        lp.fine_tune_requested.connect(lc.start_fine_tune)
        lp.cancel_requested.connect(lc.cancel_fine_tune)
        lp.preview_requested.connect(lc.preview_auto_accept)
        lp.accept_requested.connect(self._on_learning_accept_requested)
        lc.head_updated.connect(self._on_learning_head_updated)
        lc.metrics_ready.connect(lp.show_metrics)
        lc.training_progress.connect(lp.show_progress)
        lc.training_finished.connect(lp.show_finished)
        lc.auto_accept_ready.connect(self._on_learning_auto_accept_ready)
        lc.review_ready.connect(
            lambda _order: self.apply_filter() if self.spec.order == "review" else None
        )

    def _on_learning_head_updated(self, summary: dict) -> None:
        self.learning_panel.show_head(summary)
        acc = summary.get("cv_accuracy")
        state = "learned" if summary.get("accepted") else "kept the current model"
        self.statusBar().showMessage(
            f"Retrained on {summary.get('labels')} labels ({state}; CV accuracy {acc})", 8000
        )

    def _on_learning_auto_accept_ready(self, decisions: dict, summary: dict) -> None:
        self._auto_accept = (decisions, summary)
        self.learning_panel.show_auto_accept(decisions, summary)

    def _on_learning_accept_requested(self) -> None:
        if self._auto_accept is None:
            return
        decisions, summary = self._auto_accept
        self._auto_accept = None
        self.learning_panel.accept.setEnabled(False)
        self.learning.apply_auto_accept(decisions, summary)

    def set_review_mode(self, on: bool) -> None:
        """Review mode: unlabeled images, most useful first; the user just keeps pressing keys."""
        self.learning_panel.review.blockSignals(True)
        self.learning_panel.review.setChecked(on)
        self.learning_panel.review.blockSignals(False)
        if on:
            if self.order_combo.findData("review") < 0:
                self.order_combo.addItem("Most useful first (review)", "review")
            self.filter_combo.blockSignals(True)
            self.filter_combo.setCurrentIndex(self.filter_combo.findData("unlabeled"))
            self.filter_combo.blockSignals(False)
            self.order_combo.setCurrentIndex(self.order_combo.findData("review"))
            self.learning.compute_review()
        else:
            self.order_combo.setCurrentIndex(self.order_combo.findData("time"))
        self.grid.setFocus()

    def choose_export(self, kind: str) -> None:
        """Ask where to write an export, then run it in the background."""
        text, pattern, name = EXPORTS[kind]
        start = os.path.join(os.path.expanduser("~"), name)
        if pattern is None:
            out = QFileDialog.getExistingDirectory(self, f"Folder for the {text.rstrip('…')}")
            if out:
                out = os.path.join(out, name)
        else:
            out, _ = QFileDialog.getSaveFileName(self, text.rstrip("…"), start, pattern)
        if out:
            self.exchange.export(kind, out)

    def choose_import(self, kind: str) -> None:
        """Ask for a file to import."""
        pattern = "CSV (*.csv)" if kind == "csv" else "JSON (*.json)"
        source, _ = QFileDialog.getOpenFileName(self, "Import", os.path.expanduser("~"), pattern)
        if source:
            self.exchange.import_file(kind, source)

    def _on_exchange_finished(self, kind: str, report: dict) -> None:
        self._on_controller_job_finished("export", "")
        problems = report.get("problems", [])
        if kind.startswith("import"):
            text = (f"Imported: {report.get('images_updated', report.get('matched', 0))} images; "
                    f"{len(report.get('unmatched', []))} rows match no image; {len(report.get('refused', []))} refused")  # fmt: skip
        else:
            text = f"Exported to {report.get('path')}: " + ", ".join(
                f"{k} {v}" for k, v in report.items() if k not in ("path", "problems"))  # fmt: skip
        self.statusBar().showMessage(text, 15000)
        if problems:
            QMessageBox.information(self, "Export written, with notes", "\n\n".join(problems))
        self.last_exchange_report = report

    def edit_deployments(self) -> None:
        """Edit deployments in a table; saved through the writer."""
        if self.controller.reader is None:
            return
        dialog = DeploymentsDialog(self.controller.reader.deployments(), self)
        self.deployments_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values, problems = dialog.values()
        if problems:
            QMessageBox.warning(self, "Some values were not saved", "\n".join(problems))
        self.save_deployments(values)

    def save_deployments(self, values: dict[str, dict]) -> None:
        """Store edited deployment facts through the writer."""

        def save(store):
            for folder, facts in values.items():
                store.set_deployment(folder, **{k: v for k, v in facts.items()})
            return len(values)

        self.controller.submit(
            save, on_done=lambda n: self.statusBar().showMessage(f"Saved {n} deployments", 6000)
        )

    # -- opening -----------------------------------------------------------------------------
    def open_folder(self, folder: str, db: str | None = None, *, auto_jobs: bool = True) -> None:
        """Open a folder (its catalog is created on first open)."""
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

    # -- current image and selection ---------------------------------------------------------
    def current_image(self) -> int | None:
        """Image id of the grid's current item."""
        idx = self.grid.currentIndex()
        return self.grid_model.image_id(idx.row()) if idx.isValid() else None

    def selected_rows(self) -> np.ndarray:
        """Selected grid rows, read from the selection's ranges (no per-item objects)."""
        parts = [np.arange(r.top(), r.bottom() + 1) for r in self.grid.selectionModel().selection()]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def selected_images(self) -> list[int]:
        """Image ids the next action applies to: the selection, or else the current image."""
        rows = self.selected_rows()
        model = self.grid_model
        if len(rows) and model.snap is not None:
            rows = rows[rows < len(model.rows)]
            ids = [int(i) for i in model.snap.ids[model.rows[rows]]]
        else:
            ids = []
        if not ids and (cur := self.current_image()) is not None:
            ids = [cur]
        return ids

    def set_current_row(self, row: int) -> None:
        """Make ``row`` current and the only selected item."""
        if self.grid_model.rowCount() == 0:
            self._show_panel(None)
            return
        row = max(0, min(row, self.grid_model.rowCount() - 1))
        idx = self.grid_model.index(row)
        self.grid.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.grid.scrollTo(idx)

    def step(self, delta: int) -> None:
        """Go to the next (or previous) image in the grid's order."""
        idx = self.grid.currentIndex()
        self.set_current_row((idx.row() if idx.isValid() else -1) + delta)

    def _on_grid_current_changed(self, current, _previous) -> None:
        image_id = self.grid_model.image_id(current.row()) if current.isValid() else None
        self._show_panel(image_id)

    def _show_panel(self, image_id: int | None) -> None:
        c = self.controller
        if image_id is None or c.reader is None:
            self.panel.show_image("No image", "", [], None, None)
            self.viewer.show_image(None)
            self.strip_model.set_view(
                c.snapshot, np.zeros(0, np.int64)
            ) if c.snapshot is not None else None
            return
        info = c.image_info(image_id)
        labels = ", ".join(
            (c.name_of(o.species_key) or o.observation_type) + (f" ×{o.count}" if o.count else "")
            + (" (model)" if o.classification_method == "machine" else "")
            for o in info["labels"]
        )  # fmt: skip
        burst = (
            f" — burst frame {info['frame']}/{info['frames']}" if info["burst"] is not None else ""
        )
        title = f"<b>{info['path']}</b><br>{info['datetime'] or 'no capture time'}{burst}"
        if info["status"] != "ok":
            title += (
                f"<br><span style='color:#c03030'>{info['status']}: {info['detail'] or ''}</span>"
            )
        suggestions = [(k, c.name_of(k), s) for k, s in info["suggestions"]]
        count = info["labels"][0].count if info["labels"] else None
        self.panel.show_image(title, labels, suggestions, info["empty_score"], count)
        if self.viewer.path != os.path.join(c.root or "", *info["path"].split("/")):
            self.viewer.show_image(os.path.join(c.root or "", *info["path"].split("/")))
        boxes = c.reader.detections([image_id]).get(image_id, [])
        self.viewer.set_boxes([
            (*d.bbox, f"{d.category} {d.conf:.0%}" + (f" · {d.classifications[0][0]}" if d.classifications else ""))
            for d in boxes if d.bbox is not None and d.bbox != (0.0, 0.0, 1.0, 1.0)
        ])  # fmt: skip
        self._show_strip(image_id, info["burst"])

    def _show_strip(self, image_id: int, burst: int | None) -> None:
        snap = self.controller.snapshot
        if snap is None:
            return
        rows = (
            np.nonzero(snap.seq == burst)[0]
            if burst is not None
            else np.array([snap.row_of(image_id)], np.int64)
        )
        if not (
            len(rows) == len(self.strip_model.rows) and np.array_equal(rows, self.strip_model.rows)
        ):
            self.strip_model.set_view(snap, rows)
        r = self.strip_model.row_of_image(image_id)
        if r is not None:
            self.strip.setCurrentIndex(self.strip_model.index(r))

    def _on_strip_clicked(self, index) -> None:
        image_id = self.strip_model.image_id(index.row())
        row = self.grid_model.row_of_image(image_id) if image_id is not None else None
        if row is not None:
            self.set_current_row(row)

    def _update_selection_label(self) -> None:
        n = sum(r.height() for r in self.grid.selectionModel().selection())
        self.selection_label.setText(f"  {n} selected" if n > 1 else "")

    def _update_counts(self) -> None:
        c = self.controller.counts()
        self.counts_label.setText(
            f"{c['labeled']} labeled · {c['unlabeled']} unlabeled · {c['blank']} blank · "
            f"{c['auto_accepted']} auto-accepted · showing {self.grid_model.rowCount()}"
        )

    # -- actions -----------------------------------------------------------------------------
    def _after_label(self, advance: bool):
        def done(_record) -> None:
            if advance:
                self.step(1)

        return done

    def set_species(self, key: str, advance: bool | None = None) -> None:
        """Label the selection (or the current image) with a species key."""
        ids = self.selected_images()
        if advance is None:
            advance = len(ids) == 1
        self.controller.label("set_species", ids, key, on_done=self._after_label(advance))

    def accept_suggestion(self, rank: int, advance: bool | None = None) -> None:
        """Accept each selected image's own rank-k suggestion."""
        ids = self.selected_images()
        if advance is None:
            advance = len(ids) == 1
        self.controller.label("accept_suggestion", ids, rank, on_done=self._after_label(advance))

    def accept_top_and_next(self) -> None:
        """Enter: accept the top suggestion and move on."""
        self.accept_suggestion(1, advance=True)

    def burst_majority(self) -> None:
        """Give each touched burst its majority species."""
        self.controller.label("burst_majority", self.selected_images())

    def label_bursts(self) -> None:
        """Give whole bursts the current image's first label."""
        cur = self.current_image()
        snap = self.controller.snapshot
        if cur is None or snap is None:
            return
        label = snap.label[snap.row_of(cur)]
        if label is None:
            self.statusBar().showMessage(
                "Label this image first; Ctrl+B then copies it to whole bursts", 6000
            )
            return
        self.controller.label("label_bursts", self.selected_images(), label)

    def select_burst(self) -> None:
        """Select every frame of the current image's burst that the grid shows."""
        cur = self.current_image()
        snap = self.controller.snapshot
        if cur is None or snap is None:
            return
        seq = snap.seq[snap.row_of(cur)]
        if seq < 0:
            return
        sel = self.grid.selectionModel()
        sel.clearSelection()
        for r in np.nonzero(snap.seq == seq)[0]:
            row = self.grid_model._pos[r]
            if row >= 0:
                sel.select(
                    self.grid_model.index(int(row)), QItemSelectionModel.SelectionFlag.Select
                )

    def clear_labels(self) -> None:
        """Remove the labels of the selection."""
        self.controller.label("clear", self.selected_images())

    def _on_panel_species_chosen(self, key: str, additional: bool) -> None:
        ids = self.selected_images()
        if additional:
            self.controller.label("add_species", ids, key)
        else:
            self.set_species(key, advance=len(ids) == 1)

    def _on_panel_new_species_requested(self, name: str, additional: bool) -> None:
        def added(key: str) -> None:
            self.statusBar().showMessage(f"Added “{name}” to the species list", 8000)
            self._on_panel_species_chosen(key, additional)

        self.controller.add_species(name, on_done=added)

    def _on_panel_count_changed(self, count: int) -> None:
        self.controller.label("set_count", self.selected_images(), count or None)

    def _on_adjustments_changed(self) -> None:
        self.viewer.set_adjustments(self.brightness.value() / 200, self.contrast.value() / 100)

    def show_history(self) -> None:
        """Show the current image's label history."""
        cur = self.current_image()
        if cur is None:
            return
        self.history_model.set_history(self.controller.history(cur))
        dialog = QDialog(self)
        dialog.setWindowTitle("Label history")
        view = QTableView(dialog)
        view.setModel(self.history_model)
        view.horizontalHeader().setStretchLastSection(True)
        view.resizeColumnsToContents()
        lay = QHBoxLayout(dialog)
        lay.addWidget(view)
        dialog.resize(820, 320)
        self.history_dialog = dialog
        dialog.show()

    def show_help(self) -> None:
        """The keyboard overlay."""
        self.help_dialog = HotkeyHelpDialog(self.hotkeys, self)
        self.help_dialog.show()

    # -- closing -----------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802
        self.thumbs.shutdown()
        self.viewer.shutdown()
        self.learning.cancel_fine_tune()
        self.controller.close()
        self.closed.emit()
        super().closeEvent(event)
