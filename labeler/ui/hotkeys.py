"""Configurable hotkeys: defaults in resources/hotkeys.json, user overrides in QSettings."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
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
    """The help overlay: every action and its keys; keys can be edited and saved."""

    hotkeys_changed = Signal(dict)

    def __init__(
        self, hotkeys: dict[str, list[str]], parent=None, settings: QSettings | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.settings = settings
        self.actions = list(hotkeys)
        table = QTableWidget(len(hotkeys), 2, self)
        table.setHorizontalHeaderLabels(["Keys (edit; separate alternatives with ;)", "Action"])
        table.verticalHeader().setVisible(False)
        for row, (action, keys) in enumerate(hotkeys.items()):
            table.setItem(row, 0, QTableWidgetItem("; ".join(keys)))
            desc = QTableWidgetItem(DESCRIPTIONS.get(action, action))
            desc.setFlags(desc.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, 1, desc)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnToContents(0)
        self.message = QLabel("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
                                   | QDialogButtonBox.StandardButton.RestoreDefaults, self)  # fmt: skip
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults
        )
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(680, 660)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.table = table

    def edited(self) -> tuple[dict[str, list[str]], list[str]]:
        """Keys per action as typed, and the texts that are not key sequences."""
        out, bad = {}, []
        for row, action in enumerate(self.actions):
            texts = [t.strip() for t in self.table.item(row, 0).text().split(";") if t.strip()]
            for t in texts:
                if QKeySequence(t).isEmpty() or QKeySequence(t).toString() == "":
                    bad.append(t)
            out[action] = texts
        return out, bad

    def save(self) -> None:
        """Store the edited keys in the settings and apply them."""
        keys, bad = self.edited()
        if bad:
            self.message.setText(f"Not a key: {', '.join(bad)}")
            return
        if self.settings is not None:
            for action, texts in keys.items():
                self.settings.setValue(f"hotkeys/{action}", ";".join(texts))
        self.message.setText("Saved.")
        self.hotkeys_changed.emit(keys)

    def restore_defaults(self) -> None:
        """Forget the user's keys."""
        if self.settings is not None:
            self.settings.remove("hotkeys")
        defaults = load_hotkeys(None)
        for row, action in enumerate(self.actions):
            self.table.item(row, 0).setText("; ".join(defaults.get(action, [])))
        self.hotkeys_changed.emit(defaults)
