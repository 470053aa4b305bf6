"""How good the model is on the user's verified labels: per-species table, a confusion matrix
with its counts, and the accuracy-vs-coverage curve."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

ROW_PX = 24


def _plain_axes(plot: pg.PlotWidget) -> None:
    """Axes show their values as they are (no "x0.001" scaling of the unit)."""
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)


class MetricsView(QWidget):
    """The metrics tabs of the Learning panel."""

    def __init__(self, name_of, parent=None):
        super().__init__(parent)
        self.name_of = name_of
        self.note = QLabel("Metrics use cross-validated predictions on your verified labels.")
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["species", "precision", "recall", "F1", "n"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 5):
            self.table.horizontalHeader().setSectionResizeMode(
                col, QHeaderView.ResizeMode.ResizeToContents
            )
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_PX)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion_plot = pg.PlotWidget()
        self.confusion = pg.ImageItem()
        self.confusion_plot.addItem(self.confusion)
        self.confusion_plot.invertY(True)
        self.confusion_plot.setLabel("left", "true")
        self.confusion_plot.setLabel("bottom", "predicted")
        self.confusion.setColorMap(pg.colormap.get("viridis"))
        self.cell_texts: list[pg.TextItem] = []
        self.coverage_plot = pg.PlotWidget()
        self.coverage_plot.setLabel("bottom", "share of images accepted (coverage)")
        self.coverage_plot.setLabel("left", "accuracy")
        self.coverage_plot.setYRange(0, 1.02)
        _plain_axes(self.coverage_plot)
        _plain_axes(self.confusion_plot)
        self.coverage_curve = self.coverage_plot.plot([], [], pen=pg.mkPen("#2060c0", width=2))
        self.coverage_species = QComboBox()
        self.coverage_species.addItem("all species", None)
        self.coverage_species.currentIndexChanged.connect(lambda _i: self._draw_coverage())
        self.target_line = pg.InfiniteLine(
            pos=0.966, angle=0, pen=pg.mkPen("#d08000", style=Qt.PenStyle.DashLine)
        )
        self.coverage_plot.addItem(self.target_line)
        self._evaluation = None
        self.tabs = QTabWidget()
        self.tabs.setMinimumHeight(260)
        self.tabs.addTab(self.table, "Per species")
        self.tabs.addTab(self.confusion_plot, "Confusion")
        coverage_tab = QWidget()
        cl = QVBoxLayout(coverage_tab)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.coverage_species)
        cl.addWidget(self.coverage_plot)
        self.tabs.addTab(coverage_tab, "Accuracy vs coverage")
        for w in (self.confusion_plot, self.coverage_plot, self.table):
            w.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)

    def set_target(self, target: float) -> None:
        """The accuracy line on the coverage plot."""
        self.target_line.setPos(target)

    def show(self, ev) -> None:  # noqa: A003 - a view shows an evaluation
        """Fill the three tabs from an evaluation."""
        rows = sorted((c for c in ev.per_class if c.support), key=lambda c: -c.support)
        self.table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            values = [
                self.name_of(c.label),
                f"{c.precision:.2f}",
                f"{c.recall:.2f}",
                f"{c.f1:.2f}",
                str(c.support),
            ]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, col, item)
        # Tall enough for every row, so that the tab never hides one behind a scroll bar.
        self.tabs.setMinimumHeight(min(560, max(260, ROW_PX * (len(rows) + 2) + 40)))
        self._draw_confusion(np.asarray(ev.confusion, float), list(ev.labels))
        self._evaluation = ev
        chosen = self.coverage_species.currentData()
        self.coverage_species.blockSignals(True)
        self.coverage_species.clear()
        self.coverage_species.addItem("all species", None)
        for label in ev.coverage_by_class:
            self.coverage_species.addItem(self.name_of(label), label)
        self.coverage_species.setCurrentIndex(max(self.coverage_species.findData(chosen), 0))
        self.coverage_species.blockSignals(False)
        self._draw_coverage()
        self.note.setText(
            f"Cross-validated on {ev.n} verified labels: top-1 {ev.top1:.1%}, top-5 {ev.top5:.1%}; "
            f"{ev.coverage_at_target:.0%} of them could be accepted at {ev.target:.1%} accuracy."
        )

    def _draw_confusion(self, cm: np.ndarray, labels: list[str]) -> None:
        for t in self.cell_texts:
            self.confusion_plot.removeItem(t)
        self.cell_texts = []
        if not cm.size:
            return
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        self.confusion.setImage(norm.T, levels=(0, 1))
        ticks = [(i + 0.5, self.name_of(lab)[:14]) for i, lab in enumerate(labels)]
        self.confusion_plot.getAxis("bottom").setTicks([ticks])
        self.confusion_plot.getAxis("left").setTicks([ticks])
        # Each cell carries its count: dark text on the bright cells, light on the dark ones.
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                colour = "k" if norm[i, j] > 0.6 else "w"
                text = pg.TextItem(str(int(cm[i, j])), color=colour, anchor=(0.5, 0.5))
                text.setPos(j + 0.5, i + 0.5)
                self.confusion_plot.addItem(text)
                self.cell_texts.append(text)

    def _draw_coverage(self) -> None:
        ev = self._evaluation
        if ev is None:
            return
        label = self.coverage_species.currentData()
        curve = ev.coverage if label is None else ev.coverage_by_class.get(label, [])
        cov = [(c, a) for _t, c, a in curve if not math.isnan(a)]
        if cov:
            xs, ys = zip(*cov, strict=True)
            self.coverage_curve.setData(list(xs), list(ys))
        else:
            self.coverage_curve.setData([], [])
