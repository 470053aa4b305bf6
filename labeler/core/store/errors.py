"""What can go wrong with a catalog, as errors whose message is the one line the user reads."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

# SQLite primary result codes (the low byte of an extended code).
SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR = 8, 5, 6, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26


class StoreError(Exception):
    """A catalog operation failed in a way the user must be told about."""


class DatabaseUnusable(StoreError):
    """The database file could not be opened as a catalog; it was set aside, not overwritten."""

    def __init__(self, message: str, set_aside: Path | None, backups: list[Path]):
        super().__init__(message)
        self.set_aside = set_aside
        self.backups = backups


class ReadOnlyStoreError(StoreError):
    """A write was attempted through a read-only connection."""


class CatalogLocked(StoreError):
    """Another process holds the catalog (open, or locked) and did not let go in time."""

    def __init__(self, message: str, holders: list[str] | None = None):
        super().__init__(message)
        self.holders = holders or []


class NotACatalog(StoreError):
    """The path is not a catalog of this app (a folder, a CSV, another program's database)."""


class CatalogWriteError(StoreError, sqlite3.OperationalError):
    """The disk refused a write (full, read-only, failing): still an ``OperationalError``, so the
    writer keeps retrying label commits, but with a message the user can act on."""


def primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of an error, when it has one."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_busy(exc: BaseException) -> bool:
    """True when SQLite refused because another connection holds a lock (not corruption)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = primary_code(exc)
    if code is not None:
        return code in (SQLITE_BUSY, SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def is_corrupt(exc: BaseException) -> bool:
    """True when SQLite says the file is not a database or is damaged."""
    if not isinstance(exc, sqlite3.DatabaseError) or is_busy(exc):
        return False
    code = primary_code(exc)
    if code is not None:
        return code in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc)
    return "not a database" in text or "malformed" in text


def explain(exc: BaseException, path: Path) -> CatalogWriteError | None:
    """The user's line for a failed read or write of the catalog at ``path``, or None.

    Disk full, read-only files or folders and failing disks get a message that says what to
    do; anything else is left to its own handler.
    """
    code = primary_code(exc) if isinstance(exc, sqlite3.Error) else None
    text = str(exc)
    full = code == SQLITE_FULL or "disk is full" in text
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        full = True
    if full:
        return CatalogWriteError(
            f"the disk holding the catalog {path} is full; free some space and run again "
            "(everything saved before is kept)"
        )
    readonly = code == SQLITE_READONLY or "readonly database" in text
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        readonly = True
    if readonly:
        return CatalogWriteError(
            f"the catalog {path} cannot be written: the file or its folder is read-only; make "
            "them writable, or copy the catalog to a writable folder and pass --db"
        )
    if (
        code == SQLITE_IOERR
        or "disk I/O error" in text
        or (isinstance(exc, OSError) and exc.errno in (errno.EIO, errno.EFBIG))
    ):
        return CatalogWriteError(
            f"the disk holding the catalog {path} failed to read or write ({text}); check the "
            "disk and free space, then run again (everything saved before is kept)"
        )
    if code == SQLITE_CANTOPEN:
        return CatalogWriteError(
            f"the catalog {path} cannot be opened: its folder is missing or not writable"
        )
    return None
