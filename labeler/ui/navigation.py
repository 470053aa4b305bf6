"""Where the user is: the grid's current image and selection, and what the panel, viewer and
filmstrip show for it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QObject

from labeler.core.regions import BUILTIN_SOURCE
from labeler.core.safepath import image_path
from labeler.ui.clock_ui import shown_time
from labeler.ui.grid import FilmstripView, ThumbnailGridView
from labeler.ui.models import ImageGridModel
from labeler.ui.panel import SuggestionPanel
from labeler.ui.project import ProjectController
from labeler.ui.status_area import StatusArea
from labeler.ui.viewer import ImageViewer

# Files with nothing to decode: the viewer says why instead of trying.
UNSHOWABLE = {"empty", "unreadable_io", "path_too_long", "too_large"}


def absolute(root: str, rel: str) -> str:
    """Path of a catalogued file under ``root`` ("" when the catalog's path is unsafe)."""
    try:
        return image_path(root, rel)
    except ValueError:
        return ""


class Navigator(QObject):
    """Current image and selection of the grid; the panel, viewer and filmstrip follow them."""

    def __init__(self, project: ProjectController, grid: ThumbnailGridView, grid_model: ImageGridModel,
                 strip: FilmstripView, strip_model: ImageGridModel, panel: SuggestionPanel,
                 viewer: ImageViewer, status: StatusArea, parent: QObject | None = None):  # fmt: skip
        super().__init__(parent)
        self.project, self.grid, self.grid_model = project, grid, grid_model
        self.strip, self.strip_model = strip, strip_model
        self.panel, self.viewer, self.status = panel, viewer, status
        sel = grid.selectionModel()
        sel.currentChanged.connect(self._on_grid_current_changed)
        sel.selectionChanged.connect(lambda *_: self.update_selection_label())
        # A reset clears the selection without a selectionChanged: the counter follows it too.
        grid_model.modelReset.connect(self.update_selection_label)
        strip.clicked.connect(self._on_strip_clicked)

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
        ids: list[int] = []
        if len(rows) and model.snap is not None:
            rows = rows[rows < len(model.rows)]
            ids = [int(i) for i in model.snap.ids[model.rows[rows]]]
        if not ids and (cur := self.current_image()) is not None:
            ids = [cur]
        return ids

    def set_current_row(self, row: int) -> None:
        """Make ``row`` current and the only selected item."""
        if self.grid_model.rowCount() == 0:
            self.show_image(None)
            return
        row = max(0, min(row, self.grid_model.rowCount() - 1))
        idx = self.grid_model.index(row)
        self.grid.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.grid.scrollTo(idx)

    def go_to_image(self, image_id: int | None) -> bool:
        """Make an image current when the grid shows it."""
        row = self.grid_model.row_of_image(image_id) if image_id is not None else None
        if row is None:
            return False
        self.set_current_row(row)
        return True

    def step(self, delta: int) -> None:
        """Go to the next (or previous) image in the grid's order."""
        idx = self.grid.currentIndex()
        self.set_current_row((idx.row() if idx.isValid() else -1) + delta)

    def update_selection_label(self) -> None:
        """ "N selected" in the status bar (shown from two images on)."""
        n = sum(r.height() for r in self.grid.selectionModel().selection())
        self.status.selection.setText(f"  {n} selected" if n > 1 else "")

    def update_counts(self) -> None:
        """Labeled / unlabeled / blank / auto-accepted / problems / shown."""
        c = self.project.counts()
        problems = f" · {c['problems']} problem files" if c["problems"] else ""
        self.status.counts.setText(
            f"{c['labeled']} labeled · {c['unlabeled']} unlabeled · {c['blank']} blank · "
            f"{c['auto_accepted']} auto-accepted{problems} · showing {self.grid_model.rowCount()}"
        )

    # -- what the panel, viewer and strip show -----------------------------------------------
    def _on_grid_current_changed(self, current, _previous) -> None:
        self.show_image(self.grid_model.image_id(current.row()) if current.isValid() else None)

    def show_image(self, image_id: int | None) -> None:
        """Fill the panel, viewer and filmstrip for an image (None clears them)."""
        c = self.project
        if image_id is None or c.reader is None:
            self.panel.show_image("No image", "", [], None, None)
            self.viewer.show_image(None)
            if c.snapshot is not None:
                self.strip_model.set_view(c.snapshot, np.zeros(0, np.int64))
            return
        info = c.image_info(image_id)
        labels = ", ".join(
            (c.name_of(o.species_key) or o.observation_type) + (f" ×{o.count}" if o.count else "")
            + (" (model)" if o.classification_method == "machine" else "")
            + (f" — {o.classified_by}" if o.classified_by and o.classification_method == "human" else "")
            for o in info["labels"]
        )  # fmt: skip
        burst = (
            f" — burst frame {info['frame']}/{info['frames']}" if info["burst"] is not None else ""
        )
        when = shown_time(info["datetime"], info.get("clock_offset_s"))
        title = f"<b>{info['path']}</b><br>{when}{burst}"
        if info["status"] != "ok":
            title += (
                f"<br><span style='color:#c03030'>{info['status']}: {info['detail'] or ''}</span>"
            )
        suggestions = [(k, c.name_of(k), s) for k, s in info["suggestions"]]
        count = info["labels"][0].count if info["labels"] else None
        self.panel.show_image(title, labels, suggestions, info["empty_score"], count, info["note"])
        path = absolute(c.root or "", info["path"])
        if info["status"] in UNSHOWABLE:
            self.viewer.show_image(None)
            self.viewer.show_message(
                f"{info['status']}: {info['detail'] or 'this file cannot be shown'}"
            )
        elif self.viewer.path != path:
            self.viewer.show_image(path)
        boxes = c.reader.detections([image_id]).get(image_id, [])
        regions = c.reader.detections([image_id], source=BUILTIN_SOURCE).get(image_id, [])
        shown = []
        for d in boxes:
            if d.bbox is None or d.bbox == (0.0, 0.0, 1.0, 1.0):
                continue
            if d in regions:
                shown.append((*d.bbox, f"region {d.conf:.0%}", "region"))
            else:
                cls = f" · {d.classifications[0][0]}" if d.classifications else ""
                shown.append((*d.bbox, f"{d.category} {d.conf:.0%}{cls}"))
        self.viewer.set_boxes(shown)
        self._show_strip(image_id, info["burst"])

    def _show_strip(self, image_id: int, burst: int | None) -> None:
        snap = self.project.snapshot
        if snap is None:
            return
        rows = (
            np.nonzero(snap.seq == burst)[0]
            if burst is not None
            else np.array([snap.row_of(image_id)], np.int64)
        )
        same = (
            self.strip_model.snap is snap
            and len(rows) == len(self.strip_model.rows)
            and np.array_equal(rows, self.strip_model.rows)
        )
        if not same:
            self.strip_model.set_view(snap, rows)
        r = self.strip_model.row_of_image(image_id)
        if r is not None:
            self.strip.setCurrentIndex(self.strip_model.index(r))

    def _on_strip_clicked(self, index) -> None:
        self.go_to_image(self.strip_model.image_id(index.row()))
