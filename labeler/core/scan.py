"""Walking a card: find every file, skip what is unchanged, inspect the rest, in batches.

``iter_scan`` is a plain generator (no Qt, no SQL): it yields :class:`ScanProgress` and
:class:`ScanBatch` events and returns a :class:`WalkResult`. Whoever owns the catalog writer
commits each batch, so a killed scan resumes from the last committed batch.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from labeler.core.media import FileRecord, inspect_file, is_junk_dir, is_junk_file
from labeler.core.safepath import image_path, legacy_text, to_catalog

BATCH_SIZE = 500
PROGRESS_EVERY_S = 0.5
# Threads overlap the waits of slow USB readers; on a local disk Python does most of the work.
IO_THREADS = 4


class MediaUnavailable(Exception):
    """The card or folder disappeared while it was being read."""


@dataclass(frozen=True)
class KnownFile:
    """What the catalog already knows about a path."""

    size: int
    mtime_ns: int
    missing: bool


@dataclass(frozen=True)
class ScanProgress:
    """Throttled progress of a running scan."""

    done: int
    total: int
    inspected: int
    elapsed_s: float


@dataclass(frozen=True)
class ScanBatch:
    """Inspected records, unchanged paths and renamed rows (old text, new text), committed together."""

    records: list[FileRecord]
    unchanged: list[str]
    renamed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class WalkResult:
    """How the walk ended and what it saw."""

    seen: set[str] = field(default_factory=set)
    skipped_junk: int = 0
    unreadable_dirs: list[str] = field(default_factory=list)
    skipped_links: list[str] = field(default_factory=list)
    complete: bool = True
    paused_reason: str | None = None
    inspected: int = 0


def media_present(root: str, known_count: int) -> bool:
    """True when the folder is there and, if the catalog knows files, is not an empty mount point."""
    try:
        if not os.path.isdir(root):
            return False
        if known_count == 0:
            return True
        with os.scandir(root) as it:
            return any(True for _ in it)
    except OSError:
        return False


def _rel(root_len: int, path: str) -> str:
    rel = path[root_len:].lstrip(os.sep)
    if os.sep != "/":
        rel = rel.replace(os.sep, "/")
    return rel


def walk(root: str, result: WalkResult) -> Iterable[tuple[str, str, os.stat_result | None]]:
    """Yield ``(absolute path, relative path, stat)`` for every non-junk file under ``root``.

    Directory symlinks are not followed (no loops); file symlinks are followed. A stat of
    None means the entry could not be stat'ed (a broken link, a vanished file).
    """
    root_len = len(root)
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if not os.path.isdir(root):
                raise MediaUnavailable(f"{root} is no longer available ({exc.strerror})") from exc
            result.unreadable_dirs.append(_rel(root_len, current) or ".")
            if exc.errno == errno.ENAMETOOLONG:
                yield current, to_catalog(_rel(root_len, current)), None
            continue
        subdirs = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if not is_junk_dir(entry.name):
                    subdirs.append(entry.path)
                continue
            if is_junk_file(entry.name):
                result.skipped_junk += 1
                continue
            rel = to_catalog(_rel(root_len, entry.path))
            try:
                if entry.is_symlink() and os.path.isdir(entry.path):
                    result.skipped_links.append(rel)
                    continue
                st = entry.stat(follow_symlinks=True)
            except OSError:
                st = None
            yield entry.path, rel, st
        stack.extend(reversed(subdirs))


def _inspect(item: tuple[str, str, os.stat_result | None]) -> FileRecord | None:
    abs_path, rel, st = item
    if st is None:
        try:
            os.lstat(abs_path)
        except FileNotFoundError:
            return None  # removed while we looked
        except OSError as exc:
            status = "path_too_long" if exc.errno == errno.ENAMETOOLONG else "unreadable_io"
            return FileRecord(rel, 0, 0, status, f"{type(exc).__name__}: {exc.strerror}")
        return FileRecord(rel, 0, 0, "unreadable_io", "broken link or unreadable entry")
    try:
        return inspect_file(abs_path, rel, st)
    except FileNotFoundError:
        return None


def iter_scan(
    root: str | os.PathLike[str],
    known: dict[str, KnownFile],
    *,
    should_stop: Callable[[], bool] = lambda: False,
    batch_size: int = BATCH_SIZE,
    threads: int = IO_THREADS,
) -> Generator[ScanProgress | ScanBatch, None, WalkResult]:
    """Walk ``root`` and inspect new or changed files, yielding batches to commit.

    Unchanged files (same size and mtime) are not opened. When the folder disappears the
    scan stops with ``paused_reason`` set and ``complete`` False; nothing is marked missing.
    """
    root_s = os.path.abspath(os.fspath(root))
    result = WalkResult()
    if not media_present(root_s, len(known)):
        result.complete = False
        result.paused_reason = (
            f"{root_s} is not available or is empty while the catalog knows {len(known)} "
            "files; is the card inserted?"
        )
        return result
    t0 = time.perf_counter()
    last = 0.0
    done = 0
    pending: list[tuple[str, str, os.stat_result | None]] = []
    unchanged: list[str] = []
    renamed: list[tuple[str, str]] = []
    claimed: set[str] = set()

    def legacy_row(abs_path: str, rel: str) -> str | None:
        """The row a catalog written before names were escaped holds for this file, if any."""
        old = legacy_text(abs_path[len(root_s) :].lstrip(os.sep).replace(os.sep, "/"))
        if old == rel or old not in known or old in claimed:
            return None
        try:
            # Under the new reading the old text may name another file that exists: it is that
            # file's row, not this one's.
            other = image_path(root_s, old)
            if other != abs_path and os.path.lexists(other):
                return None
        except ValueError:
            return None
        claimed.add(old)
        return old

    def flush(pool: ThreadPoolExecutor) -> ScanBatch:
        inspected = list(pool.map(_inspect, pending))
        records = [r for r in inspected if r is not None]
        suspicious = len(records) < len(inspected) or any(
            r.status == "unreadable_io" for r in records
        )
        if suspicious and not media_present(root_s, len(known)):
            raise MediaUnavailable(f"{root_s} is no longer available")
        result.inspected += len(records)
        for r in records:
            result.seen.add(r.path)
        batch = ScanBatch(records, list(unchanged), list(renamed))
        pending.clear()
        unchanged.clear()
        renamed.clear()
        return batch

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        try:
            yield ScanProgress(0, 0, 0, 0.0)
            for item in walk(root_s, result):
                if should_stop():
                    result.complete = False
                    break
                abs_path, rel, st = item
                done += 1
                prev = known.get(rel)
                if prev is None and "\\" in rel:
                    old = legacy_row(abs_path, rel)
                    if old is not None:
                        renamed.append((old, rel))
                        prev = KnownFile(known[old].size, known[old].mtime_ns, True)
                if (
                    st is not None
                    and prev is not None
                    and prev.size == st.st_size
                    and prev.mtime_ns == st.st_mtime_ns
                ):
                    result.seen.add(rel)
                    if prev.missing:
                        unchanged.append(rel)
                else:
                    pending.append(item)
                if len(pending) >= batch_size or len(unchanged) >= batch_size * 20:
                    yield flush(pool)
                now = time.perf_counter()
                if now - last >= PROGRESS_EVERY_S:
                    last = now
                    yield ScanProgress(done, len(known), result.inspected, now - t0)
            if pending or unchanged or renamed:
                yield flush(pool)
            if not media_present(root_s, len(known)):
                raise MediaUnavailable(f"{root_s} is no longer available")
        except MediaUnavailable as exc:
            result.complete = False
            result.paused_reason = str(exc)
            return result
    yield ScanProgress(done, done, result.inspected, time.perf_counter() - t0)
    return result
