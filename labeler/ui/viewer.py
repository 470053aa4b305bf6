"""The full-size viewer: decode off the GUI thread, zoom and pan, fit and 1:1, night adjustments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QRectF, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
)

from labeler.ui.magnifier import Magnifier
from labeler.ui.thumbnails import reduced_rgb

MAX_SIDE = 4096


@dataclass(frozen=True)
class Adjustments:
    """How the viewer renders an image: brightness (-1..1), contrast (0.2..3), gamma (0.3..3)
    and auto contrast (a stretch of the 1st-99th percentile of brightness: night IR frames)."""

    brightness: float = 0.0
    contrast: float = 1.0
    gamma: float = 1.0
    auto: bool = False

    @property
    def identity(self) -> bool:
        """True when the image is shown as it is."""
        return self == Adjustments()


def auto_range(rgb: np.ndarray) -> tuple[float, float]:
    """The 1st and 99th percentile of an image's brightness (from a subsample)."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000)))
    sample = rgb[::step, ::step].mean(axis=2)
    lo, hi = np.percentile(sample, (1, 99))
    return float(lo), float(max(hi, lo + 1))


def adjust(rgb: np.ndarray, a: Adjustments) -> np.ndarray:
    """The image through a 256-entry lookup table: auto stretch, gamma, contrast, brightness."""
    x = np.arange(256, dtype=np.float32)
    if a.auto:
        lo, hi = auto_range(rgb)
        x = np.clip((x - lo) / (hi - lo), 0, 1) * 255
    if a.gamma != 1.0:
        x = 255 * (x / 255) ** (1 / a.gamma)
    lut = np.clip((x - 127.5) * a.contrast + 127.5 + a.brightness * 255, 0, 255).astype(np.uint8)
    return lut[rgb]


def to_qimage(rgb: np.ndarray) -> QImage:
    """A contiguous uint8 RGB array as a QImage owning its pixels."""
    h, w, _ = rgb.shape
    data = np.ascontiguousarray(rgb)
    return QImage(data.data, w, h, w * 3, QImage.Format.Format_RGB888).copy()


def decode_display(path: str, max_side: int = MAX_SIDE) -> np.ndarray:
    """The image as RGB for display (EXIF orientation applied, at most ``max_side`` pixels)."""
    return np.asarray(reduced_rgb(path, max_side))


class _Signals(QObject):
    ready = Signal(int, object, object, str)


class _LoadTask(QRunnable):
    def __init__(self, signals, generation, path, rgb, adjustments: Adjustments):
        super().__init__()
        self.signals, self.generation, self.path = signals, generation, path
        self.rgb, self.adjustments = rgb, adjustments

    def run(self) -> None:
        try:
            rgb = self.rgb if self.rgb is not None else decode_display(self.path)
            a = self.adjustments
            shown = rgb if a.identity else adjust(rgb, a)
            self.signals.ready.emit(self.generation, rgb, to_qimage(shown), "")
        except Exception as exc:
            self.signals.ready.emit(self.generation, None, None, f"cannot show this image: {exc}")


MAX_DRAWN_BOXES = 100


