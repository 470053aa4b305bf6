"""The filter bar: which images the grid shows and in what order, remembered between sessions."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSlider, QSpinBox, QToolBar

from labeler.core.catalog_view import FilterSpec
from labeler.ui.session import SessionMemory

FILTER_CHOICES = [
    ("All images", "all"),
    ("Unlabeled", "unlabeled"),
    ("Labeled", "labeled"),
    ("By species…", "species"),
    ("Predicted blank", "predicted_blank"),
    ("Accepted by the model", "machine"),
    ("Problems", "problems"),
]
ORDER_CHOICES = [
    ("By time", "time"),
    ("Most uncertain first", "uncertain_first"),
    ("Most likely empty first", "blank_score"),
    ("By path", "path"),
]
REVIEW = ("Most useful first (review)", "review")


class FilterBar(QToolBar):
    """Show / species / empty score / order / camera / this burst only."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__("Filters", parent)
        self.setObjectName("filters")
        self.kind = QComboBox(self)
        for text, key in FILTER_CHOICES:
            self.kind.addItem(text, key)
        self.species = QComboBox(self)
        self.species.setMinimumWidth(160)
        self.blank_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.blank_slider.setRange(0, 100)
        self.blank_slider.setValue(80)
        self.blank_slider.setPageStep(5)
        # Wide enough that a pixel of mouse movement is well under one percent.
        self.blank_slider.setFixedWidth(200)
        self.blank_value = QSpinBox(self)
        self.blank_value.setRange(0, 100)
        self.blank_value.setSuffix(" %")
        self.blank_value.setPrefix("≥ ")
        self.blank_value.setValue(80)
        self.order = QComboBox(self)
        for text, key in ORDER_CHOICES:
            self.order.addItem(text, key)
        self.folder = QComboBox(self)
        self.folder.setMinimumWidth(140)
        self.folders: list[str | None] = [None]
        self.wanted_species = ""
        self.folder.addItem("All cameras")
        self.burst_only = QCheckBox("This burst only", self)
        for w in (self.kind, self.species, self.order, self.folder, self.blank_slider,
                  self.blank_value, self.burst_only):  # fmt: skip
            w.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.addWidget(QLabel(" Show "))
        self.addWidget(self.kind)
        self.species_action = self.addWidget(self.species)
        self.addWidget(QLabel("  Empty score "))
        self.addWidget(self.blank_slider)
        self.addWidget(self.blank_value)
        self.addWidget(QLabel("  Order "))
        self.addWidget(self.order)
        self.addWidget(QLabel("  Camera "))
        self.addWidget(self.folder)
        self.addWidget(self.burst_only)
        self.species_action.setVisible(False)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        for combo in (self.species, self.order, self.folder):
            combo.currentIndexChanged.connect(lambda *_: self.changed.emit())
        self.burst_only.toggled.connect(lambda *_: self.changed.emit())
        self.blank_slider.valueChanged.connect(self._on_blank_changed)
        self.blank_value.valueChanged.connect(self.blank_slider.setValue)

    def _on_kind_changed(self, *_args) -> None:
        self.species_action.setVisible(self.kind.currentData() == "species")
        self.changed.emit()

    def _on_blank_changed(self, value: int) -> None:
        self.blank_value.blockSignals(True)
        self.blank_value.setValue(value)
        self.blank_value.blockSignals(False)
        if self.kind.currentData() == "predicted_blank":
            self.changed.emit()

    # -- state -------------------------------------------------------------------------------
    def spec(self) -> FilterSpec:
        """The filter as chosen (without the burst, which depends on the current image)."""
        return FilterSpec(
            kind=self.kind.currentData(),
            species=self.species.currentData(),
            blank_min=self.blank_slider.value() / 100,
            folder=self.folders[max(self.folder.currentIndex(), 0)],
            burst=None,
            order=self.order.currentData(),
        )

    def select(self, combo: QComboBox, key: str | None, quiet: bool = False) -> None:
        """Choose the entry of ``combo`` with data ``key`` (when there is one)."""
        index = combo.findData(key)
        if index >= 0:
            combo.blockSignals(quiet)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
            if combo is self.kind:
                self.species_action.setVisible(key == "species")

    def set_review(self, on: bool) -> None:
        """Review mode: unlabeled images, most useful first (or back to time order)."""
        if on:
            if self.order.findData(REVIEW[1]) < 0:
                self.order.addItem(*REVIEW)
            self.select(self.kind, "unlabeled", quiet=True)
            self.select(self.order, REVIEW[1])
        else:
            self.select(self.order, "time")

    def set_folders(self, names: list[str]) -> None:
        """The camera folders of the project (the chosen one stays chosen)."""
        chosen = self.folders[self.folder.currentIndex()] if self.folder.count() else None
        self.folders = [None, *names]
        self.folder.blockSignals(True)
        self.folder.clear()
        for f in self.folders:
            self.folder.addItem("All cameras" if f is None else (f or "."))
        self.folder.setCurrentIndex(self.folders.index(chosen) if chosen in self.folders else 0)
        self.folder.blockSignals(False)

    def set_species(self, species: list[tuple[str, str]]) -> None:
        """(key, name) of the species to filter by."""
        current = self.species.currentData() or self.wanted_species
        self.species.blockSignals(True)
        self.species.clear()
        for key, name in species:
            self.species.addItem(name, key)
        self.species.setCurrentIndex(max(self.species.findData(current), 0))
        self.species.blockSignals(False)

    def save(self, memory: SessionMemory) -> None:
        """Remember the filter, the empty-score threshold and the order."""
        memory.set("view/filter", self.kind.currentData())
        memory.set("view/species", self.species.currentData() or "")
        memory.set("view/blank_min", self.blank_slider.value())
        order = self.order.currentData()
        memory.set("view/order", "time" if order == REVIEW[1] else order)

    def restore(self, memory: SessionMemory) -> None:
        """Put back what :meth:`save` remembered (quietly: the grid is not built yet)."""
        self.blockSignals(True)
        self.blank_slider.setValue(memory.get("view/blank_min", 80, int))
        self.select(self.kind, memory.get("view/filter", "all"), quiet=True)
        self.select(self.order, memory.get("view/order", "time"), quiet=True)
        self.wanted_species = memory.get("view/species", "")
        self.blockSignals(False)
