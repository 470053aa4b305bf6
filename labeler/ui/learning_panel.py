"""The learning panel: retrain and review controls, live fine-tuning plot, metrics, auto-accept."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from labeler.core.audits import describe_audited
from labeler.ui.metrics_view import MetricsView

pg.setConfigOptions(antialias=True, background="w", foreground="k")


class LearningPanel(QWidget):
    """Everything about how the model learns from the user's confirmations."""

    retrain_requested = Signal()
    retrain_every_changed = Signal(int)
    imbalance_changed = Signal(str)
    review_toggled = Signal(bool)
    strategy_changed = Signal(str)
    fine_tune_requested = Signal(str, int)
    cancel_requested = Signal()
    preview_requested = Signal(float)
    accept_requested = Signal()

    def __init__(self, parent=None, name_of=None):
        super().__init__(parent)
        self.name_of = name_of or (lambda key: key)
        self.status = QLabel("No head yet: confirm labels of two or more species (or blank).")
        self.status.setWordWrap(True)
        retrain = QPushButton("Retrain now")
        retrain.setObjectName("retrain")
        self.retrain = retrain
        retrain.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        retrain.clicked.connect(self.retrain_requested.emit)
        self.every = QSpinBox()
        self.every.setRange(0, 1000)
        self.every.setValue(10)
        self.every.setSpecialValueText("never")
        self.every.valueChanged.connect(self.retrain_every_changed.emit)
        self.imbalance = QComboBox()
        for text, key in (
            ("class-weighted loss", "balanced"),
            ("oversampling", "oversample"),
            ("none", "none"),
        ):
            self.imbalance.addItem(text, key)
        self.imbalance.currentIndexChanged.connect(
            lambda _i: self.imbalance_changed.emit(self.imbalance.currentData())
        )
        self.review = QCheckBox("Review mode: most useful image next (R)")
        self.review.toggled.connect(self.review_toggled.emit)
        self.strategy = QComboBox()
        for text, key in (("smallest margin", "margin"), ("highest entropy", "entropy"),
                          ("least confidence", "least_confidence"), ("random (for comparison)", "random")):  # fmt: skip
            self.strategy.addItem(text, key)
        self.strategy.currentIndexChanged.connect(
            lambda _i: self.strategy_changed.emit(self.strategy.currentData())
        )
        head_box = QGroupBox("Instant learning")
        # Two columns at most: the tab is a narrow dock beside the viewer.
        g = QGridLayout(head_box)
        g.addWidget(self.status, 0, 0, 1, 2)
        g.addWidget(retrain, 1, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("again every"))
        row.addWidget(self.every)
        row.addWidget(QLabel("labels"))
        g.addLayout(row, 1, 1)
        g.addWidget(QLabel("imbalance"), 2, 0)
        g.addWidget(self.imbalance, 2, 1)
        g.addWidget(self.review, 3, 0, 1, 2)
        g.addWidget(QLabel("queue order"), 4, 0)
        g.addWidget(self.strategy, 4, 1)

        self.device = QComboBox()
        for d in ("auto", "cpu", "cuda", "mps"):
            self.device.addItem(d)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 50)
        self.epochs.setValue(4)
        self.start = QPushButton("Fine-tune backbone")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.start.clicked.connect(
            lambda: self.fine_tune_requested.emit(self.device.currentText(), self.epochs.value())
        )
        self.cancel.clicked.connect(self.cancel_requested.emit)
        self.train_status = QLabel("")
        self.train_status.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(150)
        self.plot.addLegend(offset=(5, 5))
        self.plot.setLabel("bottom", "epoch")
        self.loss_curve = self.plot.plot([], [], pen=pg.mkPen("#d04040", width=2), name="loss")
        self.acc_curve = self.plot.plot([], [], pen=pg.mkPen("#2060c0", width=2), symbol="o", symbolSize=6,
                                        name="validation accuracy")  # fmt: skip
        ft_box = QGroupBox("Fine-tuning")
        f = QGridLayout(ft_box)
        f.addWidget(QLabel("device"), 0, 0)
        f.addWidget(self.device, 0, 1)
        f.addWidget(QLabel("epochs"), 0, 2)
        f.addWidget(self.epochs, 0, 3)
        f.addWidget(self.start, 1, 0, 1, 2)
        f.addWidget(self.cancel, 1, 2, 1, 2)
        f.addWidget(self.train_status, 2, 0, 1, 4)
        f.addWidget(self.plot, 3, 0, 1, 4)

        self.metrics = MetricsView(self.name_of, self)
        self.metrics_note = self.metrics.note

        self.target = QDoubleSpinBox()
        self.target.setRange(50.0, 99.9)
        self.target.setDecimals(1)
        self.target.setValue(96.6)
        self.target.setSuffix(" % accuracy")
        self.target.valueChanged.connect(lambda v: self.metrics.set_target(v / 100))
        preview = QPushButton("Preview")
        self.preview = preview
        preview.clicked.connect(lambda: self.preview_requested.emit(self.target.value() / 100))
        self.accept = QPushButton("Accept")
        self.accept.setEnabled(False)
        self.accept.clicked.connect(self.accept_requested.emit)
        self.accept_status = QLabel("")
        self.accept_status.setWordWrap(True)
        aa_box = QGroupBox("Auto-accept confident predictions")
        a = QGridLayout(aa_box)
        a.addWidget(QLabel("target"), 0, 0)
        a.addWidget(self.target, 0, 1)
        a.addWidget(preview, 1, 0)
        a.addWidget(self.accept, 1, 1)
        a.addWidget(self.accept_status, 2, 0, 1, 2)

        self.plot.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        layout.addWidget(head_box)
        layout.addWidget(aa_box)
        layout.addWidget(self.metrics, 1)
        layout.addWidget(ft_box)
        self._losses: list[float] = []
        self._epochs_x: list[float] = []
        self._acc: list[float] = []

    # -- updates -----------------------------------------------------------------------------
    def show_head(self, summary: dict) -> None:
        """A retrain finished (kept or not)."""
        acc = summary.get("cv_accuracy")
        verdict = "now in use" if summary.get("accepted") else "the current model stays"
        self.status.setText(
            f"Head on {summary.get('labels', 0)} confirmed labels, classes: {', '.join(summary.get('classes', [])) or '-'}.\n"
            f"Cross-validated accuracy {acc if acc is not None else '-'}; {verdict}: {summary.get('reason', '')}"
        )

    def show_metrics(self, ev) -> None:
        """Per-species table, confusion matrix and the accuracy-coverage curve."""
        self.metrics.show(ev)

    def show_progress(self, e) -> None:
        """Live fine-tuning progress."""
        self.start.setEnabled(False)
        self.cancel.setEnabled(True)
        x = (e.epoch - 1) + e.step / max(e.steps, 1)
        if e.phase == "train":
            self._losses.append((x, e.loss))
            xs, ys = zip(*self._losses, strict=True)
            self.loss_curve.setData(list(xs), list(ys))
        else:
            self._epochs_x.append(e.epoch)
            self._acc.append(e.val_accuracy)
            self.acc_curve.setData(self._epochs_x, self._acc)
        self.train_status.setText(
            f"epoch {e.epoch}/{e.epochs} ({e.unfrozen}), step {e.step}/{e.steps}, loss {e.loss:.3f}"
            + (f", validation accuracy {e.val_accuracy:.3f}" if e.val_accuracy is not None else "")
        )

    def show_finished(self, info: dict) -> None:
        """Fine-tuning ended."""
        self.start.setEnabled(True)
        self.cancel.setEnabled(False)
        self._losses, self._epochs_x, self._acc = [], [], []
        if info.get("error"):
            self.train_status.setText(f"Fine-tuning stopped: {info['error']}")
            return
        head = info.get("head_only_val_accuracy")
        if info.get("cancelled") and (info.get("val_accuracy") or -1) < 0:
            self.train_status.setText(
                "Fine-tuning cancelled before the first validation; the current model stays."
            )
            return
        self.train_status.setText(
            f"Fine-tuned on {info.get('device')}: validation accuracy {info.get('val_accuracy', float('nan')):.3f} "
            f"vs {head:.3f} for the head alone; "
            + (
                "swapped in, re-predicting every image."
                if info.get("swapped_in")
                else "the current model stays."
            )
            + (" (cancelled)" if info.get("cancelled") else "")
        )

    def show_auto_accept(self, decisions: dict, summary: dict) -> None:
        """What an auto-accept would do, with the audited figures behind it."""
        self.accept.setEnabled(bool(decisions))
        self.accept.setText(f"Review and accept {len(decisions)}…" if decisions else "Accept")
        if "reason" in summary:
            self.accept_status.setText(summary["reason"])
            return
        self.accept_status.setText(describe_audited(summary, self.name_of))