class ImageViewer(QGraphicsView):
    """Zoom with the wheel, pan by dragging, ``fit()`` and ``actual_size()``."""

    image_shown = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.message = QGraphicsTextItem()
        self.message.setDefaultTextColor(QColor("#dddddd"))
        # Read at screen size whatever the zoom (an unreadable file has no image to fit).
        self.message.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.scene().addItem(self.message)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QColor("#1e1e1e"))
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.ready.connect(self._on_task_ready)
        self.generation = 0
        self.shown_image: QImage | None = None
        self.viewport().setMouseTracking(True)
        self.path: str | None = None
        self.rgb: np.ndarray | None = None
        self.adjustments = Adjustments()
        self.fitted = True
        self.boxes: list = []
        self.magnifier = Magnifier(self)

    def show_image(self, path: str | None) -> None:
        """Decode and show ``path`` (None clears)."""
        self.generation += 1
        self.path, self.rgb = path, None
        self.boxes = []
        self._clear_boxes()
        if path is None:
            self.item.setPixmap(QPixmap())
            self.shown_image = None
            self.message.setPlainText("")
            return
        self.pool.start(_LoadTask(self._signals, self.generation, path, None, self.adjustments))

    def set_adjustments(self, adjustments: Adjustments) -> None:
        """Re-render with new adjustments (applied off the GUI thread)."""
        self.adjustments = adjustments
        if self.rgb is not None:
            self.generation += 1
            self.pool.start(
                _LoadTask(self._signals, self.generation, self.path, self.rgb, adjustments)
            )

    def _on_task_ready(self, generation: int, rgb, image, error: str) -> None:
        if generation != self.generation:
            return
        if image is None:
            self.show_message(error)
            return
        self.message.setPlainText("")
        self.rgb = rgb
        self.shown_image = image
        self.item.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(QRectF(self.item.pixmap().rect()))
        self._draw_boxes()
        if self.fitted:
            self.fit()
        self.image_shown.emit(self.path or "")

    def show_message(self, text: str) -> None:
        """No image, a sentence instead (wrapped to the viewer's width)."""
        self.item.setPixmap(QPixmap())
        self.shown_image = None
        self.message.setTextWidth(max(200, self.viewport().width() - 40))
        self.message.setPlainText(text)
        self.resetTransform()
        self.scene().setSceneRect(self.message.boundingRect())
        self.centerOn(self.message)

    def set_boxes(self, boxes: list[tuple]) -> None:
        """Detection boxes in normalised [x, y, w, h] with a caption each, most confident first
        (a sixth field "region" draws a localizer region rather than a detector's box).

        At most ``MAX_DRAWN_BOXES`` are drawn: a file with thousands of boxes on one frame must
        not hold the window (nobody reads more boxes than that on one image).
        """
        self.boxes = list(boxes[:MAX_DRAWN_BOXES])
        if self.rgb is not None:
            self._draw_boxes()

    def _clear_boxes(self) -> None:
        for item in self.scene().items():
            if item.data(0) == "box":
                self.scene().removeItem(item)

    def _draw_boxes(self) -> None:
        self._clear_boxes()
        pm = self.item.pixmap()
        if pm.isNull():
            return
        w, h = pm.width(), pm.height()
        for x, y, bw, bh, caption, *style in self.boxes:
            # A detector's boxes are solid; the built-in localizer's regions are dashed and paler.
            region = bool(style and style[0] == "region")
            colour = QColor("#9fd4ff") if region else QColor("#ffcc00")
            pen = QPen(colour, max(2, w // 400))
            pen.setStyle(Qt.PenStyle.DashLine if region else Qt.PenStyle.SolidLine)
            rect = self.scene().addRect(QRectF(x * w, y * h, bw * w, bh * h), pen)
            rect.setData(0, "box")
            text = self.scene().addSimpleText(caption)
            text.setBrush(colour)
            # Captions keep their screen size whatever the zoom.
            text.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            text.setPos(x * w, y * h)
            text.setData(0, "box")
            # A dark plate under the caption keeps it legible on pale and busy frames.
            plate = QGraphicsRectItem(text.boundingRect().adjusted(-2, -1, 2, 1), text)
            plate.setBrush(QColor(0, 0, 0, 170))
            plate.setPen(Qt.PenStyle.NoPen)
            plate.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)

    def fit(self) -> None:
        """Show the whole image."""
        self.fitted = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)

    def actual_size(self) -> None:
        """One image pixel per screen pixel."""
        self.fitted = False
        self.resetTransform()

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` around the mouse."""
        self.fitted = False
        self.scale(factor, factor)

    def wheelEvent(self, event) -> None:  # noqa: N802
        self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        super().mouseMoveEvent(event)
        if self.magnifier.isVisible():
            self.magnifier.follow(event.position().toPoint())

    def image_point(self, view_pos) -> tuple[float, float] | None:
        """Image pixel under a point of the viewport (None off the image)."""
        if self.item.pixmap().isNull():
            return None
        p = self.item.mapFromScene(self.mapToScene(view_pos))
        return p.x(), p.y()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fitted:
            self.fit()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Wait for a decode in flight."""
        self.generation += 1
        return self.pool.waitForDone(timeout_ms)

    def box_count(self) -> int:
        """Boxes drawn on the current image."""
        return sum(
            1 for item in self.scene().items() if item.data(0) == "box" and hasattr(item, "rect")
        )
