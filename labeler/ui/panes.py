"""Pieces of the window's layout: the viewer pane (toolbar, image, filmstrip) and the hint shown
before any folder is open."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSlider,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from labeler.ui.grid import FilmstripView
from labeler.ui.viewer import Adjustments, ImageViewer


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setMinimumWidth(180)
    s.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return s


class ViewerPane(QWidget):
    """The viewer with its toolbar (fit, 1:1, previous/next, magnifier, auto contrast, and the
    brightness/contrast/gamma sliders in a drop-down so that nothing hides at narrow widths)."""

    adjustments_changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.viewer = ImageViewer(self)
        self.strip = FilmstripView(self)
        self.bar = QToolBar(self)
        self.brightness = _slider(-100, 100, 0)
        self.contrast = _slider(20, 300, 100)
        self.gamma = _slider(30, 300, 100)
        self.auto = False
        box = QWidget()
        form = QFormLayout(box)
        form.addRow("Brightness", self.brightness)
        form.addRow("Contrast", self.contrast)
        form.addRow("Gamma", self.gamma)
        reset = QPushButton("Reset")
        reset.clicked.connect(self.reset)
        form.addRow("", reset)
        self.adjust = QToolButton(self)
        self.adjust.setText("Adjust")
        self.adjust.setToolTip("Brightness, contrast and gamma of the viewer")
        self.adjust.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        holder = QWidgetAction(self.adjust)
        holder.setDefaultWidget(box)
        self.adjust.addAction(holder)
        for s in (self.brightness, self.contrast, self.gamma):
            s.valueChanged.connect(self._emit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.viewer, 1)
        layout.addWidget(self.strip)

    def fill_bar(self, fit, actual, previous, next_, magnifier, auto) -> None:
        """Put the window's actions on the toolbar (they carry their keys)."""
        for action in (fit, actual, previous, next_, magnifier, auto):
            self.bar.addAction(action)
        self.bar.addWidget(self.adjust)

    def set_auto(self, on: bool) -> None:
        """Auto contrast for night IR frames."""
        self.auto = on
        self._emit()

    def reset(self) -> None:
        """Back to the image as it is."""
        for s, v in ((self.brightness, 0), (self.contrast, 100), (self.gamma, 100)):
            s.setValue(v)

    def current(self) -> Adjustments:
        """The adjustments as set."""
        return Adjustments(self.brightness.value() / 200, self.contrast.value() / 100,
                           self.gamma.value() / 100, self.auto)  # fmt: skip

    def _emit(self, *_args) -> None:
        a = self.current()
        self.viewer.set_adjustments(a)
        self.adjustments_changed.emit(a)


class EmptyHint(QWidget):
    """What the window shows before a folder is open: how to start, and the recent folders."""

    open_requested = Signal()
    recent_chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("<h2>Open a folder of camera-trap images</h2>"
                       "<p>Choose <b>File → Open folder</b> (Ctrl+O), or drop a folder on this "
                       "window. The folder is only read: the catalog lives in your data folder.</p>")  # fmt: skip
        title.setWordWrap(True)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Open folder…")
        self.button.clicked.connect(self.open_requested.emit)
        self.recent_title = QLabel("<b>Recent folders</b>")
        self.recent = QListWidget()
        self.recent.setMaximumHeight(180)
        self.recent.itemActivated.connect(lambda item: self.recent_chosen.emit(item.text()))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.recent_title, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.recent, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def set_recent(self, folders: list[str]) -> None:
        """The remembered folders."""
        self.recent.clear()
        self.recent.addItems(folders)
        self.recent.setVisible(bool(folders))
        self.recent_title.setVisible(bool(folders))
        self.recent.setMinimumWidth(min(700, max([len(f) for f in folders] + [20]) * 8))
