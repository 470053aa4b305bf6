"""File → Export: each format with the options of ``labeler export``, and where to write it."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from labeler.core.exchange_jobs import ExportFormat, ExportRequest

FORMATS = {
    ExportFormat.CSV: ("CSV (one row per decision)", "labels.csv", "CSV (*.csv)"),
    ExportFormat.CAMTRAPDP: ("Camtrap DP 1.0 package (a folder)", "camtrap-dp", None),
    ExportFormat.MEGADETECTOR: ("MegaDetector JSON (for Timelapse)", "megadetector.json", "JSON (*.json)"),
    ExportFormat.COCO: ("COCO Camera Traps JSON", "coco-camera-traps.json", "JSON (*.json)"),
}  # fmt: skip


def _path_row(parent: QWidget, edit: QLineEdit, browse) -> QWidget:
    row = QWidget(parent)
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    button = QPushButton("Browse…", row)
    button.clicked.connect(browse)
    lay.addWidget(button)
    return row


class ExportDialog(QDialog):
    """Pick a format, its options and a destination; ``request()`` is the export to run."""

    def __init__(self, start_dir: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.start_dir = start_dir
        self.format = QComboBox(self)
        for fmt, (text, _name, _pattern) in FORMATS.items():
            self.format.addItem(text, fmt)
        self.suggestions = QCheckBox("Suggestions instead of decisions (top-5 per image)", self)
        self.labeled_only = QCheckBox("Leave out images without a decision", self)
        self.deployments = QLineEdit(self)
        self.deployments.setPlaceholderText("optional: CSV of camera coordinates and UTC offsets")
        self.out = QLineEdit(self)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c03030")
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("", self.suggestions)
        form.addRow("", self.labeled_only)
        self.deployments_row = _path_row(self, self.deployments, self._browse_deployments)
        form.addRow("Deployments", self.deployments_row)
        form.addRow("Write to", _path_row(self, self.out, self._browse_out))
        form.addRow(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self.suggestions.toggled.connect(self._on_format_changed)
        self._on_format_changed()
        self.resize(620, 0)

    def chosen(self) -> ExportFormat:
        """The format picked."""
        return self.format.currentData()

    def choose(self, fmt: ExportFormat) -> None:
        """Pick a format (as a click on the list would)."""
        self.format.setCurrentIndex(self.format.findData(fmt))

    def _on_format_changed(self, *_args) -> None:
        fmt = self.chosen()
        csv = fmt is ExportFormat.CSV
        self.suggestions.setEnabled(csv)
        self.labeled_only.setEnabled(csv and not self.suggestions.isChecked())
        self.deployments_row.setEnabled(fmt is ExportFormat.CAMTRAPDP)
        name = FORMATS[fmt][1]
        if csv and self.suggestions.isChecked():
            name = "suggestions.csv"
        current = self.out.text().strip()
        folder = os.path.dirname(current) if current else self.start_dir
        self.out.setText(os.path.join(folder, name))

    def _browse_out(self) -> None:
        fmt = self.chosen()
        if FORMATS[fmt][2] is None:
            folder = QFileDialog.getExistingDirectory(
                self, "Folder for the package", self.start_dir
            )
            if folder:
                self.out.setText(os.path.join(folder, FORMATS[fmt][1]))
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text(), FORMATS[fmt][2])
        if path:
            self.out.setText(path)

    def _browse_deployments(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Deployments CSV", self.start_dir, "CSV (*.csv)"
        )
        if path:
            self.deployments.setText(path)

    def request(self) -> ExportRequest:
        """The export as chosen."""
        fmt = self.chosen()
        csv = fmt is ExportFormat.CSV
        deps = self.deployments.text().strip()
        return ExportRequest(
            fmt,
            self.out.text().strip(),
            suggestions=csv and self.suggestions.isChecked(),
            labeled_only=csv and not self.suggestions.isChecked() and self.labeled_only.isChecked(),
            deployments=deps if fmt is ExportFormat.CAMTRAPDP and deps else None,
        )

    def _on_accept(self) -> None:
        r = self.request()
        parent = os.path.dirname(r.out) or "."
        if not r.out:
            self.message.setText("Say where to write the export.")
        elif not os.path.isdir(parent):
            self.message.setText(f"The folder {parent} does not exist.")
        elif r.deployments and not os.path.isfile(r.deployments):
            self.message.setText(f"No deployments file at {r.deployments}.")
        else:
            self.accept()
