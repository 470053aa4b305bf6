"""The kinds of background job and the typed events their generators yield besides their own.

Every long workflow is one generator in ``labeler/core`` that takes a ``Store`` and a
``should_stop`` callable; the command line drains it, the window runs it on a worker. Apart from
their own progress types (``ScanProgress``, ``PredictProgress``, ``EpochProgress``), they yield
:class:`Progress` and :class:`JobWarning`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class JobKind(Enum):
    """A background job: what the status bar calls it, and whether it needs the GPU lane."""

    SNAPSHOT = ("Loading the catalog", False, False)
    SCAN = ("Scanning", False, True)
    PREDICT = ("Predicting", True, True)
    DETECT = ("Detecting animals", True, True)
    RETRAIN = ("Retraining the head", False, True)
    FINE_TUNE = ("Fine-tuning", True, True)
    AUTO_ACCEPT = ("Auto-accept preview", False, False)
    REVIEW = ("Ordering the review", False, False)
    BURST_VIEW = ("Averaging over bursts", False, False)
    EXPORT = ("Exporting", False, True)
    IMPORT = ("Importing", False, True)
    BACKUP = ("Backing up", False, True)
    SPECIES = ("Updating the species list", False, False)

    def __init__(self, verb: str, gpu: bool, shown: bool):
        self.verb = verb
        self.gpu = gpu
        # Shown with a progress bar and Cancel in the status bar (the others are quick reads).
        self.shown = shown


@dataclass(frozen=True)
class Progress:
    """How far a job is (``total`` 0 when unknown)."""

    done: int
    total: int = 0
    text: str = ""


@dataclass(frozen=True)
class JobWarning:
    """Something the user should know that did not stop the job."""

    message: str


class JobCancelled(Exception):
    """Raised by jobs that cannot return a partial result when they are stopped."""
