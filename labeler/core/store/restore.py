"""Restoring a catalog from a backup: the backup is checked first, the live catalog is moved only
when no process holds it, and it is set aside (never deleted)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from labeler.core.store.backups import clean_partials, copy_catalog, list_backups, partial_name
from labeler.core.store.errors import CatalogLocked, NotACatalog, StoreError, is_busy
from labeler.core.store.locking import EXCLUSIVE, CatalogLock, describe_holders, holders_of
from labeler.core.store.opening import RESTORE_WAIT_S, SQLITE_HEADER, refuse_foreign, set_aside
from labeler.core.store.opening import _tables as tables


@dataclass(frozen=True)
class RestoreResult:
    """Which backup was restored, and where the catalog it replaced was put."""

    restored: Path
    set_aside: Path | None


def check_backup(backup: Path) -> str | None:
    """Why ``backup`` cannot be restored, or None when it is a sound catalog of ours."""
    if not backup.is_file():
        return "there is no such file"
    try:
        with open(backup, "rb") as f:
            if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return "it is not a catalog of this app (not an SQLite database)"
        conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            _names, ours = tables(conn)
            if not ours:
                return "it is not a catalog of this app"
            row = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        return f"it cannot be read ({exc})"
    if row is None or row[0] != "ok":
        return f"it failed its integrity check ({row[0] if row else '?'})"
    return None


def restore_catalog(
    db: Path, source: Path | None = None, *, wait_s: float = RESTORE_WAIT_S
) -> RestoreResult:
    """Put a verified backup (``source``, else the newest sound one) in place of ``db``.

    Every candidate is checked before the live catalog is touched; the live catalog is moved
    only while this process holds it exclusively and no SQLite connection has it open.
    Raises StoreError (CatalogLocked when in use, NotACatalog for a foreign file) with
    nothing changed.
    """
    if source is not None:
        if not source.is_file():
            raise StoreError(f"there is no backup at {source}; nothing was changed")
        candidates = [source]
    else:
        candidates = list_backups(db)
        if not candidates:
            raise StoreError(f"there are no backups of {db}; nothing was changed")
    problems = []
    chosen = None
    for candidate in candidates:
        if candidate.resolve() == db.resolve():
            problems.append(f"{candidate.name}: it is the catalog itself")
            continue
        why = check_backup(candidate)
        if why is None:
            chosen = candidate
            break
        problems.append(f"{candidate.name}: {why}")
    if chosen is None:
        prefix = "the backup" if source is not None else "no backup"
        raise (NotACatalog if all("not a catalog" in p for p in problems) else StoreError)(
            f"{prefix} cannot be restored ({'; '.join(problems)}); the catalog was not touched"
        )
    refuse_foreign(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = CatalogLock(db)
    lock.acquire(EXCLUSIVE, wait_s, purpose="restoring a backup")
    try:
        if db.exists():
            _refuse_if_open(db)
        clean_partials(db.parent, prefix=f"{db.name}.")
        staged = db.with_name(partial_name(f"{db.name}.restoring"))
        copy_catalog(chosen, staged)
        aside = set_aside(db, "before-restore") if db.exists() else None
        os.replace(staged, db)
        _fsync_dir(db.parent)
    finally:
        lock.release()
    return RestoreResult(chosen, aside)


def _refuse_if_open(db: Path) -> None:
    """Raise CatalogLocked when any SQLite connection (of any program) has the catalog open.

    Leaving WAL mode needs every other connection closed, so it doubles as the test; when it
    works it also folds the log into the file, so the set-aside catalog stands on its own.
    """
    try:
        conn = sqlite3.connect(str(db), isolation_level=None, timeout=0.2)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            holders = holders_of(db)
            raise CatalogLocked(
                f"the catalog {db} is in use by {describe_holders(db, holders)}; close it "
                "before restoring (nothing was changed)",
                holders,
            ) from None
    finally:
        conn.close()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def restore_backup(backup: Path, db_path: Path) -> None:
    """Restore ``backup`` in place of ``db_path`` (see :func:`restore_catalog`)."""
    restore_catalog(Path(db_path), Path(backup))


__all__ = ["RestoreResult", "check_backup", "list_backups", "restore_backup", "restore_catalog"]
