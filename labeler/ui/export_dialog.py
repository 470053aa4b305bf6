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
    ExportFormat.TIMELAPSE: ("Timelapse CSV", "timelapse.csv", "CSV (*.csv)"),
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
        self.deployments.setPlaceholderText("optional: CSV of camera coordinates and time zones")
        self.project = QLineEdit(self)
        self.project.setPlaceholderText(
            "optional: project settings JSON (title, contributors, licenses)"
        )
        self.allow_incomplete = QCheckBox(
            "Write the package even if deployments lack coordinates", self
        )
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
        self.project_row = _path_row(self, self.project, self._browse_project)
        form.addRow("Project", self.project_row)
        form.addRow("", self.allow_incomplete)
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
        camtrap = fmt is ExportFormat.CAMTRAPDP
        self.suggestions.setEnabled(csv)
        self.labeled_only.setEnabled(
            (csv and not self.suggestions.isChecked()) or fmt is ExportFormat.TIMELAPSE
        )
        for w in (self.deployments_row, self.project_row, self.allow_incomplete):
            w.setEnabled(camtrap)
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

    def _browse_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Project settings", self.start_dir, "JSON (*.json)"
        )
        if path:
            self.project.setText(path)

    def _browse_deployments(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Deployments CSV", self.start_dir, "CSV (*.csv)"
        )
        if path:
            self.deployments.setText(path)

    def request(self) -> ExportRequest:
        """The export as chosen."""
        fmt = self.chosen()
        csv, camtrap = fmt is ExportFormat.CSV, fmt is ExportFormat.CAMTRAPDP
        deps, project = self.deployments.text().strip(), self.project.text().strip()
        return ExportRequest(
            fmt,
            self.out.text().strip(),
            suggestions=csv and self.suggestions.isChecked(),
            labeled_only=self.labeled_only.isEnabled() and self.labeled_only.isChecked(),
            deployments=deps if camtrap and deps else None,
            project=project if camtrap and project else None,
            allow_incomplete=camtrap and self.allow_incomplete.isChecked(),
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
        elif r.project and not os.path.isfile(r.project):
            self.message.setText(f"No project settings file at {r.project}.")
        else:
            self.accept()
