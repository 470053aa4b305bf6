"""The catalog connection: the one writer, transactions, settings, backups and integrity checks.

Opening, creating, migrating and restoring go through :mod:`labeler.core.store.opening` and
:mod:`labeler.core.store.restore` under the catalog's lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from labeler.core.store.backups import BACKUPS_KEPT, backup_dir_for, list_backups, prune
from labeler.core.store.backups import copy_catalog as _copy_catalog
from labeler.core.store.backups import new_backup_path as _new_backup_path
from labeler.core.store.errors import (
    CatalogLocked,
    CatalogWriteError,
    DatabaseUnusable,
    NotACatalog,
    ReadOnlyStoreError,
    StoreError,
    explain,
)
from labeler.core.store.opening import BUSY_TIMEOUT_MS, OPEN_WAIT_S, open_catalog
from labeler.core.store.restore import RestoreResult, restore_backup, restore_catalog

# Image ids often come out of numpy arrays; bind them as plain integers.
sqlite3.register_adapter(np.int64, int)
sqlite3.register_adapter(np.int32, int)

# Errors a write can meet when the disk is full, the media is gone or the file is locked: the
# writer retries label commits that fail with these (CatalogWriteError is an OperationalError).
TRANSIENT_WRITE_ERRORS = (sqlite3.OperationalError, OSError)

__all__ = [
    "BACKUPS_KEPT",
    "BUSY_TIMEOUT_MS",
    "CatalogLocked",
    "CatalogWriteError",
    "DatabaseUnusable",
    "NotACatalog",
    "ReadOnlyStoreError",
    "RestoreResult",
    "StoreBase",
    "StoreError",
    "TRANSIENT_WRITE_ERRORS",
    "backup_dir_for",
    "list_backups",
    "restore_backup",
    "restore_catalog",
    "utcnow",
]


def utcnow() -> str:
    """Current UTC time as an ISO 8601 string with milliseconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class StoreBase:
    """One project catalog: a writer connection (or a read-only one) and the common plumbing.

    Every write runs in its own ``BEGIN IMMEDIATE`` transaction through :meth:`write`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        wait_s: float = OPEN_WAIT_S,
        on_wait: Callable[[str], None] | None = None,
    ):
        """Open the catalog at ``path`` (a writer creates or migrates it first).

        Waits up to ``wait_s`` for another process's lock, telling ``on_wait`` once why it
        waits. Raises NotACatalog, CatalogLocked, DatabaseUnusable or StoreError.
        """
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self.conn, self._catalog_lock = open_catalog(
            self.path, readonly=readonly, wait_s=wait_s, on_wait=on_wait
        )

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection and let go of the catalog (idempotent)."""
        with self._lock:
            conn = getattr(self, "conn", None)
            if conn is not None:
                conn.close()
                self.conn = None  # type: ignore[assignment]
            lock = getattr(self, "_catalog_lock", None)
            if lock is not None:
                lock.release()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the body in one ``BEGIN IMMEDIATE`` transaction; commit on success.

        The commit has returned when the block exits without an exception: only then is
        the change durable.
        """
        if self.readonly:
            raise ReadOnlyStoreError("this catalog connection is read-only")
        with self._lock, self._explaining():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise

    @contextlib.contextmanager
    def _explaining(self) -> Iterator[None]:
        """Turn a disk that refused a write (full, read-only, failing) into the user's message."""
        try:
            yield
        except CatalogWriteError:
            raise
        except (sqlite3.Error, OSError) as exc:
            better = explain(exc, self.path)
            if better is None:
                raise
            raise better from exc

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows as ``sqlite3.Row``."""
        with self._lock:
            cur = self.conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            # In chunks: a single fetchall of 100,000 rows never lets other threads run (the
            # window's among them), while a Python loop hands the interpreter over in between.
            rows: list[sqlite3.Row] = []
            while chunk := cur.fetchmany(2000):
                rows.extend(chunk)
            return rows

    def scalar(self, sql: str, params: Any = ()) -> Any:
        """Run a read query and return the first column of the first row (or None)."""
        with self._lock:
            row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # -- settings --------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        """Read a JSON value from the project's settings table."""
        raw = self.scalar("SELECT value FROM meta WHERE key=?", (key,))
        return default if raw is None else json.loads(raw)

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value in the project's settings table."""
        with self.write() as c:
            c.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value)),
            )

    # -- health and backups ----------------------------------------------------------------
    def journal_mode(self) -> str:
        """The journal mode the connection actually runs in."""
        return str(self.scalar("PRAGMA journal_mode")).lower()

    def integrity_check(self) -> str:
        """Run ``PRAGMA integrity_check`` and return its first line ("ok" when healthy)."""
        return str(self.scalar("PRAGMA integrity_check"))

    def backup(self, dest: str | os.PathLike[str] | None = None, *, reason: str = "manual") -> Path:
        """Copy the catalog with SQLite's online backup API and verify the copy.

        Without ``dest`` the copy goes to this catalog's backup folder (copies a killed backup
        left there are removed first) and only the newest backups are kept.
        """
        target = _new_backup_path(self.path, reason) if dest is None else Path(dest)
        made = _copy_catalog(self.path, target)
        if dest is None:
            prune(self.path)
        return made
