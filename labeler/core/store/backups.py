"""Backups of one catalog file: where they live, how they are named, copied, verified and pruned.

Backups live in ``catalog-backups/<catalog file name>/`` beside the catalog, so ``proj.sqlite``
and ``proj.db`` never share a folder (older versions kept them in ``backups/<stem>/``, which those
two shared; such a folder is still read when it can belong to one catalog only, and never pruned). A copy is written as ``<name>.<pid>.partial`` and renamed once
verified; a partial whose process is gone (or that is a day old) is removed by the next backup,
so a killed backup or import never leaves one behind for good.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time
from pathlib import Path

from labeler.core.store.errors import StoreError, explain

BACKUPS_KEPT = 5
BACKUPS_FOLDER = "catalog-backups"
LEGACY_FOLDER = "backups"
# A partial without a pid in its name comes from an older version; it is stale after this long.
STALE_PARTIAL_S = 600
# A pid may be reused by an unrelated process; no backup takes a day.
MAX_PARTIAL_AGE_S = 86_400
_NAME = re.compile(r"^\d{8}-\d{6}-\d{6}-[a-z0-9-]+\.sqlite$")
_PARTIAL = re.compile(r"\.(\d+)\.partial$")
_CATALOG_SUFFIXES = (".sqlite", ".db", ".sqlite3", ".db3")


def backup_dir_for(db_path: Path) -> Path:
    """Folder of a catalog's automatic backups, keyed by its full file name."""
    return db_path.parent / BACKUPS_FOLDER / db_path.name


def _legacy_dir(db_path: Path) -> Path | None:
    """The folder older versions shared between catalogs of one stem, when it is this one's.

    It is this catalog's only when no other catalog file with the same stem sits beside it.
    """
    folder = db_path.parent / LEGACY_FOLDER / db_path.stem
    if not folder.is_dir() or (db_path.parent / db_path.stem).is_file():
        return None
    for sibling in db_path.parent.glob(f"{_glob_escape(db_path.stem)}.*"):
        if sibling != db_path and sibling.suffix.lower() in _CATALOG_SUFFIXES and sibling.is_file():
            return None
    return folder


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def list_backups(db_path: Path) -> list[Path]:
    """Verified backups of a catalog, newest first."""
    found = []
    for folder in (backup_dir_for(db_path), _legacy_dir(db_path)):
        if folder is not None and folder.is_dir():
            found += [p for p in folder.glob("*.sqlite") if p.is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def partial_name(final_name: str, pid: int | None = None) -> str:
    """Name of the copy in progress of ``final_name``, tagged with the writing process."""
    return f"{final_name}.{os.getpid() if pid is None else pid}.partial"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_partials(folder: Path, prefix: str = "") -> int:
    """Remove copies in progress (named ``<prefix>*.partial``) whose process is gone.

    Returns how many were removed.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    now = time.time()
    for p in folder.glob(f"{_glob_escape(prefix)}*.partial"):
        try:
            age = now - p.stat().st_mtime
        except OSError:
            continue
        m = _PARTIAL.search(p.name)
        if m is None:
            stale = age > STALE_PARTIAL_S
        else:
            pid = int(m.group(1))
            stale = age > MAX_PARTIAL_AGE_S or (pid != os.getpid() and not _alive(pid))
        if stale:
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def verify_copy(path: Path) -> str:
    """``PRAGMA quick_check`` of a finished copy ("ok" when sound)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        conn.close()


def copy_catalog(source: Path, target: Path) -> Path:
    """Copy a catalog with SQLite's online backup API into ``target``, verified, atomically.

    The copy is read through a separate read-only connection in one step, so it sees one
    consistent snapshot and never holds up the writer. Nothing is left at ``target`` or beside
    it when the copy fails.
    """
    tmp = target.with_name(partial_name(target.name))
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        out = sqlite3.connect(str(tmp))
        try:
            src.backup(out, pages=-1)
        finally:
            out.close()
            src.close()
        check = verify_copy(tmp)
        if check != "ok":
            raise StoreError(f"the copy of {source.name} failed its quick_check: {check}")
        os.replace(tmp, target)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        reason = explain(exc, target)
        if reason is not None:
            raise CopyFailed(str(reason).replace("catalog", "copy", 1)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


class CopyFailed(StoreError):
    """A backup or restore copy could not be written (disk full, read-only, I/O error)."""


def new_backup_path(db_path: Path, reason: str) -> Path:
    """Path of a new automatic backup (created folder, stale partials cleaned)."""
    if not re.fullmatch(r"[a-z0-9-]{1,40}", reason):
        raise ValueError(f"backup reason {reason!r} must be a short lowercase word")
    folder = backup_dir_for(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    clean_partials(folder)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return folder / f"{stamp}-{reason}.sqlite"


def prune(db_path: Path, keep: int = BACKUPS_KEPT) -> None:
    """Delete this catalog's oldest automatic backups beyond ``keep`` (its own folder only)."""
    folder = backup_dir_for(db_path)
    mine = sorted((p for p in folder.glob("*.sqlite") if _NAME.match(p.name)), reverse=True)
    for old in mine[keep:]:
        old.unlink(missing_ok=True)
