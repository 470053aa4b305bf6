"""The active-learning side of the controller: retrains, review order, fine-tuning, auto-accept."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from labeler.core.learning import save_head, write_head_predictions
from labeler.ui import jobs

HUMAN_ACTIONS = {
    "set_species",
    "accept_suggestion",
    "burst_majority",
    "label_bursts",
    "add_species",
    "set_count",
}


class LearningController(QObject):
    """Learns from the user's confirmations in the background and keeps the window informed."""

    head_updated = Signal(dict)
    metrics_ready = Signal(object)
    review_ready = Signal(list)
    training_progress = Signal(object)
    training_finished = Signal(dict)
    auto_accept_ready = Signal(object, dict)
    busy_changed = Signal(bool)

    def __init__(self, project, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self.retrain_every = 10
        self.imbalance = "balanced"
        self.strategy = "margin"
        self.confirmed_since = 0
        self.retraining = False
        self.fine_tune_worker = None
        self.last: dict | None = None
        project.label_committed.connect(self._on_project_label_committed)

    def _on_project_label_committed(self, action: str, n: int) -> None:
        if action not in HUMAN_ACTIONS:
            return
        self.confirmed_since += n
        if (
            self.retrain_every
            and self.confirmed_since >= self.retrain_every
            and not self.retraining
        ):
            self.retrain()

    def retrain(self) -> None:
        """Retrain the head now (in the background)."""
        p = self.project
        if p.db_path is None or self.retraining:
            return
        self.retraining = True
        self.confirmed_since = 0
        self.busy_changed.emit(True)
        p.runner.start(jobs.head_job, p.db_path, self.imbalance, on_return=p._current(self._on_head_trained),
                       on_error=self._on_failed)  # fmt: skip

    def _on_failed(self, exc: BaseException, tb: str) -> None:
        self.retraining = False
        self.busy_changed.emit(False)
        self.project.error.emit(f"retraining failed: {exc}")

    def _on_head_trained(self, result: dict) -> None:
        outcome, rows = result["outcome"], result["rows"]
        summary = outcome.summary()
        if result["evaluation"] is not None:
            self.metrics_ready.emit(result["evaluation"])
        if not (outcome.accepted and rows is not None):
            self.retraining = False
            self.busy_changed.emit(False)
            self.last = summary
            self.head_updated.emit(summary)
            return

        def install(store):
            model_id = save_head(store, outcome)
            write_head_predictions(store, model_id, rows)
            return model_id

        def installed(model_id: int) -> None:
            self.retraining = False
            self.busy_changed.emit(False)
            self.project.model_id = model_id
            summary["model_id"] = model_id
            self.last = summary
            self.head_updated.emit(summary)
            self.project.reload_snapshot(then=self.compute_review)

        self.project.submit(install, on_done=installed)

    def compute_review(self) -> None:
        """Work out the review order (most useful first) in the background."""
        p = self.project
        if p.db_path is None:
            return
        p.runner.start(
            jobs.review_job, p.db_path, self.strategy, on_return=p._current(self._on_review)
        )

    def _on_review(self, plan) -> None:
        if plan.new_audits:
            from labeler.core.audits import record_audits

            self.project.submit(record_audits, plan)
        order = plan.order
        snap = self.project.snapshot
        if snap is not None:
            rank = np.full(len(snap), len(order) + 1, np.int64)
            for k, image_id in enumerate(order):
                r = snap.row_of(image_id)
                if r is not None:
                    rank[r] = k
            snap.review_rank = rank
        self.review_ready.emit(order)

    def preview_auto_accept(self, target: float) -> None:
        """Compute which images the head would accept at ``target`` accuracy."""
        p = self.project
        p.runner.start(jobs.auto_accept_job, p.db_path, target,
                       on_return=p._current(lambda r: self.auto_accept_ready.emit(r[0], r[1])))  # fmt: skip

    def apply_auto_accept(self, decisions: dict, summary: dict) -> None:
        """Record the decisions as machine labels (one undoable action)."""
        desc = f"auto-accept {len(decisions)} image(s) at {summary.get('target', 0):.1%} accuracy"
        self.project.label(
            "accept_machine", [], decisions, summary.get("model_version", "model"), desc
        )

    def start_fine_tune(self, device: str = "auto", epochs: int = 4) -> None:
        """Fine-tune the backbone in the background; swapped in only if it validates better."""
        p = self.project
        if self.fine_tune_worker is not None or p.db_path is None:
            return
        self.busy_changed.emit(True)
        self.fine_tune_worker = p.runner.start(
            jobs.fine_tune_job, p.db_path, p.root, device, epochs,
            on_yield=p._current(self.training_progress.emit), on_return=p._current(self._on_fine_tuned),
            on_error=self._on_fine_tune_failed,
        )  # fmt: skip

    def cancel_fine_tune(self) -> None:
        """Stop fine-tuning at the next step; the current model stays."""
        if self.fine_tune_worker is not None:
            self.fine_tune_worker.cancel()

    def _on_fine_tune_failed(self, exc: BaseException, tb: str) -> None:
        self.fine_tune_worker = None
        self.busy_changed.emit(False)
        self.training_finished.emit({"error": str(exc), "swapped_in": False})

    def _on_fine_tuned(self, value) -> None:
        self.fine_tune_worker = None
        self.busy_changed.emit(False)
        plan, result = value
        better = result.onnx is not None and result.best_val_accuracy > plan.head_only_val_accuracy
        info = {
            "val_accuracy": result.best_val_accuracy,
            "head_only_val_accuracy": plan.head_only_val_accuracy,
            "cancelled": result.cancelled,
            "device": result.device,
            "swapped_in": better,
            "seconds": result.seconds,
        }
        self.training_finished.emit(info)
        if better:
            # Re-embed and re-predict with the new backbone, then learn a head on it.
            self.project.after_predict = self.retrain
            self.project.start_predict(str(result.onnx))
