"""Edit → Species list: rename, merge, hide or show, and delete species no label uses."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

HEADERS = ["Name", "Scientific name", "Type", "Added by", "Suggested", "Labels"]


class SpeciesDialog(QDialog):
    """The project's species list; every change is asked of the window through a signal."""

    rename_requested = Signal(str, str)
    merge_requested = Signal(str, str)
    hide_requested = Signal(str, bool)
    delete_unused_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Species list")
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter by name…")
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.itemChanged.connect(self._on_item_changed)
        self._names: dict[str, str] = {}
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.merge_target = QComboBox(self)
        self.merge_target.setMinimumWidth(200)
        rename = QPushButton("Rename…", self)
        rename.clicked.connect(self._on_rename)
        merge = QPushButton("Merge into:", self)
        merge.clicked.connect(self._on_merge)
        self.merge_button = merge
        self.hide_button = QPushButton("Hide / show", self)
        self.hide_button.clicked.connect(self._on_hide)
        self.delete_button = QPushButton("Delete unused", self)
        self.delete_button.setToolTip("Remove species you added that no label uses")
        self.delete_button.clicked.connect(self.delete_unused_requested.emit)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        for w in (rename, merge, self.merge_target, self.hide_button, self.delete_button):
            row.addWidget(w)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.keys: list[str] = []
        self.resize(820, 560)

    def set_species(self, rows: list, usage: dict[str, int]) -> None:
        """Fill the table from ``store.species()`` rows and label counts."""
        selected = self.selected()
        self.keys = [s.key for s in rows]
        self._names = {s.key: s.common_name for s in rows}
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, s in enumerate(rows):
            values = [s.common_name, s.scientific_name or "", s.observation_type,
                      "you" if s.source == "user" else s.source, "yes" if s.active else "no",
                      str(usage.get(s.key, 0))]  # fmt: skip
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, s.key)
                if c != 0:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.merge_target.clear()
        for s in rows:
            self.merge_target.addItem(s.common_name, s.key)
        if selected in self.keys:
            self.select(selected)
        self._apply_filter(self.filter.text())

    def select(self, key: str) -> None:
        """Select a species' row."""
        if key in self.keys:
            self.table.selectRow(self.keys.index(key))

    def selected(self) -> str | None:
        """Key of the selected species."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.keys[rows[0].row()] if rows else None

    def _apply_filter(self, text: str) -> None:
        t = text.strip().casefold()
        for r in range(self.table.rowCount()):
            name = self.table.item(r, 0).text().casefold()
            sci = self.table.item(r, 1).text().casefold()
            self.table.setRowHidden(r, bool(t) and t not in name and t not in sci)

    def _on_rename(self) -> None:
        key = self.selected()
        if key is None:
            self.message.setText("Select a species first.")
            return
        self.table.editItem(self.table.item(self.keys.index(key), 0))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        key = item.data(Qt.ItemDataRole.UserRole)
        name = item.text().strip()
        if not name or name == self._names.get(key):
            item.setText(self._names.get(key, ""))
            return
        self.rename_requested.emit(key, name)

    def _on_merge(self) -> None:
        key, target = self.selected(), self.merge_target.currentData()
        if key is None or target is None or key == target:
            self.message.setText("Select a species, then the species to merge it into.")
            return
        self.merge_requested.emit(key, target)

    def _on_hide(self) -> None:
        key = self.selected()
        if key is None:
            self.message.setText("Select a species first.")
            return
        shown = self.table.item(self.keys.index(key), 4).text() == "yes"
        self.hide_requested.emit(key, shown)
