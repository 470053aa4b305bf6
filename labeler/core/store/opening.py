"""The one way a catalog file is opened, created, migrated, set aside or restored.

Rules (RELIABILITY.md): locked is not corrupt; a file is set aside only after ``quick_check``
fails on a file nobody holds; create, migrate, set aside and restore hold the catalog's lock
exclusively, so a catalog open elsewhere is never moved and parallel first opens do not fight;
creation and migration are one transaction; a path that is not a catalog of ours (a folder, a
CSV, another program's database) is refused and never renamed.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from labeler.core.store.backups import copy_catalog, list_backups, new_backup_path
from labeler.core.store.errors import (
    CatalogLocked,
    DatabaseUnusable,
    NotACatalog,
    StoreError,
    explain,
    is_busy,
    is_corrupt,
)
from labeler.core.store.locking import EXCLUSIVE, SHARED, CatalogLock, describe_holders, lock_path
from labeler.core.store.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 5000
# How long an open waits for another process's lock before it says who holds the catalog.
OPEN_WAIT_S = 30.0
# A restore asks the user to close the other program rather than wait long for it.
RESTORE_WAIT_S = 3.0
SQLITE_HEADER = b"SQLite format 3\x00"

Waiter = Callable[[str], None] | None


def connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """A connection with the app's pragmas: WAL, ``synchronous=FULL``, foreign keys, busy wait."""
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA mmap_size=0")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    f"the catalog at {path} cannot use write-ahead logging (journal_mode={mode}); "
                    "keep the database on a local disk, not on a network share or SD card"
                )
        conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        raise
    return conn


# -- what a path holds ------------------------------------------------------------------------
def _header(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(len(SQLITE_HEADER))


def _evidence(path: Path) -> bool:
    """True when this app has used the path as a catalog (its lock file or backups exist)."""
    return lock_path(path).exists() or bool(list_backups(path))


def _tables(conn: sqlite3.Connection) -> tuple[list[str], bool]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    ours = "_sqlite_migrations" in names and bool(
        conn.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE migration_set=? LIMIT 1", (MIGRATIONS.name,)
        ).fetchone()
    )
    return names, ours


