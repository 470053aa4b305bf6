"""The app's log file: every job's errors and warnings, kept in a few rotating files."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from labeler.core.project import data_dir

LOGGER = "labeler"
MAX_BYTES = 1_000_000
KEPT = 3


def log_path() -> Path:
    """Where the log is written: ``<data dir>/logs/labeler.log``."""
    return data_dir() / "logs" / "labeler.log"


def setup_logging() -> Path:
    """Send the ``labeler`` logger to the rotating log file of the current data directory.

    Idempotent; when the data directory changed (another test, another user setting) the
    handler follows it.
    """
    path = log_path()
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    for h in list(logger.handlers):
        if isinstance(h, logging.handlers.RotatingFileHandler):
            if Path(h.baseFilename) == path.resolve():
                return path
            logger.removeHandler(h)
            h.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=KEPT, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return path


def get_logger() -> logging.Logger:
    """The app's logger."""
    return logging.getLogger(LOGGER)
