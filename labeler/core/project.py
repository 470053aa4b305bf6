"""Where a folder's catalog lives: the user's data directory, keyed by the folder, or --db."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import platformdirs

APP_NAME = "camtrap-labeler"


def data_dir() -> Path:
    """The user's data directory for this app (``$LABELER_DATA_DIR`` overrides it)."""
    override = os.environ.get("LABELER_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """The user's cache directory for this app (``$LABELER_CACHE_DIR`` overrides it)."""
    override = os.environ.get("LABELER_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def log_dir() -> Path:
    """The user's log folder for this app (``$LABELER_LOG_DIR`` overrides it)."""
    override = os.environ.get("LABELER_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


def default_db_path(folder: str | os.PathLike[str]) -> Path:
    """Catalog path for a folder: ``<data dir>/projects/<name>-<hash of absolute path>.sqlite``.

    Nothing is ever written into the folder itself (an SD card is often read-only).
    """
    absolute = os.path.abspath(os.fspath(folder))
    digest = hashlib.sha256(os.fsencode(absolute)).hexdigest()[:12]
    base = os.path.basename(absolute.rstrip(os.sep)) or "root"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:40] or "folder"
    return data_dir() / "projects" / f"{safe}-{digest}.sqlite"


def resolve_db_path(folder: str | os.PathLike[str], db: str | os.PathLike[str] | None) -> Path:
    """The catalog to use: ``db`` when given, else the default for the folder.

    Raises ValueError when ``db`` would be written inside the image folder.
    """
    if db is None:
        from labeler.core.identity import find_catalog

        return find_catalog(folder)[0]
    path = Path(db).expanduser().resolve()
    root = Path(folder).expanduser().resolve()
    if root == path or root in path.parents:
        raise ValueError(
            f"the catalog {path} would be written inside the image folder {root}; "
            "keep it elsewhere (the folder is treated as read-only)"
        )
    return path
