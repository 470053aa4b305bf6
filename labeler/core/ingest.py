"""Scanning a card into the catalog: commit batches, then duplicates, missing files and bursts."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field

from labeler.core import media
from labeler.core.generators import run_to_end
from labeler.core.identity import check_folder, remember_card
from labeler.core.safepath import image_path
from labeler.core.scan import ScanBatch, ScanProgress, WalkResult, iter_scan
from labeler.core.sequences import DEFAULT_GAP_S, group_sequences
from labeler.core.store import Store

NOTE_FOLDERS = 12


@dataclass
class ScanReport:
    """What a scan found; ``status`` counts add up to ``files``."""

    files: int
    status: dict[str, int]
    images: int
    sequences: int
    duplicates: int
    seconds: float
    files_per_second: float
    inspected: int
    missing: int
    newly_missing: int
    skipped_junk: int
    untimed: int
    state: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The report as plain JSON-ready data."""
        return asdict(self)


def commit_batch(store: Store, batch: ScanBatch) -> None:
    """Write one batch of inspected files (one transaction)."""
    store.upsert_files(batch.records, batch.unchanged, batch.renamed)


def _hash_in(root: str, rel: str) -> str | None:
    try:
        return media.full_hash(image_path(root, rel))
    except (OSError, ValueError):
        return None


def _hasher(root: str) -> Callable[[str], str | None]:
    # A partial of a module-level function: it pickles, so the scan may run in a child
    # process whose store calls are answered by the parent.
    return functools.partial(_hash_in, root)


def finalize_scan(
    store: Store,
    root: str | os.PathLike[str],
    walk: WalkResult,
    *,
    scan_id: int,
    started: float,
    gap_s: float = DEFAULT_GAP_S,
) -> ScanReport:
    """After the walk: confirm duplicates, mark missing files, regroup bursts, write the report.

    Missing files are only marked after a complete walk of a present folder.
    """
    root_s = os.path.abspath(os.fspath(root))
    notes: list[str] = []
    newly_missing = 0
    if walk.complete:
        newly_missing = store.mark_missing(walk.seen, walk.unreadable_dirs)
        state = "complete"
    elif walk.paused_reason:
        state = "paused"
        notes.append(f"paused: {walk.paused_reason}; nothing was marked missing")
    else:
        state = "cancelled"
        notes.append("cancelled; run the scan again to continue where it stopped")
    store.resolve_duplicates(_hasher(root_s))
    sequences, untimed = group_sequences(store.frames(), gap_s)
    store.replace_sequences(sequences)
    for folder in walk.unreadable_dirs:
        notes.append(f"folder {folder!r} could not be listed; its files were left as they were")
    if walk.skipped_links:
        notes.append(f"{len(walk.skipped_links)} links to folders were not followed")
    untimed_folders = store.untimed_by_folder()
    if untimed_folders:
        shown = list(untimed_folders.items())[:NOTE_FOLDERS]
        listing = ", ".join(f"{f or '.'} ({n})" for f, n in shown)
        if len(untimed_folders) > NOTE_FOLDERS:
            listing += f" and {len(untimed_folders) - NOTE_FOLDERS} more folders"
        notes.append(
            f"{sum(untimed_folders.values())} images have no capture time (no EXIF date and none "
            f"in the file name) and are not grouped into bursts: {listing}"
        )
    for folder, flags in store.flagged_times_by_folder().items():
        desc = ", ".join(f"{n} {flag.replace('_', ' ')}" for flag, n in sorted(flags.items()))
        notes.append(f"{folder or '.'}: camera clock looks wrong ({desc}); times kept as written")
    counts = store.catalog_counts()
    seconds = time.perf_counter() - started
    report = ScanReport(
        files=counts["files"],
        status=store.status_counts(),
        images=counts["images"],
        sequences=counts["sequences"],
        duplicates=counts["duplicates"],
        seconds=round(seconds, 3),
        files_per_second=round(len(walk.seen) / seconds, 1) if seconds > 0 else 0.0,
        inspected=walk.inspected,
        missing=counts["missing"],
        newly_missing=newly_missing,
        skipped_junk=walk.skipped_junk,
        untimed=counts["untimed"],
        state=state,
        notes=notes,
    )
    store.set_meta("root", root_s)
    if state == "complete":
        remember_card(store, root_s)
    store.set_meta("burst_gap_s", gap_s)
    store.end_scan(scan_id, state, report.to_json())
    return report


def run_scan(
    store: Store,
    root: str | os.PathLike[str],
    *,
    gap_s: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Generator[ScanProgress, None, ScanReport]:
    """Scan ``root`` into ``store`` synchronously, yielding progress; returns the report.

    Raises :class:`DifferentFolder` before anything is written when the catalog belongs to
    another card.
    """
    started = time.perf_counter()
    moved = check_folder(store, root)
    if gap_s is None:
        gap_s = float(store.get_meta("burst_gap_s", DEFAULT_GAP_S))
    scan_id = store.begin_scan()
    gen = iter_scan(root, store.file_index(), should_stop=should_stop)
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            walk: WalkResult = stop.value
            break
        if isinstance(event, ScanBatch):
            commit_batch(store, event)
        else:
            yield event
    report = finalize_scan(store, root, walk, scan_id=scan_id, started=started, gap_s=gap_s)
    if moved:
        report.notes.insert(0, moved)
    return report


def scan_to_end(store: Store, root: str | os.PathLike[str], **kw) -> ScanReport:
    """Run :func:`run_scan` to completion and return its report."""
    return run_to_end(run_scan(store, root, **kw))
