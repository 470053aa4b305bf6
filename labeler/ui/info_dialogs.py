"""Small windows: the keyboard list (?), About, and the list of backups to restore."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from labeler.ui.commands import Command


class KeysDialog(QDialog):
    """Every command and its keys (Escape or ? closes it; keys are changed in Preferences)."""

    def __init__(self, hotkeys: dict[Command, list[str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(c, k) for c, k in hotkeys.items() if k]
        table = QTableWidget(len(rows), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "What they do"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, (c, keys) in enumerate(rows):
            shown = ", ".join(
                QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys
            )
            table.setItem(r, 0, QTableWidgetItem(shown))
            table.setItem(r, 1, QTableWidgetItem(c.description))
        table.resizeColumnToContents(0)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table = table
        note = QLabel("Single keys act on the grid. Change any key in File → Preferences.")
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(note)
        for key in ("Escape", "?", "F1"):
            QShortcut(QKeySequence(key), self, self.close)
        self.resize(620, 640)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        # Focus comes here, so Escape reaches the list rather than the grid behind it.
        self.activateWindow()
        self.table.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        # The keys go back to the window that opened the list.
        if self.parentWidget() is not None:
            self.parentWidget().activateWindow()


class AboutDialog(QDialog):
    """Version, model in use, data folder, catalog and log file."""

    def __init__(self, facts: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("About the camera-trap labeler")
        self.facts = facts
        text = "<h3>Camera-trap labeler</h3><table>" + "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in facts.items()
        ) + "</table>"  # fmt: skip
        label = QLabel(text, self)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
        self.resize(640, 0)


class RestoreDialog(QDialog):
    """The catalog's verified backups, newest first; the chosen one replaces the catalog."""

    def __init__(self, backups: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Restore from a backup")
        self.list = QListWidget(self)
        for b in backups:
            item = QListWidgetItem(b.rsplit("/", 1)[-1])
            item.setData(Qt.ItemDataRole.UserRole, b)
            item.setToolTip(b)
            self.list.addItem(item)
        if backups:
            self.list.setCurrentRow(0)
        text = ("The current catalog is set aside (never deleted) and the backup you choose takes its "
                "place." if backups else "There are no backups of this catalog yet.")  # fmt: skip
        info = QLabel(text, self)
        info.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Restore")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(backups))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def chosen(self) -> str | None:
        """Path of the backup chosen."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None


def tell(parent, title: str, text: str, *, question: bool = False, on_yes=None) -> QMessageBox:
    """A message (or a yes/no question) that does not stop the event loop while it is open."""
    icon = QMessageBox.Icon.Question if question else QMessageBox.Icon.Warning
    buttons = (
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        if question
        else QMessageBox.StandardButton.Ok
    )
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if question and on_yes is not None:
        box.accepted.connect(on_yes)
    box.open()
    return box
