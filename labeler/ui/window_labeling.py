"""The window's labeling actions: current image and selection, the panel, keys, bulk actions,
history. Mixed into :class:`labeler.ui.main_window.MainWindow`."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QDialog, QHBoxLayout, QTableView

from labeler.ui.clock_ui import ClockDialog, shown_time
from labeler.ui.hotkeys import HotkeyHelpDialog
from labeler.ui.jobs import absolute


class LabelingActionsMixin:
    """What keys and buttons do to the current image or the selection."""

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
        title = f"<b>{info['path']}</b><br>{shown_time(info['datetime'], info.get('clock_offset_s'))}{burst}"
        if info["status"] != "ok":
            title += (
                f"<br><span style='color:#c03030'>{info['status']}: {info['detail'] or ''}</span>"
            )
        suggestions = [(k, c.name_of(k), s) for k, s in info["suggestions"]]
        count = info["labels"][0].count if info["labels"] else None
        self.panel.show_image(title, labels, suggestions, info["empty_score"], count)
        path = absolute(c.root or "", info["path"])
        if self.viewer.path != path:
            self.viewer.show_image(path)
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

    def correct_clock(self) -> None:
        """Ask how to correct the camera clock (the deployment or the selection), then apply it."""
        from labeler.core.timezones import corrected

        cur = self.current_image()
        if cur is None or self.controller.reader is None:
            return
        info = self.controller.image_info(cur)
        folder = info["path"].rpartition("/")[0]
        dialog = ClockDialog(folder, len(self.selected_images()),
                             corrected(info["datetime"], info.get("clock_offset_s")), self)  # fmt: skip
        dialog.accepted.connect(lambda: self._apply_clock(dialog, folder, cur))
        self.clock_dialog = dialog
        dialog.show()

    def _apply_clock(self, dialog: ClockDialog, folder: str, current: int) -> None:
        from labeler.core.clock import shift_folder, shift_images

        seconds = dialog.seconds()
        ids = self.selected_images() or [current]
        author = self.controller.author

        def apply(store):
            if dialog.whole.isChecked():
                return shift_folder(store, folder, seconds, author=author)
            return shift_images(
                store, ids, seconds, what=f"{len(ids)} selected image(s)", author=author
            )

        def done(change) -> None:
            self.last_clock_change = change
            self.statusBar().showMessage(f"{change.description}: {change.images} image(s)", 10000)
            self.controller.reload_snapshot(then=lambda: self._show_panel(self.current_image()))

        self.controller.submit(
            apply, on_done=done,
            on_error=lambda exc: self.statusBar().showMessage(f"Clock not corrected: {exc}", 15000),
        )  # fmt: skip

    def show_help(self) -> None:
        """The keyboard overlay."""
        self.help_dialog = HotkeyHelpDialog(self.hotkeys, self, self.settings)
        self.help_dialog.hotkeys_changed.connect(self.apply_hotkeys)
        self.help_dialog.show()

    def apply_hotkeys(self, keys: dict) -> None:
        """Use new key sequences for the window's actions."""
        from labeler.ui.hotkeys import sequences

        self.hotkeys.update(keys)
        for name, action in self.actions_by_name.items():
            action.setShortcuts(sequences(self.hotkeys.get(name, [])))
