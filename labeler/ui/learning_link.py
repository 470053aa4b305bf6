"""Connects the Learning tab to the learning jobs (retrain, review, auto-accept, fine-tune)."""

from __future__ import annotations

from PySide6.QtCore import QObject

# Confirmations in review mode after which the queue is worked out again (new audits drawn),
# when no retrain does it first.
REVIEW_REFRESH = 10


class LearningLink(QObject):
    """The Learning panel's requests go to the :class:`LearningController`; its results come
    back to the panel."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.pending: tuple[dict, dict] | None = None
        self.since_review = 0
        lp, lc = window.learning_panel, window.learning
        lp.retrain_requested.connect(lc.retrain)
        lp.retrain_every_changed.connect(lambda n: setattr(lc, "retrain_every", n))
        lp.imbalance_changed.connect(lambda k: setattr(lc, "imbalance", k))
        lp.review_toggled.connect(lambda on: window.view.set_review_mode(on))
        lp.strategy_changed.connect(self._on_panel_strategy_changed)
        lp.fine_tune_requested.connect(lc.start_fine_tune)
        lp.cancel_requested.connect(lc.cancel_fine_tune)
        lp.preview_requested.connect(lc.preview_auto_accept)
        lp.accept_requested.connect(self._on_panel_accept_requested)
        lc.head_updated.connect(lp.show_head)
        lc.metrics_ready.connect(lp.show_metrics)
        lc.training_progress.connect(lp.show_progress)
        lc.training_finished.connect(lp.show_finished)
        lc.auto_accept_ready.connect(self._on_learning_auto_accept_ready)
        lc.review_ready.connect(self._on_learning_review_ready)
        window.project.label_committed.connect(self._on_project_label_committed)

    def _in_review(self) -> bool:
        return getattr(self.w.view, "spec", None) is not None and self.w.view.spec.order == "review"

    def _on_panel_strategy_changed(self, strategy: str) -> None:
        self.w.learning.strategy = strategy
        if self._in_review():
            self.w.learning.compute_review()

    def _on_project_label_committed(self, action, n: int) -> None:
        """In review mode the answered audits make room for new ones: once enough images are
        confirmed, the queue is ordered again (a retrain does it when one starts)."""
        if not action.confirms or not self._in_review():
            return
        self.since_review += n
        if self.since_review >= REVIEW_REFRESH and not self.w.learning.retraining:
            self.w.learning.compute_review()

    def _on_learning_review_ready(self, _order: list) -> None:
        self.since_review = 0
        if self._in_review():
            self.w.view.apply_filter()

    def _on_learning_auto_accept_ready(self, decisions: dict, summary: dict) -> None:
        self.pending = (decisions, summary)
        self.w.learning_panel.show_auto_accept(decisions, summary)

    def _on_panel_accept_requested(self) -> None:
        """Nothing is written before the person has seen the plan and its least sure images."""
        from labeler.ui.auto_accept_dialog import AutoAcceptDialog
        from labeler.ui.navigation import absolute

        if self.pending is None:
            return
        decisions, summary = self.pending
        w = self.w
        plan, snap = w.learning.last_plan, w.project.snapshot
        preview = []
        for image_id in getattr(plan, "preview", []):
            r = snap.row_of(image_id) if snap is not None else None
            if r is not None and image_id in decisions:
                key, prob = decisions[image_id]
                preview.append((image_id, absolute(w.project.root or "", snap.paths[r]), key, prob))
        dialog = AutoAcceptDialog(summary, preview, w.project.name_of, w)
        self.dialog = dialog

        def accepted() -> None:
            self.pending = None
            w.learning_panel.accept.setEnabled(False)
            w.learning.apply_auto_accept(decisions, summary)

        dialog.accepted.connect(accepted)
        dialog.open()

    def set_target(self, target: float) -> None:
        """The target accuracy of auto-accept (from the preferences)."""
        self.w.learning_panel.target.setValue(target * 100)
