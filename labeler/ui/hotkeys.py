"""Configurable hotkeys: defaults in resources/hotkeys.json, user overrides in QSettings."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

import resources

DESCRIPTIONS = {
    "accept_1": "Accept suggestion 1",
    "accept_2": "Accept suggestion 2",
    "accept_3": "Accept suggestion 3",
    "accept_4": "Accept suggestion 4",
    "accept_5": "Accept suggestion 5",
    "accept_top_and_next": "Accept the top suggestion and go to the next image",
    "blank": "Mark blank (empty frame)",
    "human": "Mark human",
    "vehicle": "Mark vehicle",
    "burst_majority": "Give the burst its majority species",
    "select_burst": "Select every frame of the current burst",
    "label_bursts": "Give whole bursts the current image's label",
    "search": "Search species (type to complete; a new name adds a species)",
    "add_species": "Add a further species to the image",
    "count": "Edit the count",
    "clear": "Remove the labels of the selection",
    "next": "Next image",
    "previous": "Previous image",
    "undo": "Undo (bulk actions too)",
    "redo": "Redo",
    "history": "History of the image's labels",
    "fit": "Fit the image to the viewer",
    "actual_size": "Show the image at 1:1",
    "refresh_view": "Re-apply the filter",
    "review_mode": "Review mode: most useful image next",
    "help": "Show this list",
}


def load_hotkeys(settings: QSettings | None = None) -> dict[str, list[str]]:
    """Action name -> key sequences (portable text), user overrides applied."""
    keys = {k: list(v) for k, v in resources.read_json("hotkeys.json").items()}
    if settings is not None:
        for action in keys:
            value = settings.value(f"hotkeys/{action}")
            if value:
                keys[action] = [s for s in str(value).split(";") if s]
    return keys


def sequences(keys: list[str]) -> list[QKeySequence]:
    """Parse portable key texts."""
    return [QKeySequence(k) for k in keys]


class HotkeyHelpDialog(QDialog):
    """The help overlay: every action and its keys."""

    def __init__(self, hotkeys: dict[str, list[str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(hotkeys), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (action, keys) in enumerate(hotkeys.items()):
            table.setItem(row, 0, QTableWidgetItem("  or  ".join(keys)))
            table.setItem(row, 1, QTableWidgetItem(DESCRIPTIONS.get(action, action)))
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 640)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.table = table