def refuse_foreign(path: Path) -> None:
    """Raise NotACatalog when ``path`` exists and is not (and never was) a catalog of ours.

    Nothing is locked, created or renamed before this check passes.
    """
    if path.is_dir():
        raise NotACatalog(
            f"{path} is a folder, not a catalog file; give --db a file name such as "
            "project.sqlite (the folder was left untouched)"
        )
    if not path.exists():
        return
    if not path.is_file():
        raise NotACatalog(f"{path} is not a regular file; it was left untouched")
    try:
        header = _header(path)
    except OSError as exc:
        raise StoreError(f"the catalog {path} cannot be read: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        if _evidence(path):
            return  # one of ours, damaged: set aside under the exclusive lock
        what = "an empty file" if path.stat().st_size == 0 else "not an SQLite database"
        raise NotACatalog(
            f"{path} is not a catalog of this app ({what}); it was left untouched: "
            "give --db a new file name or an existing catalog"
        )
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
        try:
            names, ours = _tables(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if is_corrupt(exc) and not _evidence(path):
            raise NotACatalog(
                f"{path} is a damaged SQLite database, not a catalog of this app (it was never "
                "opened as one); it was left untouched"
            ) from None
        return  # locked, or one of ours damaged: decided under the lock
    if names and not ours:
        shown = ", ".join(sorted(names)[:4]) + (" ..." if len(names) > 4 else "")
        raise NotACatalog(
            f"{path} is an SQLite database of another program (tables {shown}), not a catalog "
            "of this app; it was left untouched"
        )


@dataclass
class _State:
    """What a catalog file holds: "missing", "current", "outdated" or "unusable" (why)."""

    kind: str
    why: str = ""


def _inspect(path: Path, wait_s: float, on_wait: Waiter) -> _State:
    """Look at the file as it is now; waits out SQLite locks held by others (never "unusable")."""
    if not path.exists():
        return _State("missing")
    if path.stat().st_size == 0:
        wal = Path(f"{path}-wal")
        if not wal.exists() or wal.stat().st_size == 0:
            return _State("unusable", "the database file is empty (0 bytes)")
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            return _probe(path)
        except sqlite3.DatabaseError as exc:
            if is_corrupt(exc):
                return _State("unusable", f"the database file cannot be read ({exc})")
            if not is_busy(exc):
                reason = explain(exc, path)
                raise (reason or StoreError(f"the catalog {path} cannot be read: {exc}")) from exc
        if time.monotonic() >= deadline:
            raise CatalogLocked(
                f"the catalog {path} is locked by {describe_holders(path)}; it is not damaged, "
                "only busy: close the other program or wait for it to finish, then try again "
                "(nothing was changed)"
            )
        if not told and on_wait is not None:
            told = True
            on_wait(f"waiting for {describe_holders(path)} to release the catalog {path}")
        time.sleep(0.1)


def _probe(path: Path) -> _State:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    try:
        if _header(path) != SQLITE_HEADER and path.stat().st_size > 0:
            return _State("unusable", "the file is not an SQLite database")
        names, ours = _tables(conn)
        if names and not ours:
            raise NotACatalog(f"{path} is an SQLite database of another program; left untouched")
        row = conn.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            return _State(
                "unusable", f"the database failed its integrity check ({row[0] if row else '?'})"
            )
        if not names:
            return _State("missing")
        pending = MIGRATIONS.pending(Database(conn))
        return _State("outdated" if pending else "current")
    finally:
        conn.close()


# -- opening ----------------------------------------------------------------------------------
def open_catalog(
    path: Path, *, readonly: bool, wait_s: float = OPEN_WAIT_S, on_wait: Waiter = None
) -> tuple[sqlite3.Connection, CatalogLock]:
    """Open (writers: create or migrate) the catalog at ``path`` under its lock.

    Returns the connection and the lock, held shared until the caller releases it.
    Raises NotACatalog, CatalogLocked, DatabaseUnusable (the file was set aside) or StoreError.
    """
    if not readonly:
        if path.is_dir():
            refuse_foreign(path)
        _check_writable(path)
    refuse_foreign(path)
    if readonly:
        if not path.exists():
            raise StoreError(f"no catalog at {path}")
        lock = CatalogLock(path)
        lock.acquire(SHARED, wait_s, purpose="reading", on_wait=on_wait, create=False)
        try:
            return connect(path, readonly=True), lock
        except BaseException:
            lock.release()
            raise
    lock = CatalogLock(path)
    lock.acquire(SHARED, wait_s, purpose="opening", on_wait=on_wait)
    try:
        state = _inspect(path, wait_s, on_wait)
        if state.kind != "current":
            lock.acquire(EXCLUSIVE, wait_s, purpose=_purpose(state), on_wait=on_wait)
            state = _inspect(path, wait_s, on_wait)
            _prepare(path, state)
            lock.acquire(SHARED, wait_s, purpose="opening", on_wait=on_wait)
        return _connect_writer(path), lock
    except BaseException:
        lock.release()
        raise


def _purpose(state: _State) -> str:
    return {"missing": "creating it", "outdated": "upgrading it"}.get(state.kind, "checking it")


def _check_writable(path: Path) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"the folder {folder} for the catalog cannot be created: {exc.strerror}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"the folder {folder} holding the catalog is read-only; SQLite must write beside "
            "the catalog: make the folder writable, or copy the catalog to a writable folder "
            "and pass --db"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(
            f"the catalog {path} is a read-only file; make it writable (for example chmod u+w), "
            "or copy it to a writable folder and pass --db"
        )


def _connect_writer(path: Path) -> sqlite3.Connection:
    try:
        return connect(path, readonly=False)
    except sqlite3.Error as exc:
        reason = explain(exc, path)
        if reason is not None:
            raise reason from exc
        raise


def _prepare(path: Path, state: _State) -> None:
    """Under the exclusive lock: set aside, create or migrate, as the file needs."""
    if state.kind == "unusable":
        aside = set_aside(path, "unusable")
        raise DatabaseUnusable(
            f"{state.why}; it was moved to {aside} and nothing was overwritten",
            aside,
            list_backups(path),
        )
    if state.kind == "outdated":
        copy_catalog(path, new_backup_path(path, "before-migration"))
    if state.kind in ("missing", "outdated"):
        conn = _connect_writer(path)
        try:
            migrate(conn)
        except sqlite3.Error as exc:
            reason = explain(exc, path)
            if reason is not None:
                raise reason from exc
            raise
        finally:
            conn.close()


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every pending migration in one transaction (a new catalog is created whole)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        MIGRATIONS.apply(Database(conn))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def set_aside(path: Path, why: str) -> Path:
    """Rename the catalog (with its ``-wal``/``-shm``) to ``<name>.<why>-<time>``; never deletes."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
        n += 1
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    return aside
