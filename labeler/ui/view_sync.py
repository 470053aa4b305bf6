"""Keeps the grid, filter bar, species lists and view options in step with the project."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QHBoxLayout, QTableView

from labeler.core.jobs import JobKind
from labeler.ui.commands import Command
from labeler.ui.info_dialogs import KeysDialog
from labeler.ui.session import SessionMemory

THUMB_LARGE_FROM = 220


class ViewSync(QObject):
    """Snapshot, label and prediction changes reach the views; filters, review mode, burst
    view, thumbnail size and the magnifier are applied here."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.wanted_image: int | None = None
        p = window.project
        p.snapshot_loaded.connect(self._on_project_snapshot_loaded)
        p.labels_changed.connect(self._on_project_labels_changed)
        p.predictions_changed.connect(self._on_project_labels_changed)
        p.species_changed.connect(self._on_project_species_changed)
        window.filter_bar.changed.connect(lambda: self.apply_filter())

    # -- project changes ---------------------------------------------------------------------
    def _on_project_snapshot_loaded(self, snap) -> None:
        self.w.filter_bar.set_folders(snap.folder_names)
        if self.w.thumbs.zoom is not None:
            # A prediction or detector run may have found new regions.
            self.set_zoom(True, quiet=True)
        keep = self.wanted_image if self.wanted_image is not None else self.w.nav.current_image()
        self.wanted_image = None
        self.apply_filter(keep=keep)

    def _on_project_labels_changed(self, ids: list) -> None:
        w, snap = self.w, self.w.project.snapshot
        if snap is None:
            return
        rows = [r for r in (snap.row_of(i) for i in ids) if r is not None]
        w.grid_model.refresh_snapshot_rows(rows)
        w.strip_model.refresh_snapshot_rows(rows)
        current = w.nav.current_image()
        if current is not None and current in set(ids):
            w.nav.show_image(current)
        w.nav.update_counts()

    def _on_project_species_changed(self) -> None:
        reader = self.w.project.reader
        species = reader.species(active_only=True) if reader else []
        self.w.species_model.set_species(
            [(s.key, s.common_name, s.scientific_name) for s in species]
        )
        self.w.filter_bar.set_species([(s.key, s.common_name) for s in species])

    # -- filters and modes -------------------------------------------------------------------
    def apply_filter(self, keep: int | None = None) -> None:
        """Rebuild the grid for the chosen filter, keeping the current image when it stays."""
        w, snap = self.w, self.w.project.snapshot
        if snap is None:
            return
        current = w.nav.current_image() if keep is None else keep
        spec = w.filter_bar.spec()
        if w.filter_bar.burst_only.isChecked() and current is not None:
            r = snap.row_of(current)
            if r is not None and snap.seq[r] >= 0:
                spec.burst = int(snap.seq[r])
        self.spec = spec
        w.grid_model.set_view(snap, w.project.rows_for(spec))
        if not w.nav.go_to_image(current):
            w.nav.set_current_row(0)
        w.nav.update_counts()

    def set_review_mode(self, on: bool) -> None:
        """Review mode: unlabeled images, most useful first; the user just keeps pressing keys."""
        w = self.w
        for widget in (w.learning_panel.review, w.actions_by_command[Command.REVIEW_MODE]):
            widget.blockSignals(True)
            widget.setChecked(on)
            widget.blockSignals(False)
        w.filter_bar.set_review(on)
        if on:
            w.learning.compute_review()
        w.grid.setFocus()

    def set_burst_view(self, on: bool) -> None:
        """Suggestions averaged over each burst (on) or per frame (off)."""
        from labeler.core.predict_job import suggestion_view

        p = self.w.project
        if p.model_id is None:
            return
        if not on:
            p.reload_snapshot()
            return

        def ready(view: dict) -> None:
            snap = p.snapshot
            if snap is not None:
                tops = {i: (t[0][0], t[0][1], None) for i, t in view.items() if t}
                snap.update_predictions(tops)
                p.predictions_changed.emit(list(view))

        p.jobs.run(JobKind.BURST_VIEW, suggestion_view, [p.model_id], bursts=True, on_result=ready)

    def step_thumbnails(self, steps: int) -> None:
        """Larger or smaller thumbnails (decoded larger from a size on)."""
        width = self.w.grid.step_tile_width(steps)
        self.w.thumbs.set_size(320 if width >= THUMB_LARGE_FROM else 160)
        self.w.grid_model.layoutChanged.emit()
        self.w.status.message(f"Thumbnails {width} px wide")

    def set_zoom(self, on: bool, quiet: bool = False) -> None:
        """Tiles zoomed onto each image's animal region (on) or whole frames (off)."""
        from labeler.core.regions import zoom_boxes

        w = self.w
        action = w.actions_by_command[Command.ZOOM_TILES]
        if action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        if not on:
            w.thumbs.set_zoom(None)
            w.grid_model.layoutChanged.emit()
            w.strip_model.layoutChanged.emit()
            w.status.message("Tiles show whole frames")
            return

        def ready(boxes: dict) -> str | None:
            if not action.isChecked():
                return None
            if boxes != w.thumbs.zoom:
                # Unchanged regions keep the decoded tiles (a reload after a retrain).
                w.thumbs.set_zoom(boxes)
                w.grid_model.layoutChanged.emit()
                w.strip_model.layoutChanged.emit()
            if quiet:
                return None
            if not boxes:
                return ("No animal regions yet: predict (regions are found as it runs) or "
                        "import detector boxes; tiles show whole frames")  # fmt: skip
            return f"Tiles zoomed onto the animal in {len(boxes)} images (the others whole)"

        if w.project.db_path is None:
            w.thumbs.set_zoom({})
            return
        w.project.jobs.run(JobKind.ZOOM, zoom_boxes, on_result=ready)

    def set_magnifier(self, on: bool) -> None:
        """Show or hide the magnifying glass over the viewer."""
        mag = self.w.pane.viewer.magnifier
        if on != mag.isVisible():
            mag.toggle()

    # -- small windows -----------------------------------------------------------------------
    def show_history(self) -> None:
        """The current image's label history."""
        w = self.w
        cur = w.nav.current_image()
        if cur is None:
            return
        w.history_model.set_history(w.project.history(cur))
        dialog = QDialog(w)
        dialog.setWindowTitle("Label history")
        view = QTableView(dialog)
        view.setModel(w.history_model)
        view.horizontalHeader().setStretchLastSection(True)
        view.resizeColumnsToContents()
        QHBoxLayout(dialog).addWidget(view)
        dialog.resize(820, 320)
        w.history_dialog = dialog
        dialog.show()

    def show_keys(self) -> None:
        """The keyboard list (? again or Escape closes it)."""
        w = self.w
        w.keys_dialog = KeysDialog(w.prefs.hotkeys, w)
        w.keys_dialog.show()

    # -- memory ------------------------------------------------------------------------------
    def save(self, memory: SessionMemory) -> None:
        """Remember the thumbnail size and auto contrast."""
        memory.set("view/tile_width", getattr(self.w.grid, "tile_width", 176))
        memory.set("view/auto_contrast", self.w.pane.auto)
        memory.set("view/zoom_tiles", self.w.thumbs.zoom is not None)

    def restore(self, memory: SessionMemory) -> None:
        """Put back the thumbnail size and auto contrast."""
        width = memory.get("view/tile_width", 176, int)
        self.w.grid.set_tile_width(width)
        self.w.thumbs.set_size(320 if width >= THUMB_LARGE_FROM else 160)
        if memory.get("view/auto_contrast", False, bool):
            self.w.actions_by_command[Command.AUTO_CONTRAST].setChecked(True)
        if memory.get("view/zoom_tiles", False, bool):
            self.w.actions_by_command[Command.ZOOM_TILES].setChecked(True)
