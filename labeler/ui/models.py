"""Thin Qt item models over plain data: the image grid, suggestions, species, history, burst strip."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from labeler.core.catalog_view import CatalogSnapshot
from labeler.core.safepath import image_path
from labeler.ui.thumbnails import ThumbnailLoader

_Index = QModelIndex | QPersistentModelIndex
USER = Qt.ItemDataRole.UserRole


class ImageGridModel(QAbstractListModel):
    """Rows of a :class:`CatalogSnapshot` in display order (a virtual list: nothing per row)."""

    ImageIdRole = USER + 1
    PathRole = USER + 2
    TopLabelRole = USER + 3
    TopScoreRole = USER + 4
    EmptyScoreRole = USER + 5
    LabelRole = USER + 6
    MethodRole = USER + 7
    StatusRole = USER + 8
    BurstRole = USER + 9
    FrameRole = USER + 10
    LabelCountRole = USER + 11
    BurstSizeRole = USER + 12

    def __init__(self, thumbs: ThumbnailLoader | None, name_of: Callable[[str], str], parent=None):
        super().__init__(parent)
        self.thumbs = thumbs
        self.name_of = name_of
        self.root = ""
        self.snap: CatalogSnapshot | None = None
        self.rows = np.zeros(0, np.int64)
        self._pos = np.zeros(0, np.int64)
        if thumbs is not None:
            thumbs.thumbnail_ready.connect(self._on_thumbs_thumbnail_ready)

    # -- content -----------------------------------------------------------------------------
    def set_view(self, snap: CatalogSnapshot, rows: np.ndarray) -> None:
        """Show ``rows`` of ``snap`` (a reset: the view's selection is cleared)."""
        self.beginResetModel()
        self.snap = snap
        self.rows = np.asarray(rows, np.int64)
        self._pos = np.full(len(snap), -1, np.int64)
        self._pos[self.rows] = np.arange(len(self.rows))
        if self.thumbs is not None:
            self.thumbs.new_generation()
        self.endResetModel()

    def image_id(self, row: int) -> int | None:
        """Image id shown at ``row``."""
        if self.snap is None or not 0 <= row < len(self.rows):
            return None
        return int(self.snap.ids[self.rows[row]])

    def row_of_image(self, image_id: int) -> int | None:
        """Model row of an image id, or None when it is filtered out."""
        if self.snap is None:
            return None
        r = self.snap.row_of(image_id)
        if r is None:
            return None
        pos = int(self._pos[r])
        return pos if pos >= 0 else None

    def refresh_snapshot_rows(self, snapshot_rows: Sequence[int]) -> None:
        """Repaint the given snapshot rows where they are shown."""
        if not len(snapshot_rows) or self.snap is None:
            return
        pos = self._pos[np.asarray(snapshot_rows, np.int64)]
        pos = pos[pos >= 0]
        if len(pos) == 0:
            return
        self.dataChanged.emit(self.index(int(pos.min())), self.index(int(pos.max())))

    def _on_thumbs_thumbnail_ready(self, image_id: int) -> None:
        row = self.row_of_image(image_id)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    # -- Qt model API ------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.snap is None or not 0 <= index.row() < len(self.rows):
            return None
        s, r = self.snap, int(self.rows[index.row()])
        if role == Qt.ItemDataRole.DisplayRole:
            if s.label[r] is not None:
                return self.name_of(s.label[r])
            if s.top_label[r] is not None:
                return f"{self.name_of(s.top_label[r])} {s.top_score[r]:.0%}"
            return s.paths[r].rpartition("/")[2]
        if role == Qt.ItemDataRole.DecorationRole:
            if self.thumbs is None:
                return None
            return self.thumbs.get(int(s.ids[r]), self._abs(s.paths[r]), int(s.mtime[r]))
        if role == Qt.ItemDataRole.ToolTipRole:
            status = s.status[r]
            return f"{s.paths[r]}\n{s.times[r] or 'no capture time'}" + (
                "" if status == "ok" else f"\nproblem: {status}"
            )
        return self._custom(role, s, r)

    def _custom(self, role: int, s: CatalogSnapshot, r: int):
        if role == self.ImageIdRole:
            return int(s.ids[r])
        if role == self.PathRole:
            return s.paths[r]
        if role == self.TopLabelRole:
            return s.top_label[r]
        if role == self.TopScoreRole:
            v = s.top_score[r]
            return None if np.isnan(v) else float(v)
        if role == self.EmptyScoreRole:
            v = s.empty_score[r]
            return None if np.isnan(v) else float(v)
        if role == self.LabelRole:
            return s.label[r]
        if role == self.MethodRole:
            return s.method[r]
        if role == self.StatusRole:
            return s.status[r]
        if role == self.BurstRole:
            v = int(s.seq[r])
            return None if v < 0 else v
        if role == self.FrameRole:
            return int(s.frame[r])
        if role == self.LabelCountRole:
            return int(s.n_labels[r])
        if role == self.BurstSizeRole:
            return 1 if s.burst_size is None else int(s.burst_size[r])
        return None

    def _abs(self, rel: str) -> str:
        if not self.root:
            return rel
        try:
            return image_path(self.root, rel)
        except ValueError:
            return ""


class _RowListModel(QAbstractListModel):
    """A flat list of tuples whose first field is the species key; reset as a whole."""

    KeyRole = USER + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[tuple] = []

    def set_items(self, items: Sequence[tuple]) -> None:
        """Replace the rows."""
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def _row(self, index: _Index) -> tuple | None:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        return self.items[index.row()]


class SuggestionModel(_RowListModel):
    """The current image's top-5: (key, display name, probability)."""

    ScoreRole = USER + 2

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = self._row(index)
        if row is None:
            return None
        key, name, score = row
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{index.row() + 1}  {name}  {score:.0%}"
        if role == self.KeyRole:
            return key
        if role == self.ScoreRole:
            return score
        return None


class SpeciesModel(_RowListModel):
    """The project's species list for the search box: "Common name (Scientific name)"."""

    def set_species(self, items: Sequence[tuple[str, str, str | None]]) -> None:
        """Replace the list with (key, common name, scientific name) rows."""
        self.set_items(items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = self._row(index)
        if row is None:
            return None
        key, name, sci = row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return f"{name} ({sci})" if sci else name
        if role == self.KeyRole:
            return key
        return None

    def key_for_text(self, text: str) -> str | None:
        """The species a typed text names (display text, common name or key), or None."""
        t = text.strip().casefold()
        for key, name, sci in self.items:
            shown = f"{name} ({sci})" if sci else name
            if t in (shown.casefold(), name.casefold(), key.casefold()):
                return key
        return None


class HistoryModel(QAbstractTableModel):
    """An image's label history: when, who or what, the action, and the change."""

    HEADERS = ("When", "By", "Action", "Before", "After")

    def __init__(self, name_of: Callable[[str], str], parent=None):
        super().__init__(parent)
        self.name_of = name_of
        self.rows: list[tuple[str, str, str, str, str]] = []

    def set_history(self, history: Sequence[dict]) -> None:
        """Replace with ``store.image_history(...)`` output."""

        def show(obs) -> str:
            parts = []
            for o in obs:
                text = self.name_of(o.species_key) if o.species_key else o.observation_type
                if o.count:
                    text += f" x{o.count}"
                if o.classification_method == "machine":
                    p = f" {o.probability:.0%}" if o.probability is not None else ""
                    text += f" (machine: {o.classified_by}{p})"
                parts.append(text)
            return ", ".join(parts) or "-"

        self.beginResetModel()
        self.rows = [
            (
                h["timestamp"][:19].replace("T", " "),
                h["author"] or "",
                h["kind"],
                show(h["before"]),
                show(h["after"]),
            )
            for h in history
        ]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not (0 <= index.row() < len(self.rows) and 0 <= index.column() < len(self.HEADERS)):
            return None
        return self.rows[index.row()][index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.HEADERS):
                return self.HEADERS[section]
        return None
