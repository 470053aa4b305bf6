"""File → Deployments: each camera folder's coordinates, time zone and description."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from labeler.core.exchange.deployments import check_fact
from labeler.core.exchange.validate import BadValue

EDITABLE = [
    ("latitude", "Latitude", float), ("longitude", "Longitude", float), ("timezone", "Time zone", str),
    ("utc_offset", "UTC offset", str),
    ("location_name", "Location name", str), ("deployment_start", "Start (local)", str),
    ("deployment_end", "End (local)", str), ("camera_height", "Camera height (m)", float),
    ("habitat", "Habitat", str), ("comments", "Comments", str),
]  # fmt: skip


class DeploymentsDialog(QDialog):
    """Edit each camera folder's coordinates, time zone and description."""

    def __init__(self, deployments: dict[str, dict], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Deployments (one per camera folder)")
        self.folders = list(deployments)
        table = QTableWidget(len(self.folders), 3 + len(EDITABLE), self)
        table.setHorizontalHeaderLabels(
            ["Folder", "Images", "First image"] + [e[1] for e in EDITABLE]
        )
        for r, folder in enumerate(self.folders):
            d = deployments[folder]
            for c, value in enumerate(
                [folder or ".", str(d.get("images", "")), d.get("first_image") or ""]
            ):
                item = QTableWidgetItem(value)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                table.setItem(r, c, item)
            for c, (key, _title, _kind) in enumerate(EDITABLE, start=3):
                v = d.get(key)
                table.setItem(r, c, QTableWidgetItem("" if v is None else str(v)))
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table = table
        self.message = QLabel("Camtrap DP needs latitude and longitude for every deployment; times are the "
                              "cameras' local times, so give each camera's time zone (e.g. Europe/Brussels, "
                              "daylight saving time included) or a fixed UTC offset (e.g. +02:00).")  # fmt: skip
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(1100, 420)

    def values(self) -> tuple[dict[str, dict], list[str]]:
        """Edited facts per folder, and the cells that could not be read."""
        out, problems = {}, []
        for r, folder in enumerate(self.folders):
            facts = {}
            for c, (key, _title, _kind) in enumerate(EDITABLE, start=3):
                text = (self.table.item(r, c).text() if self.table.item(r, c) else "").strip()
                if not text:
                    facts[key] = None
                    continue
                try:
                    facts[key] = check_fact(key, text)
                except BadValue as exc:
                    problems.append(f"{folder or '.'}: {exc}")
            out[folder] = facts
        return out, problems
