"""The application's log: a rotating file in the user's log folder, and optional stderr lines."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from labeler.core.project import log_dir

LOGGER = "labeler"
LOG_FILE = "labeler.log"
# A season of daily use stays within a few megabytes; older runs rotate out.
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    """Where the current log file is (or would be) written."""
    return log_dir() / LOG_FILE


def setup_logging(verbosity: int = 0) -> Path | None:
    """Send the app's log to the rotating file; with ``verbosity`` also to stderr.

    ``verbosity`` 1 shows information lines on stderr, 2 debugging lines. Calling it again
    replaces the handlers it added before (the command line runs in-process in tests).
    Returns the log file, or None when the log folder cannot be written (the app goes on).
    """
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        if getattr(handler, "_labeler", False):
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    path: Path | None = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        file_handler.setLevel(logging.INFO)
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._labeler = True  # type: ignore[attr-defined]
        logger.addHandler(file_handler)
    except OSError:
        path = None
    if verbosity > 0:
        err = logging.StreamHandler(sys.stderr)
        err.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
        err.setFormatter(logging.Formatter("labeler: %(message)s"))
        err._labeler = True  # type: ignore[attr-defined]
        logger.addHandler(err)
    return path


def get_logger(name: str) -> logging.Logger:
    """A logger under the app's own (``labeler.<name>``)."""
    return logging.getLogger(f"{LOGGER}.{name}")
