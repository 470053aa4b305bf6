"""``labeler scan``: catalog a folder."""

from __future__ import annotations

import argparse

from labeler.cli.common import add_common, emit, open_store, verb


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="catalog a folder: statuses, duplicates, bursts")
    add_common(p)
    p.add_argument("--gap", type=float, default=None, help="burst gap in seconds (default 60)")


@verb("scan")
def cmd_scan(args: argparse.Namespace) -> int:
    """Scan a folder into its catalog and print the report."""
    from labeler.core.ingest import scan_to_end

    with open_store(args) as store:
        report = scan_to_end(store, args.folder, gap_s=args.gap)
    lines = [
        f"{report.files} files in {report.seconds:.2f} s ({report.files_per_second:.0f} files/s), "
        f"{report.inspected} inspected, scan {report.state}",
        "status: " + ", ".join(f"{k} {v}" for k, v in report.status.items()),
        f"images {report.images}, bursts {report.sequences}, duplicates {report.duplicates}, "
        f"missing {report.missing}, skipped OS files {report.skipped_junk}",
    ]
    lines += [f"note: {n}" for n in report.notes]
    emit(args, report.to_json(), "\n".join(lines))
    return 0 if report.state != "paused" else 3
