"""Exports, imports and the deployments editor, as the window offers them."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
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
from labeler.core.generators import run_to_end
from labeler.ui import jobs

EXPORTS = {
    "csv": ("Labels as CSV…", "CSV (*.csv)", "labels.csv"),
    "suggestions": ("Suggestions as CSV (top-5 per image)…", "CSV (*.csv)", "suggestions.csv"),
    "camtrapdp": ("Camtrap DP package…", None, "camtrap-dp"),
    "megadetector": ("MegaDetector JSON (for Timelapse)…", "JSON (*.json)", "megadetector.json"),
    "coco": ("COCO Camera Traps JSON…", "JSON (*.json)", "coco-camera-traps.json"),
    "timelapse": ("Timelapse CSV…", "CSV (*.csv)", "timelapse.csv"),
}
EDITABLE = [
    ("latitude", "Latitude", float), ("longitude", "Longitude", float), ("timezone", "Time zone", str),
    ("utc_offset", "UTC offset", str),
    ("location_name", "Location name", str), ("deployment_start", "Start (local)", str),
    ("deployment_end", "End (local)", str), ("camera_height", "Camera height (m)", float),
    ("habitat", "Habitat", str), ("comments", "Comments", str),
]  # fmt: skip


class ExchangeController(QObject):
    """Runs exports in workers and imports on the writer; reports through signals."""

    progress = Signal(str, int)
    finished = Signal(str, dict)
    failed = Signal(str, str)

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.project = project

    def export(self, kind: str, out: str) -> None:
        """Write an export in the background."""
        p = self.project
        p.runner.start(
            jobs.export_job, p.db_path, kind, out, p.model_id,
            on_yield=lambda n: self.progress.emit(kind, int(n)),
            on_return=lambda report: self.finished.emit(kind, report),
            on_error=lambda exc, _tb: self.failed.emit(kind, str(exc)),
        )  # fmt: skip

    def import_file(self, kind: str, source: str) -> None:
        """Import labels (csv) or detections (megadetector) through the writer."""
        from labeler.core.exchange.camtrapdp_in import import_camtrapdp
        from labeler.core.exchange.csv_io import import_csv
        from labeler.core.exchange.megadetector import import_megadetector
        from labeler.core.exchange.timelapse import import_timelapse

        session = self.project.session

        def fn(store, path):
            if kind == "csv":
                return run_to_end(import_csv(store, path, session=session))
            if kind == "timelapse":
                return run_to_end(import_timelapse(store, path, session=session))
            if kind == "camtrapdp":
                return run_to_end(import_camtrapdp(store, path, session=session))
            return run_to_end(import_megadetector(store, path))

        def done(report) -> None:
            if kind != "megadetector" and report.action_id is not None:
                self.project.label_committed.emit("import", report.images_updated)
            self.project.reload_snapshot()
            self.finished.emit(f"import-{kind}", report.to_json())

        self.project.submit(
            fn,
            source,
            on_done=done,
            on_error=lambda exc: self.failed.emit(f"import-{kind}", str(exc)),
        )


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
