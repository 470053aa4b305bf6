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
    """A background job: what the status bar calls it, whether it needs the GPU lane, whether
    the status bar shows it (with Cancel), and whether it runs in a process of its own."""

    SNAPSHOT = ("Loading the catalog", False, False, False)
    SCAN = ("Scanning", False, True, True)
    PREDICT = ("Predicting", True, True, True)
    DETECT = ("Detecting animals", True, True, True)
    RETRAIN = ("Retraining the head", False, True, True)
    FINE_TUNE = ("Fine-tuning", True, True, True)
    AUTO_ACCEPT = ("Auto-accept preview", False, False, True)
    REVIEW = ("Ordering the review", False, False, False)
    BURST_VIEW = ("Averaging over bursts", False, False, False)
    ZOOM = ("Finding the animals' regions", False, False, False)
    EXPORT = ("Exporting", False, True, True)
    IMPORT = ("Importing", False, True, True)
    BACKUP = ("Backing up", False, True, False)
    SPECIES = ("Updating the species list", False, False, False)

    def __init__(self, verb: str, gpu: bool, shown: bool, isolated: bool):
        self.verb = verb
        self.gpu = gpu
        # Shown with a progress bar and Cancel in the status bar (the others are quick reads).
        self.shown = shown
        # Long numeric or decoding work runs in a child process (its store calls come back
        # here), so that it never holds the window's interpreter lock.
        self.isolated = isolated


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
