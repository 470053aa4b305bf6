"""A magnifying glass over the viewer: a round loupe that follows the pointer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

SIZE = 220
ZOOM = 3.0


class Magnifier(QWidget):
    """Shows the image ``ZOOM`` times larger than the viewer does, around the pointer."""

    def __init__(self, viewer):
        super().__init__(viewer.viewport())
        self.viewer = viewer
        self.setFixedSize(SIZE, SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.source = QRectF()
        self.hide()

    def toggle(self) -> bool:
        """Show or hide the loupe (at the pointer, or the viewer's middle); returns it shown."""
        if self.isVisible():
            self.hide()
            return False
        vp = self.viewer.viewport()
        pos = vp.mapFromGlobal(self.cursor().pos())
        if not vp.rect().contains(pos):
            pos = vp.rect().center()
        self.show()
        self.follow(pos)
        return True

    def follow(self, pos: QPoint) -> None:
        """Centre the loupe on a viewport point and show the image there."""
        self.move(pos.x() - SIZE // 2, pos.y() - SIZE // 2)
        point = self.viewer.image_point(pos)
        if point is None:
            self.source = QRectF()
        else:
            # Image pixels per screen pixel in the viewer, divided by the zoom.
            scale = 1 / max(self.viewer.transform().m11(), 1e-6)
            side = SIZE * scale / ZOOM
            self.source = QRectF(point[0] - side / 2, point[1] - side / 2, side, side)
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        image = self.viewer.shown_image
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        clip = QPainterPath()
        clip.addEllipse(QRectF(2, 2, SIZE - 4, SIZE - 4))
        p.setClipPath(clip)
        p.fillRect(self.rect(), QColor("#1e1e1e"))
        if image is not None and not self.source.isNull():
            p.drawImage(QRectF(QRect(0, 0, SIZE, SIZE)), image, self.source)
        p.setClipping(False)
        p.setPen(QPen(QColor("#ffcc00"), 2))
        p.drawEllipse(QRectF(2, 2, SIZE - 4, SIZE - 4))
        p.end()
