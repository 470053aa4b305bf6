"""Retraining the head as one job: fit on the confirmed labels, install it when it is kept, and
measure it (for ``labeler train`` and the window's Learning tab alike)."""

from __future__ import annotations

from dataclasses import dataclass

from labeler.core.learning import HeadOutcome, install_head, retrain_head
from labeler.core.store import Store


@dataclass
class RetrainReport:
    """What a retrain produced: the outcome, the installed head's model id (None when the
    current model stays) and the cross-validated evaluation (None without two classes)."""

    outcome: HeadOutcome
    model_id: int | None
    evaluation: object | None

    def summary(self) -> dict:
        """JSON-ready figures (the outcome's, with the installed model id)."""
        data = self.outcome.summary()
        data["model_id"] = self.model_id
        return data


def retrain(store: Store, *, imbalance: str = "balanced") -> RetrainReport:
    """Retrain the head on every confirmed label; install it when it beats the current model."""
    from training.metrics import evaluate

    outcome = retrain_head(store, imbalance=imbalance)
    model_id = None
    if outcome.accepted and outcome.head is not None:
        model_id = install_head(store, outcome)
    evaluation = None
    if outcome.oof is not None and outcome.head is not None and len(outcome.truth):
        evaluation = evaluate(outcome.oof, outcome.head.classes, outcome.truth)
    return RetrainReport(outcome, model_id, evaluation)
