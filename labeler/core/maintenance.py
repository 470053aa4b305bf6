"""Restoring a catalog from a backup, for ``labeler restore`` and the window's File menu."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from labeler.core.store import StoreError, list_backups, restore_backup


def set_aside(db: Path) -> Path | None:
    """Move a catalog (and its WAL files) out of the way, never deleting it."""
    if not db.exists():
        return None
    aside = db.with_name(f"{db.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(db, aside)
    for suffix in ("-wal", "-shm"):
        side = Path(str(db) + suffix)
        if side.exists():
            os.replace(side, Path(str(aside) + suffix))
    return aside


def restore_catalog(
    db: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> dict:
    """Set the catalog aside and restore ``source`` (default: the newest backup that verifies).

    Returns ``{"restored": backup, "set_aside": previous catalog or None}``; raises
    :class:`StoreError` when no backup could be restored.
    """
    db = Path(db)
    candidates = [Path(source)] if source else list_backups(db)
    if not candidates:
        raise StoreError(f"no backups of {db}")
    aside = set_aside(db)
    errors = []
    for backup in candidates:
        try:
            restore_backup(backup, db)
        except StoreError as exc:
            errors.append(str(exc))
            continue
        return {"restored": str(backup), "set_aside": str(aside) if aside else None}
    raise StoreError("no backup could be restored: " + "; ".join(errors))
