"""The project catalog (SQLite): the one place in the app that speaks SQL."""

from __future__ import annotations

from labeler.core.store.base import (
    TRANSIENT_WRITE_ERRORS,
    CatalogLocked,
    CatalogWriteError,
    DatabaseUnusable,
    NotACatalog,
    ReadOnlyStoreError,
    RestoreResult,
    StoreError,
    list_backups,
    restore_backup,
    restore_catalog,
    utcnow,
)
from labeler.core.store.clock import ClockMixin
from labeler.core.store.exchange import Detection, ExchangeMixin
from labeler.core.store.images import ImagesMixin
from labeler.core.store.labels import ActionRecord, LabelsMixin, Observation
from labeler.core.store.learning import LearningMixin
from labeler.core.store.notes import NotesMixin
from labeler.core.store.predictions import PredictionRow, PredictionsMixin, SpeciesRow


class Store(
    ImagesMixin, PredictionsMixin, LabelsMixin, LearningMixin, ExchangeMixin, ClockMixin, NotesMixin
):
    """A project catalog. Open one writer per process; readers with ``readonly=True``."""


__all__ = [
    "TRANSIENT_WRITE_ERRORS",
    "ActionRecord",
    "CatalogLocked",
    "CatalogWriteError",
    "Detection",
    "NotACatalog",
    "Observation",
    "RestoreResult",
    "DatabaseUnusable",
    "PredictionRow",
    "SpeciesRow",
    "ReadOnlyStoreError",
    "Store",
    "StoreError",
    "list_backups",
    "restore_backup",
    "restore_catalog",
    "utcnow",
]
