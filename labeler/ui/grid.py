"""The thumbnail grid: a uniform-size list view and a delegate that paints each tile."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from labeler.ui.models import ImageGridModel

TILE_W, TILE_H = 176, 158
# Tile widths of View → Larger/Smaller thumbnails; each tile keeps 44 px for its captions.
TILE_WIDTHS = (120, 150, 176, 220, 280, 340)
BURST_COLOURS = (QColor("#4f8ef7"), QColor("#f0a030"))
CONFIRMED = QColor("#2e9d4f")
MACHINE = QColor("#7a5cc4")
PROBLEM = QColor("#d04040")


class TileDelegate(QStyledItemDelegate):
    """Thumbnail, label or suggestion with confidence, confirmed mark, blank and problem badges,
    and a band whose colour alternates from burst to burst (frame k/n shown in it)."""

    def __init__(self, tile: QSize, parent=None):
        super().__init__(parent)
        self.tile = tile
        self.small = QFont()
        self.small.setPointSizeF(max(7.0, self.small.pointSizeF() - 1.5))

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        return self.tile

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        m = ImageGridModel
        r = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        current = bool(option.state & QStyle.StateFlag.State_HasFocus)
        p.save()
        p.fillRect(r, option.palette.highlight() if selected else option.palette.base())
        image_rect = QRect(r.x() + 4, r.y() + 4, r.width() - 8, r.height() - 44)
        thumb = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(thumb, QImage) and not thumb.isNull():
            scaled = thumb.size().scaled(image_rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(image_rect.center())
            p.drawImage(target, thumb)
        else:
            p.fillRect(image_rect, QColor("#303030"))
            status = index.data(m.StatusRole)
            p.setPen(QColor("#bbbbbb"))
            p.drawText(image_rect, Qt.AlignmentFlag.AlignCenter, "" if status == "ok" else status)
        burst = index.data(m.BurstRole)
        size = index.data(m.BurstSizeRole) or 1
        band = QRect(r.x(), r.bottom() - 39, r.width(), 5)
        if burst is not None and size > 1:
            p.fillRect(band, BURST_COLOURS[burst % 2])
        label = index.data(m.LabelRole)
        method = index.data(m.MethodRole)
        text_rect = QRect(r.x() + 4, r.bottom() - 32, r.width() - 8, 16)
        p.setPen(
            option.palette.highlightedText().color() if selected else option.palette.text().color()
        )
        p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(str(index.data()), Qt.TextElideMode.ElideRight, text_rect.width()))  # fmt: skip
        p.setFont(self.small)
        info = QRect(r.x() + 4, r.bottom() - 16, r.width() - 8, 14)
        frame = index.data(m.FrameRole)
        extra = f"burst {frame}/{size}" if burst is not None and size > 1 else ""
        empty = index.data(m.EmptyScoreRole)
        if empty is not None and label is None:
            extra = (extra + "  " if extra else "") + f"empty {empty:.0%}"
        p.drawText(info, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, extra)
        if label is not None:
            colour = MACHINE if method == "machine" else CONFIRMED
            badge = QRect(r.right() - 26, r.y() + 6, 20, 20)
            p.setBrush(colour)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(badge)
            p.setPen(QColor("white"))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, "M" if method == "machine" else "✓")
        if label == "blank" or (label is None and empty is not None and empty >= 0.8):
            chip = QRect(r.x() + 6, r.y() + 6, 44, 16)
            p.setBrush(QColor(0, 0, 0, 160))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(chip, 4, 4)
            p.setPen(QColor("white"))
            p.drawText(
                chip, Qt.AlignmentFlag.AlignCenter, "blank" if label == "blank" else "empty?"
            )
        if index.data(m.StatusRole) not in (None, "ok"):
            p.setPen(QPen(PROBLEM, 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(image_rect)
        if current:
            p.setPen(QPen(option.palette.highlight().color().darker(130), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r)
        p.restore()


class ThumbnailGridView(QListView):
    """Wrapping grid of uniform tiles: smooth at 100,000 rows, extended and rubber-band selection."""

    first_paint = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionRectVisible(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setGridSize(QSize(TILE_W, TILE_H))
        self.setItemDelegate(TileDelegate(QSize(TILE_W, TILE_H), self))
        self.setSpacing(0)
        self._painted = False

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted and self.model() is not None and self.model().rowCount() > 0:
            self._painted = True
            self.first_paint.emit()

    def reset_first_paint(self) -> None:
        """Report the next paint that shows tiles again."""
        self._painted = False

    def set_tile_width(self, width: int) -> None:
        """Resize every tile (the thumbnail takes the room above the captions)."""
        size = QSize(width, int(width * 0.6) + 52)
        delegate = self.itemDelegate()
        if isinstance(delegate, TileDelegate):
            delegate.tile = size
        self.setGridSize(size)
        self.tile_width = width

    def step_tile_width(self, steps: int) -> int:
        """Next larger (or smaller) tile width; returns the new width."""
        current = getattr(self, "tile_width", TILE_W)
        widths = sorted(TILE_WIDTHS)
        i = min(range(len(widths)), key=lambda k: abs(widths[k] - current))
        width = widths[max(0, min(len(widths) - 1, i + steps))]
        self.set_tile_width(width)
        return width


class FilmstripView(QListView):
    """The current burst as a horizontal strip of tiles."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        size = QSize(132, 118)
        self.setItemDelegate(TileDelegate(size, self))
        self.setGridSize(size)
        self.setFixedHeight(size.height() + 22)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
