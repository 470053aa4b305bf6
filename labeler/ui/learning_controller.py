"""The Learning tab's jobs: retrains after confirmations, review order, auto-accept, fine-tuning.

Each runs one ``labeler/core`` function as a job (``retrain``, ``review_queue``,
``auto_accept_candidates``, ``run_fine_tune``), as ``labeler train`` does.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from labeler.core.audits import AUDIT_SETTING, plan_auto_accept, plan_review, record_audits
from labeler.core.finetune_job import run_fine_tune
from labeler.core.jobs import JobKind
from labeler.core.retrain import retrain
from labeler.ui.project import LabelAction, ProjectController


def head_summary(model: dict | None) -> dict | None:
    """What the Learning tab says about a head already in use (read from its model card)."""
    if model is None or model.get("kind") != "head":
        return None
    extra = model["card"].get("extra", {})
    acc = extra.get("cv_accuracy")
    return {
        "accepted": True,
        "labels": len(extra.get("trained_on", [])),
        "classes": list(extra.get("head_classes", [])),
        "cv_accuracy": None if acc is None else round(float(acc), 4),
        "reason": f"{model['version']} is in use",
        "model_id": model["id"],
    }


class LearningController(QObject):
    """Learns from the user's confirmations in the background and keeps the window informed."""

    head_updated = Signal(dict)
    metrics_ready = Signal(object)
    review_ready = Signal(list)
    training_progress = Signal(object)
    training_finished = Signal(dict)
    auto_accept_ready = Signal(object, dict)

    def __init__(self, project: ProjectController, parent: QObject | None = None):
        super().__init__(parent or project)
        self.project = project
        self.jobs = project.jobs
        self.retrain_every = 10
        self.imbalance = "balanced"
        self.strategy = "margin"
        self.confirmed_since = 0
        self.last: dict | None = None
        self.last_plan = None
        self.last_target: float | None = None
        self._estimate_stale = False
        project.label_committed.connect(self._on_project_label_committed)
        project.project_opened.connect(self._on_project_opened)

    def _on_project_opened(self, _root: str) -> None:
        self.confirmed_since = 0
        self.last_plan, self.last_target = None, None
        summary = head_summary(self.project.reader.active_model() if self.project.reader else None)
        if summary is not None:
            self.last = summary
            self.head_updated.emit(summary)

    def _on_project_label_committed(self, action: LabelAction, n: int) -> None:
        # An answered audit or a corrected auto-accepted image changes the audited estimate:
        # the one on show is worked out again at once.
        self.refresh_estimate()
        if not action.confirms:
            return
        self.confirmed_since += n
        self._maybe_retrain()

    def _maybe_retrain(self) -> None:
        if (
            self.retrain_every
            and self.confirmed_since >= self.retrain_every
            and not self.jobs.is_running(JobKind.RETRAIN)
        ):
            self.retrain()

    @property
    def retraining(self) -> bool:
        """True while a retrain runs."""
        return self.jobs.is_running(JobKind.RETRAIN)

    def retrain(self) -> None:
        """Retrain the head now (in the background)."""
        p = self.project
        if p.db_path is None:
            return
        counted = self.confirmed_since

        def done(report) -> str:
            # Confirmations made while it trained count toward the next retrain.
            self.confirmed_since = max(0, self.confirmed_since - counted)
            summary = report.summary()
            if report.evaluation is not None:
                self.metrics_ready.emit(report.evaluation)
            self.last = summary
            self.head_updated.emit(summary)
            if report.model_id is not None:
                p.model_id = report.model_id
                p.reload_snapshot(then=self.compute_review)
                self.refresh_estimate()
            self._maybe_retrain()
            state = "learned" if summary.get("accepted") else "kept the current model"
            return (f"Retrained on {summary.get('labels')} labels ({state}; "
                    f"CV accuracy {summary.get('cv_accuracy')})")  # fmt: skip

        self.jobs.run(JobKind.RETRAIN, retrain, imbalance=self.imbalance, on_result=done)

    def compute_review(self) -> None:
        """Work out the review order (most useful first, audits among it) in the background."""
        if self.project.db_path is not None:
            self.jobs.run(JobKind.REVIEW, plan_review, strategy=self.strategy,
                          on_result=self._on_review)  # fmt: skip

    def _on_review(self, plan) -> None:
        if plan.new_audits:
            # Audits are kept before their images are shown (their draw must not be redone).
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
        """Work out what auto-accept would label at ``target`` accuracy (audited)."""
        self.last_target = target
        self._estimate_stale = False

        def ready(plan) -> None:
            self.last_plan = plan
            self.auto_accept_ready.emit(plan.decisions, plan.summary)
            if self._estimate_stale and self.last_target is not None:
                self.preview_auto_accept(self.last_target)

        if self.jobs.run(JobKind.AUTO_ACCEPT, plan_auto_accept, target, on_result=ready) is None:
            self._estimate_stale = self.jobs.is_running(JobKind.AUTO_ACCEPT)

    def refresh_estimate(self) -> None:
        """Work out the auto-accept estimate on show again (once the running one is done)."""
        if self.last_target is None:
            return
        if self.jobs.is_running(JobKind.AUTO_ACCEPT):
            self._estimate_stale = True
        else:
            self.preview_auto_accept(self.last_target)

    def set_audit_share(self, share: float) -> None:
        """The project's share of review positions that are audits."""
        if self.project.writer is not None:
            self.project.submit(lambda store: store.set_meta(AUDIT_SETTING, share))

    def apply_auto_accept(self, decisions: dict, summary: dict) -> None:
        """Record the decisions as machine labels (one undoable action)."""
        desc = f"auto-accept {len(decisions)} image(s) at {summary.get('target', 0):.1%} accuracy"
        self.project.label(LabelAction.ACCEPT_MACHINE, [], decisions,
                           summary.get("model_version", "model"), desc)  # fmt: skip

    def start_fine_tune(self, device: str = "auto", epochs: int = 4) -> None:
        """Fine-tune the backbone in the background (GPU lane); swapped in only if it validates
        better, after which every image is re-predicted and the head retrained."""
        p = self.project

        def event(e) -> None:
            if hasattr(e, "phase"):
                self.training_progress.emit(e)

        def done(info: dict) -> str:
            self.training_finished.emit(info)
            if info.get("swapped_in"):
                active = p.reader.active_model() if p.reader else None
                p.model_id = active["id"] if active else p.model_id
                p.reload_snapshot()
            return "fine-tuning " + (
                "stopped: " + info["error"] if info.get("error") else "finished"
            )

        def failed(exc: BaseException) -> None:
            self.training_finished.emit({"error": str(exc), "swapped_in": False})

        self.jobs.run(JobKind.FINE_TUNE, run_fine_tune, p.root, device=device, epochs=epochs,
                      on_event=event, on_result=done, on_error=failed)  # fmt: skip

    def cancel_fine_tune(self) -> None:
        """Stop fine-tuning at the next step; the current model stays."""
        self.jobs.cancel(JobKind.FINE_TUNE)

    @property
    def fine_tuning(self) -> bool:
        """True while fine-tuning runs or waits for the GPU."""
        return self.jobs.is_running(JobKind.FINE_TUNE)
