"""``labeler scan``: catalog a folder."""

from __future__ import annotations

import argparse

from labeler.cli.common import add_common, emit, fail, open_store, ranged, verb
from labeler.cli.progress import drive

MAX_GAP_S = 86400.0
EXIT_PAUSED = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="catalog a folder: statuses, duplicates, bursts")
    add_common(p)
    p.add_argument("--gap", type=ranged(float, 0, MAX_GAP_S, what="--gap"), default=None,
                   help="burst gap in seconds, 0 to 86400 (default: the project's, 60 at first)")  # fmt: skip


def scan_with_progress(store, folder, args: argparse.Namespace, **kw):
    """Scan ``folder`` into ``store`` with a progress bar; returns the scan report."""
    from labeler.core.ingest import run_scan

    return drive(run_scan(store, folder, **kw), args, "scan", "files")


@verb("scan")
def cmd_scan(args: argparse.Namespace) -> int:
    """Scan a folder into its catalog and print the report."""
    with open_store(args) as store:
        report = scan_with_progress(store, args.folder, args, gap_s=args.gap)
    lines = [
        f"{report.files} files in {report.seconds:.2f} s ({report.files_per_second:.0f} files/s), "
        f"{report.inspected} inspected, scan {report.state}",
        "status: " + ", ".join(f"{k} {v}" for k, v in report.status.items()),
        f"images {report.images}, bursts {report.sequences}, duplicates {report.duplicates}, "
        f"missing {report.missing}, skipped OS files {report.skipped_junk}",
    ]
    lines += [f"note: {n}" for n in report.notes]
    emit(args, report.to_json(), "\n".join(lines))
    if report.state == "paused":
        raise fail(f"scan paused: {'; '.join(report.notes)}", EXIT_PAUSED)
    if report.files == 0:
        raise fail(f"nothing scanned: {args.folder} holds no files")
    if report.images == 0:
        raise fail(f"none of the {report.files} files in {args.folder} is a usable image")
    return 0
