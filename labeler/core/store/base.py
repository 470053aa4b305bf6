"""The catalog connection: pragmas, the one writer, transactions, backups and integrity checks."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from labeler.core.store.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000

# Image ids often come out of numpy arrays; bind them as plain integers.
sqlite3.register_adapter(np.int64, int)
sqlite3.register_adapter(np.int32, int)
BACKUPS_KEPT = 5


# Errors a write can meet when the disk is full, the media is gone or the file is locked: the
# writer retries label commits that fail with these.
TRANSIENT_WRITE_ERRORS = (sqlite3.OperationalError, OSError)


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


def utcnow() -> str:
    """Current UTC time as an ISO 8601 string with milliseconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA mmap_size=0")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise StoreError(
                f"the catalog at {path} cannot use write-ahead logging (journal_mode={mode}); "
                "keep the database on a local disk, not on a network share or SD card"
            )
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def backup_dir_for(db_path: Path) -> Path:
    """Folder where automatic backups of a catalog are kept."""
    return db_path.parent / "backups" / db_path.stem


def list_backups(db_path: Path) -> list[Path]:
    """Backups of a catalog, newest first."""
    folder = backup_dir_for(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.sqlite"), key=lambda p: p.name, reverse=True)


def _probe(path: Path) -> str | None:
    """Return why a database file is unusable, or None when it opens and passes quick_check."""
    if path.stat().st_size == 0:
        return "the database file is empty (0 bytes)"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"the database file cannot be read ({exc})"
    if row is None or row[0] != "ok":
        return f"the database failed its integrity check ({row[0] if row else 'no answer'})"
    return None


class StoreBase:
    """One project catalog: a writer connection (or a read-only one) and the common plumbing.

    Every write runs in its own ``BEGIN IMMEDIATE`` transaction through :meth:`write`.
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        if readonly:
            if not self.path.exists():
                raise StoreError(f"no catalog at {self.path}")
            self.conn = _connect(self.path, readonly=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            problem = _probe(self.path)
            if problem is not None:
                aside = self._set_aside()
                raise DatabaseUnusable(
                    f"{problem}; it was moved to {aside} and nothing was overwritten",
                    aside,
                    list_backups(self.path),
                )
        self.conn = _connect(self.path, readonly=False)
        self._migrate()

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            conn = getattr(self, "conn", None)
            if conn is not None:
                conn.close()
                self.conn = None  # type: ignore[assignment]

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _set_aside(self) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.unusable-{stamp}")
        n = 1
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.unusable-{stamp}-{n}")
            n += 1
        os.replace(self.path, aside)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
        return aside

    def _migrate(self) -> None:
        db = Database(self.conn)
        pending = MIGRATIONS.pending(db)
        if not pending:
            return
        has_data = self.conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='images'"
        ).fetchone()[0]
        if has_data:
            self.backup(reason="before-migration")
        with self._lock:
            MIGRATIONS.apply(db)

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the body in one ``BEGIN IMMEDIATE`` transaction; commit on success.

        The commit has returned when the block exits without an exception: only then is
        the change durable.
        """
        if self.readonly:
            raise ReadOnlyStoreError("this catalog connection is read-only")
        with self._lock:
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

        Without ``dest`` the copy goes to the project's backup folder and only the newest
        backups are kept.
        """
        if dest is None:
            folder = backup_dir_for(self.path)
            folder.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            target = folder / f"{stamp}-{reason}.sqlite"
        else:
            target = Path(dest)
        tmp = target.with_name(target.name + ".partial")
        if tmp.exists():
            tmp.unlink()
        # Copy through a separate read connection in one step: it reads one consistent
        # snapshot and, in WAL mode, never holds up the writer.
        src = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        out = sqlite3.connect(str(tmp))
        try:
            src.backup(out, pages=-1)
            check = out.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            out.close()
            src.close()
        if check != "ok":
            tmp.unlink(missing_ok=True)
            raise StoreError(f"backup failed its quick_check: {check}")
        os.replace(tmp, target)
        if dest is None:
            for old in list_backups(self.path)[BACKUPS_KEPT:]:
                old.unlink(missing_ok=True)
        return target


def restore_backup(backup: Path, db_path: Path) -> None:
    """Replace a (set-aside) catalog with a verified backup, through the backup API."""
    problem = _probe(backup)
    if problem is not None:
        raise StoreError(f"backup {backup} is not usable: {problem}")
    if db_path.exists():
        raise StoreError(f"{db_path} exists; set it aside before restoring over it")
    src = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(str(db_path))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
