"""File → Preferences: the observer's name, burst gap, audit share, target accuracy and keys."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from labeler.ui.commands import Command, conflicts, default_hotkeys, load_hotkeys, save_hotkeys
from labeler.ui.session import settings_value

DEFAULT_GAP_S = 60.0
DEFAULT_AUDIT = 0.2
DEFAULT_TARGET = 0.966


@dataclass
class Preferences:
    """The user's settings that the app acts on."""

    observer: str
    burst_gap_s: float = DEFAULT_GAP_S
    audit_share: float = DEFAULT_AUDIT
    target_accuracy: float = DEFAULT_TARGET
    hotkeys: dict[Command, list[str]] = field(default_factory=default_hotkeys)

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        """Read them (defaults for what was never set)."""
        return cls(
            observer=settings_value(settings, "observer", "", str)
            or os.environ.get("USER")
            or "observer",
            burst_gap_s=settings_value(settings, "burst_gap_s", DEFAULT_GAP_S, float),
            audit_share=settings_value(settings, "audit_share", DEFAULT_AUDIT, float),
            target_accuracy=settings_value(settings, "target_accuracy", DEFAULT_TARGET, float),
            hotkeys=load_hotkeys(settings),
        )

    def save(self, settings: QSettings) -> None:
        """Write them."""
        settings.setValue("observer", self.observer)
        settings.setValue("burst_gap_s", self.burst_gap_s)
        settings.setValue("audit_share", self.audit_share)
        settings.setValue("target_accuracy", self.target_accuracy)
        save_hotkeys(settings, self.hotkeys)


def _spin(lo: float, hi: float, value: float, suffix: str, decimals: int = 1) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class PreferencesDialog(QDialog):
    """Edits :class:`Preferences`; keys are typed into key editors, and a key given to two
    commands is refused."""

    KEYS_PER_COMMAND = 2

    def __init__(self, prefs: Preferences, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.observer = QLineEdit(prefs.observer, self)
        self.observer.setToolTip("Recorded with every decision you make")
        self.gap = _spin(1, 86400, prefs.burst_gap_s, " s", 0)
        self.gap.setToolTip(
            "Frames of one camera closer than this form a burst (rescans the folder)"
        )
        self.audit = _spin(0, 50, prefs.audit_share * 100, " %")
        self.audit.setToolTip("Share of review-mode images drawn at random to audit the model "
                              "(a setting of the open project)")  # fmt: skip
        self.target = _spin(50, 99.9, prefs.target_accuracy * 100, " %")
        self.target.setToolTip("Accuracy auto-accept aims for, measured on your verified labels")
        self.commands = list(Command)
        self.keys = QTableWidget(len(self.commands), 1 + self.KEYS_PER_COMMAND, self)
        self.keys.setHorizontalHeaderLabels(["Command", "Key", "Other key"])
        self.keys.verticalHeader().setVisible(False)
        self.keys.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.editors: dict[Command, list[QKeySequenceEdit]] = {}
        for row, c in enumerate(self.commands):
            self.keys.setItem(row, 0, QTableWidgetItem(c.description))
            current = prefs.hotkeys.get(c, [])
            editors = []
            for col in range(self.KEYS_PER_COMMAND):
                edit = QKeySequenceEdit(QKeySequence(current[col] if col < len(current) else ""))
                edit.setClearButtonEnabled(True)
                edit.keySequenceChanged.connect(lambda *_: self._check())
                self.keys.setCellWidget(row, 1 + col, edit)
                editors.append(edit)
            self.editors[c] = editors
        self.keys.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.keys.setMinimumHeight(280)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c03030")
        form = QFormLayout()
        form.addRow("Observer name", self.observer)
        form.addRow("Burst gap", self.gap)
        form.addRow("Audit share (this project's review)", self.audit)
        form.addRow("Target accuracy (auto-accept)", self.target)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_default_keys
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Keys (click a box and press the key; the cross clears it)"))
        layout.addWidget(self.keys, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(640, 720)

    def hotkeys(self) -> dict[Command, list[str]]:
        """The keys as edited (portable text)."""
        return {
            c: [e.keySequence().toString() for e in eds if not e.keySequence().isEmpty()]
            for c, eds in self.editors.items()
        }

    def set_key(self, command: Command, text: str, slot: int = 0) -> None:
        """Give a command a key (what typing it into the editor does)."""
        self.editors[command][slot].setKeySequence(QKeySequence(text))

    def _check(self) -> list[str]:
        problems = conflicts(self.hotkeys())
        self.message.setText(
            "; ".join(problems[:3]) + (" — choose another key." if problems else "")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problems)
        return problems

    def restore_default_keys(self) -> None:
        """Every command back to its keys out of the box."""
        defaults = default_hotkeys()
        for c, eds in self.editors.items():
            for col, e in enumerate(eds):
                keys = defaults.get(c, [])
                e.setKeySequence(QKeySequence(keys[col] if col < len(keys) else ""))
        self._check()

    def preferences(self) -> Preferences:
        """The preferences as edited."""
        return Preferences(
            observer=self.observer.text().strip() or "observer",
            burst_gap_s=self.gap.value(),
            audit_share=self.audit.value() / 100,
            target_accuracy=self.target.value() / 100,
            hotkeys=self.hotkeys(),
        )

    def _on_save(self) -> None:
        if not self._check():
            self.accept()
