"""What keys, buttons and menus do to the labels of the current image or the selection."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QObject

from inference.taxonomy import BLANK
from labeler.ui.navigation import Navigator
from labeler.ui.project import LabelAction, ProjectController


class LabelingController(QObject):
    """Labeling actions, each one writer job and one step of undo."""

    def __init__(self, project: ProjectController, nav: Navigator, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self.nav = nav
        # The image labeled last by a person (what *Repeat the last label* copies).
        self.last_labeled: int | None = None

    def _after(self, advance: bool):
        def done(record) -> None:
            if record is not None and record.image_ids:
                self.last_labeled = int(record.image_ids[0])
            if advance:
                self.nav.step(1)

        return done

    def _run(self, action: LabelAction, ids: list[int], *args, advance: bool = False) -> None:
        self.project.label(action, ids, *args, on_done=self._after(advance))

    def set_species(self, key: str, advance: bool | None = None, count: int | None = None) -> None:
        """Label the selection (or the current image) with a species key."""
        ids = self.nav.selected_images()
        self._run(LabelAction.SET_SPECIES, ids, key, count,
                  advance=len(ids) == 1 if advance is None else advance)  # fmt: skip

    def accept_suggestion(self, rank: int, advance: bool | None = None) -> None:
        """Accept each selected image's own rank-k suggestion."""
        ids = self.nav.selected_images()
        self._run(LabelAction.ACCEPT_SUGGESTION, ids, rank,
                  advance=len(ids) == 1 if advance is None else advance)  # fmt: skip

    def accept_top_and_next(self) -> None:
        """Enter: accept the top suggestion and move on."""
        self.accept_suggestion(1, advance=True)

    def repeat_last(self) -> None:
        """Give the selection the species and count given last, and move on (one key)."""
        c = self.project
        if self.last_labeled is None or c.reader is None:
            self.nav.status.message("Nothing labeled yet in this session to repeat")
            return
        obs = c.reader.labels([self.last_labeled]).get(self.last_labeled, [])
        if not obs or obs[0].species_key is None:
            self.nav.status.message("The image labeled last has no label now")
            return
        self.set_species(obs[0].species_key, count=obs[0].count)

    def burst_majority(self) -> None:
        """Give each touched burst its majority species."""
        self._run(LabelAction.BURST_MAJORITY, self.nav.selected_images())

    def label_bursts(self) -> None:
        """Give whole bursts the current image's first label."""
        cur = self.nav.current_image()
        snap = self.project.snapshot
        if cur is None or snap is None:
            return
        label = snap.label[snap.row_of(cur)]
        if label is None:
            self.nav.status.message("Label this image first; Ctrl+B then copies it to whole bursts")
            return
        self._run(LabelAction.LABEL_BURSTS, self.nav.selected_images(), label)

    def select_burst(self) -> None:
        """Select every frame of the current image's burst that the grid shows."""
        cur = self.nav.current_image()
        snap = self.project.snapshot
        if cur is None or snap is None:
            return
        seq = snap.seq[snap.row_of(cur)]
        if seq < 0:
            return
        model = self.nav.grid_model
        sel = self.nav.grid.selectionModel()
        sel.clearSelection()
        for r in np.nonzero(snap.seq == seq)[0]:
            row = model._pos[r]
            if row >= 0:
                sel.select(model.index(int(row)), QItemSelectionModel.SelectionFlag.Select)

    def clear(self) -> None:
        """Remove the labels of the selection."""
        self._run(LabelAction.CLEAR, self.nav.selected_images())

    def choose_species(self, key: str, additional: bool) -> None:
        """A species picked in the search box: set it, or add it as a further species."""
        ids = self.nav.selected_images()
        if additional:
            self._run(LabelAction.ADD_SPECIES, ids, key)
        else:
            self.set_species(key, advance=len(ids) == 1)

    def add_new_species(self, name: str, additional: bool) -> None:
        """A name not in the list (typed and confirmed): add it, then label with it."""
        from labeler.core.species import new_species_key

        c = self.project
        key = new_species_key(name, set(c.names))

        def added(_r) -> None:
            c.load_species()
            self.nav.status.message(
                f"Added “{name}” to the species list (Edit → Species list to undo)"
            )
            self.choose_species(key, additional)

        c.submit(lambda store: store.add_species(key, name), on_done=added)

    def set_count(self, count: int) -> None:
        """The count typed in the panel."""
        self._run(LabelAction.SET_COUNT, self.nav.selected_images(), count or None)

    def set_note(self, text: str) -> None:
        """The note typed in the panel (for the current image)."""
        cur = self.nav.current_image()
        if cur is not None:
            said = "Note saved" if text.strip() else "Note removed"
            self.project.set_note(cur, text, on_done=lambda: self.nav.status.message(said))

    def mark(self, key: str) -> None:
        """Blank, human or vehicle from a key or button."""
        self.set_species(key)

    def mark_blank(self) -> None:
        """E: the selection is empty."""
        self.set_species(BLANK)
