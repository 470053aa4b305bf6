"""The suggestion panel: top-5 with confidence bars, species search with completion, count,
quick buttons and the current labels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from labeler.ui.models import SpeciesModel, SuggestionModel


class SuggestionDelegate(QStyledItemDelegate):
    """A suggestion row: number key, name, and a bar as long as its probability."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(200, 30)

    def paint(self, p: QPainter, option, index) -> None:
        score = index.data(SuggestionModel.ScoreRole) or 0.0
        r = option.rect.adjusted(2, 2, -2, -2)
        p.save()
        if option.state & QStyle.StateFlag.State_Selected:
            p.fillRect(r, option.palette.highlight())
        bar = QRect(r.x(), r.bottom() - 6, int(r.width() * max(0.0, min(1.0, score))), 5)
        p.fillRect(QRect(r.x(), r.bottom() - 6, r.width(), 5), QColor("#dddddd"))
        p.fillRect(bar, QColor("#3b7dd8"))
        p.setPen(option.palette.text().color())
        p.drawText(r.adjusted(4, 0, -4, -7), Qt.AlignmentFlag.AlignVCenter, str(index.data()))
        p.restore()


class SuggestionPanel(QWidget):
    """Everything about the current image's decision."""

    suggestion_chosen = Signal(int)
    species_chosen = Signal(str, bool)
    new_species_requested = Signal(str, bool)
    count_changed = Signal(int)
    blank_requested = Signal()
    human_requested = Signal()
    vehicle_requested = Signal()
    majority_requested = Signal()
    history_requested = Signal()
    note_changed = Signal(str)
    done_typing = Signal()

    def __init__(self, species: SpeciesModel, parent=None):
        super().__init__(parent)
        self.setMinimumWidth(300)
        self.species_model = species
        self.title = QLabel("No image")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.current = QLabel("")
        self.current.setWordWrap(True)
        self.empty = QLabel("")
        self.suggestions = SuggestionModel(self)
        self.list = QListView(self)
        self.list.setModel(self.suggestions)
        self.list.setItemDelegate(SuggestionDelegate(self.list))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setFixedHeight(5 * 32 + 6)
        self.list.clicked.connect(lambda idx: self.suggestion_chosen.emit(idx.row() + 1))
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search species…  (Enter: set, Ctrl+Enter: add another)")
        self.search.setClearButtonEnabled(True)
        completer = QCompleter(species, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(12)
        self.completer = completer
        self.search.setCompleter(completer)
        self.search.installEventFilter(self)
        self.add_prompt = QLabel("")
        self.add_prompt.setWordWrap(True)
        self.add_prompt.setStyleSheet("color: #b05a00")
        self._pending_new: tuple[str, bool] | None = None
        self.count = QSpinBox(self)
        self.count.setRange(0, 999)
        self.count.setSpecialValueText("not counted")
        self.count.setToolTip("C edits the count; Enter saves it, Escape goes back to the grid")
        self.count.installEventFilter(self)
        self.count.editingFinished.connect(self._commit_count)
        self._shown_count = 0
        self.note = QLineEdit(self)
        self.note.setPlaceholderText("Note about this image (T; Enter saves)")
        self.note.setClearButtonEnabled(True)
        self.note.installEventFilter(self)
        self._shown_note = ""
        buttons = QGridLayout()
        for col, (text, signal) in enumerate(
            [("Blank (E)", self.blank_requested), ("Human (H)", self.human_requested),
             ("Vehicle (V)", self.vehicle_requested)]
        ):  # fmt: skip
            b = QPushButton(text, self)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(signal.emit)
            buttons.addWidget(b, 0, col)
        majority = QPushButton("Burst majority (M)", self)
        majority.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        majority.clicked.connect(self.majority_requested.emit)
        history = QPushButton("History (Ctrl+I)", self)
        history.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        history.clicked.connect(self.history_requested.emit)
        buttons.addWidget(majority, 1, 0, 1, 2)
        buttons.addWidget(history, 1, 2)
        form = QFormLayout()
        form.addRow("Labels:", self.current)
        form.addRow("Count:", self.count)
        form.addRow("Note:", self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(QLabel("<b>Suggestions</b> (keys 1–5)"))
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addWidget(self.search)
        layout.addWidget(self.add_prompt)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(obj, event)
        key = event.key()
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if obj is self.search:
            if enter:
                popup = self.completer.popup()
                if popup.isVisible() and popup.currentIndex().isValid():
                    return False  # let the completer fill in its choice first
                popup.hide()
                self._submit(bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))
                return True
            if key == Qt.Key.Key_Escape:
                self._pending_new = None
                self.add_prompt.setText("")
                self.search.clear()
                self.done_typing.emit()
                return True
        elif obj is self.count and (enter or key == Qt.Key.Key_Escape):
            if enter:
                self.count.interpretText()
                self._commit_count()
            else:
                self.count.setValue(self._shown_count)
            self.done_typing.emit()
            return True
        elif obj is self.note and (enter or key == Qt.Key.Key_Escape):
            if enter and self.note.text() != self._shown_note:
                self._shown_note = self.note.text()
                self.note_changed.emit(self.note.text())
            elif not enter:
                self.note.setText(self._shown_note)
            self.done_typing.emit()
            return True
        return super().eventFilter(obj, event)

    def _commit_count(self) -> None:
        if self.count.value() != self._shown_count:
            self._shown_count = self.count.value()
            self.count_changed.emit(self.count.value())

    def focus_count(self) -> None:
        """Put the cursor in the count (Enter saves, Escape goes back)."""
        self.count.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.count.selectAll()

    def focus_note(self) -> None:
        """Put the cursor in the note (Enter saves, Escape goes back)."""
        self.note.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.note.selectAll()

    def matches(self, text: str) -> list[str]:
        """Keys of the species whose shown name contains ``text`` (what the completer offers)."""
        t = text.strip().casefold()
        return [
            key
            for key, name, sci in self.species_model.items
            if t in (f"{name} ({sci})" if sci else name).casefold()
        ]

    def focus_search(self, additional: bool = False) -> None:
        """Put the cursor in the species search."""
        self._additional = additional
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _submit(self, additional: bool) -> None:
        text = self.search.text().strip()
        additional = additional or getattr(self, "_additional", False)
        if not text:
            return
        if self._pending_new is not None and self._pending_new[0] == text:
            name, add = self._pending_new
            self._pending_new = None
            self.add_prompt.setText("")
            self.search.clear()
            self._additional = False
            self.new_species_requested.emit(name, add or additional)
            self.done_typing.emit()
            return
        key = self.species_model.key_for_text(text)
        if key is None:
            found = self.matches(text)
            if len(found) == 1:
                key = found[0]
            elif found:
                # Several species match: choosing is the user's; nothing new is offered.
                self._pending_new = None
                self.add_prompt.setText(
                    f"{len(found)} species match “{text}”: pick one with ↓ and Enter, or type more."
                )
                self.completer.setCompletionPrefix(text)
                self.completer.complete()
                return
        if key is None:
            self._pending_new = (text, additional)
            self.add_prompt.setText(
                f"“{text}” is not in the species list. Press Enter again to add it."
            )
            return
        self._pending_new = None
        self.add_prompt.setText("")
        self.search.clear()
        self._additional = False
        self.species_chosen.emit(key, additional)
        self.done_typing.emit()

    def show_image(
        self,
        title: str,
        labels: str,
        suggestions,
        empty_score: float | None,
        count: int | None,
        note: str = "",
    ) -> None:
        """Fill the panel for the current image."""
        self.title.setText(title)
        self.current.setText(labels or "<i>not labeled</i>")
        self.suggestions.set_items(suggestions)
        self.empty.setText("" if empty_score is None else f"Empty-frame score: {empty_score:.0%}")
        self._shown_count = count or 0
        self.count.blockSignals(True)
        self.count.setValue(self._shown_count)
        self.count.blockSignals(False)
        self._shown_note = note
        self.note.setText(note)
