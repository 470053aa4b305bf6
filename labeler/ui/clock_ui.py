"""Correcting a camera's clock from the window: a small dialog over :mod:`labeler.core.clock`."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
)

from labeler.core.clock import ClockError, describe_shift, parse_shift
from labeler.core.timezones import corrected


def shown_time(reading: str | None, offset_s: int | None) -> str:
    """A frame's time as the window shows it: corrected, with the correction named."""
    t = corrected(reading, offset_s)
    if t is None:
        return "no capture time"
    text = t.isoformat(sep=" ")
    if offset_s:
        text += f" (camera clock corrected {describe_shift(offset_s)})"
    return text


class ClockDialog(QDialog):
    """Shift the selection or the current image's deployment, by an offset or to a known time."""

    def __init__(self, folder: str, selected: int, current_time: dt.datetime | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Correct camera clock")
        self.current_time = current_time
        self.whole = QRadioButton(f"Every image of the deployment {folder or '.'!r}")
        self.selection = QRadioButton(f"The {selected} selected image(s)")
        self.whole.setChecked(True)
        self.selection.setEnabled(selected > 0)
        self.by_shift = QRadioButton("Shift the times by")
        self.shift = QLineEdit("+1:00:00")
        self.shift.setPlaceholderText("+1:00:00, -0:30, +3600 or -1d2h")
        self.by_time = QRadioButton("The current frame was really taken at")
        self.true_time = QDateTimeEdit()
        self.true_time.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        if current_time is not None:
            self.true_time.setDateTime(QDateTime(current_time))
        else:
            self.by_time.setEnabled(False)
        self.by_shift.setChecked(True)
        self.message = QLabel("Times in every export follow the correction; it can be undone.")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.whole)
        form.addRow(self.selection)
        form.addRow(self.by_shift, self.shift)
        form.addRow(self.by_time, self.true_time)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def seconds(self) -> int:
        """The shift asked for (ClockError when it cannot be read)."""
        if self.by_time.isChecked():
            if self.current_time is None:
                raise ClockError("the current frame has no capture time")
            wanted = self.true_time.dateTime().toPython()
            return int(round((wanted - self.current_time).total_seconds()))
        return parse_shift(self.shift.text())

    def accept(self) -> None:
        """Close only when the shift can be read; otherwise say why and stay open."""
        try:
            self.seconds()
        except ClockError as exc:
            self.message.setText(str(exc))
            return
        super().accept()
