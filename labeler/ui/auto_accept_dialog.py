"""The auto-accept dialog: what would be accepted, the audited figures behind it, and a preview
of the images, lowest confidence first, before anything is written."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from labeler.core.audits import describe_audited
from labeler.ui.thumbnails import decode_thumbnail

PREVIEW_PX = 128


class _PreviewSignals(QObject):
    ready = Signal(int, QImage)


class _PreviewTask(QRunnable):
    """Decodes one preview thumbnail off the GUI thread (a QImage, never a QPixmap)."""

    def __init__(self, row: int, path: str, signals: _PreviewSignals):
        super().__init__()
        self.row, self.path, self.signals = row, path, signals

    def run(self) -> None:
        image = decode_thumbnail(self.path, None, PREVIEW_PX)
        if image is not None:
            self.signals.ready.emit(self.row, image)


class AutoAcceptDialog(QDialog):
    """Shows an auto-accept plan; ``exec()`` returns Accepted only when the person confirms."""

    def __init__(
        self,
        summary: dict,
        preview: list[tuple[int, str, str, float]],
        name_of: Callable[[str], str] = lambda k: k,
        parent=None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Auto-accept")
        self.resize(760, 640)
        layout = QVBoxLayout(self)
        self.summary_label = QLabel(describe_audited(summary, name_of), self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary_label)
        per = summary.get("per_species", {})
        self.table = QTableWidget(len(per), 6, self)
        self.table.setHorizontalHeaderLabels(
            [
                "Species",
                "Images",
                "Audited accuracy",
                "Lower bound (95%)",
                "Audits",
                "Expected errors",
            ]
        )
        for r, (key, s) in enumerate(per.items()):
            cells = [name_of(key), str(s["images"]), f"{s['estimate']:.1%}",
                     f"{s['lower_bound']:.1%}", f"{s['audits']:.0f}", f"{s['expected_errors']:.1f}"]  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setMaximumHeight(40 + 28 * max(1, len(per)))
        layout.addWidget(self.table)
        layout.addWidget(QLabel(f"Preview: the {len(preview)} least confident images first", self))
        self.preview = QListWidget(self)
        self.preview.setViewMode(QListWidget.ViewMode.IconMode)
        self.preview.setIconSize(QSize(PREVIEW_PX, PREVIEW_PX))
        self.preview.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.setUniformItemSizes(True)
        # A fixed cell (thumbnail and caption) from the start: icons arrive later, off the GUI
        # thread, and must not change the layout when they do.
        self.preview.setGridSize(QSize(PREVIEW_PX + 24, PREVIEW_PX + 40))
        self.preview.setWordWrap(True)
        self.preview.setMovement(QListWidget.Movement.Static)
        blank = QPixmap(PREVIEW_PX, PREVIEW_PX)
        blank.fill(Qt.GlobalColor.darkGray)
        placeholder = QIcon(blank)
        self._signals = _PreviewSignals(self)
        self._signals.ready.connect(self._on_preview_ready)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        for row, (_image_id, path, key, prob) in enumerate(preview):
            self.preview.addItem(QListWidgetItem(placeholder, f"{name_of(key)} {prob:.0%}"))
            self._pool.start(_PreviewTask(row, path, self._signals))
        layout.addWidget(self.preview, 1)
        n = summary.get("accepted", 0)
        self.buttons = QDialogButtonBox(self)
        self.accept_button = self.buttons.addButton(
            f"Accept {n} images as machine decisions", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.accept_button.setEnabled(n > 0)
        self.accept_button.setAutoDefault(False)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _on_preview_ready(self, row: int, image: QImage) -> None:
        item = self.preview.item(row)
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def done(self, result: int) -> None:
        """Close, letting preview decoding finish quietly first."""
        self._pool.clear()
        self._pool.waitForDone(2000)
        super().done(result)
