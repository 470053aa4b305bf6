"""Who may touch a catalog file: every open connection holds a shared lock, while creating,
migrating, setting aside and restoring hold it exclusively.

The lock is an advisory ``flock`` on ``<catalog>.lock``, a file that is never moved or deleted,
so it keeps meaning "this catalog path" while the catalog itself is renamed or replaced. The
kernel drops it when a process dies, so a killed process never leaves a catalog locked. Where
``/proc/locks`` exists, the processes holding the catalog (through this lock or SQLite's own
locks) are named in the message.
"""

from __future__ import annotations

import errno
import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path

from labeler.core.store.errors import CatalogLocked, StoreError

try:
    import fcntl
except ImportError:  # Windows: SQLite's own locks are the only guard there
    fcntl = None  # type: ignore[assignment]

SHARED, EXCLUSIVE = "shared", "exclusive"
POLL_S = (0.02, 0.05, 0.1, 0.2)


def lock_path(db: Path) -> Path:
    """The lock file of a catalog (beside it, like SQLite's ``-wal`` and ``-shm``)."""
    return db.with_name(db.name + ".lock")


class CatalogLock:
    """One process's hold on a catalog path: none, shared or exclusive."""

    def __init__(self, db: Path):
        self.db = db
        self.path = lock_path(db)
        self.mode: str | None = None
        self._fd: int | None = None

    def acquire(
        self,
        mode: str,
        wait_s: float,
        *,
        purpose: str,
        on_wait: Callable[[str], None] | None = None,
        create: bool = True,
    ) -> None:
        """Take (or change to) ``mode``, waiting up to ``wait_s``; raises CatalogLocked.

        With ``create=False`` a missing lock file is not created (a reader in a read-only
        folder) and the catalog is opened without a lock.
        """
        if fcntl is None or self.mode == mode:
            return
        if self._fd is None:
            self._fd = self._open(create)
            if self._fd is None:
                return
        op = fcntl.LOCK_EX if mode == EXCLUSIVE else fcntl.LOCK_SH
        deadline = time.monotonic() + wait_s
        told = False
        for attempt in itertools.count():
            try:
                fcntl.flock(self._fd, op | fcntl.LOCK_NB)
                self.mode = mode
                return
            except BlockingIOError:
                pass
            if self.mode is not None:
                # A conversion may have dropped the lock held so far; it is mode None now.
                self.mode = None
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not told and attempt and on_wait is not None:
                told = True
                on_wait(f"waiting for {describe_holders(self.db)} to release the catalog {self.db}")
            time.sleep(min(POLL_S[min(attempt, len(POLL_S) - 1)], left))
        holders = holders_of(self.db)
        raise CatalogLocked(
            f"the catalog {self.db} is in use by {describe_holders(self.db, holders)}; "
            f"{purpose} needs it {'to itself' if mode == EXCLUSIVE else 'open'}; close the other "
            "program or wait for it to finish, then try again (nothing was changed)",
            holders,
        )

    def release(self) -> None:
        """Let go (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self.mode = None

    def _open(self, create: bool) -> int | None:
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        try:
            return os.open(self.path, flags, 0o644)
        except FileNotFoundError:
            if create:
                raise StoreError(f"the folder of the catalog {self.db} does not exist") from None
            return None
        except PermissionError:
            pass
        except OSError as exc:
            if exc.errno != errno.EROFS:
                raise
        try:
            return os.open(self.path, os.O_RDONLY)
        except OSError:
            if create:
                raise StoreError(
                    f"the folder {self.db.parent} holding the catalog is read-only; SQLite must "
                    "write beside the catalog: make the folder writable, or copy the catalog to "
                    "a writable folder and pass --db"
                ) from None
            return None


def _proc_locks() -> list[tuple[int, str]]:
    """(pid, "major:minor:inode") of every lock in ``/proc/locks`` (empty where there is none)."""
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if "->" in parts:
            continue  # a process waiting for a lock does not hold it
        try:
            pid, where = int(parts[4]), parts[5]
        except (IndexError, ValueError):
            continue
        out.append((pid, where))
    return out


def _key(path: Path) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"


def holders_of(db: Path) -> list[int]:
    """Processes holding the catalog through its lock file or SQLite's locks, where known."""
    keys = {
        k
        for k in (_key(db), _key(lock_path(db)), _key(Path(f"{db}-shm")), _key(Path(f"{db}-wal")))
        if k
    }
    if not keys:
        return []
    seen: list[int] = []
    for pid, where in _proc_locks():
        if where in keys and pid > 0 and pid not in seen:
            seen.append(pid)
    return seen


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
    except OSError:
        return ""
    words = [os.path.basename(w.decode(errors="replace")) if i == 0 else w.decode(errors="replace")
             for i, w in enumerate(words) if w]  # fmt: skip
    text = " ".join(" ".join(words).split())
    return text if len(text) <= 80 else text[:77] + "..."


def describe_holders(db: Path, holders: list[int] | None = None) -> str:
    """Words for who holds a catalog: "process 123 (labeler scan /card)", or another program."""
    pids = holders_of(db) if holders is None else holders
    if not pids:
        return "another program"
    words = []
    for pid in pids[:3]:
        cmd = _command(pid)
        own = " (this program)" if pid == os.getpid() else ""
        words.append(f"process {pid}{f' ({cmd})' if cmd and not own else own}")
    more = f" and {len(pids) - 3} more" if len(pids) > 3 else ""
    return ", ".join(words) + more
