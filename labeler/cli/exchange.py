"""``labeler export``, ``labeler import`` and ``labeler deployments``."""

from __future__ import annotations

import argparse
import sys

from labeler.cli.common import add_common, emit, open_store, verb
from labeler.core.generators import run_to_end

FORMATS = ("csv", "camtrapdp", "megadetector", "coco")


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(
        "export", help="write labels as CSV, Camtrap DP, MegaDetector JSON or COCO Camera Traps"
    )
    add_common(e)
    e.add_argument("--format", choices=FORMATS, required=True)
    e.add_argument(
        "--out", required=True, help="file (csv, megadetector, coco) or folder (camtrapdp)"
    )
    e.add_argument(
        "--suggestions",
        action="store_true",
        help="csv: one row per image with the top-5 suggestions",
    )
    e.add_argument(
        "--labeled-only", action="store_true", help="csv: leave out images without a decision"
    )
    e.add_argument(
        "--deployments",
        help="camtrapdp: CSV of deployment facts (folder, latitude, longitude, ...)",
    )
    i = sub.add_parser("import", help="read labels from a CSV or boxes from MegaDetector JSON")
    add_common(i)
    i.add_argument("--format", choices=("csv", "megadetector"), required=True)
    i.add_argument("--in", dest="source", required=True, help="the file to read")
    d = sub.add_parser(
        "deployments", help="show deployments (camera folders) or set them from a CSV"
    )
    add_common(d)
    d.add_argument(
        "--in", dest="source", help="CSV with folder, latitude, longitude, utcOffset, ..."
    )


def _apply_deployments(store, path: str) -> int:
    from labeler.core.exchange_jobs import apply_deployments_csv

    applied, unknown = apply_deployments_csv(store, path)
    if unknown:
        print(
            f"labeler: deployments CSV names folders not in the project: {', '.join(unknown)}",
            file=sys.stderr,
        )
    return applied


def _drain(gen):
    """Run a job generator, printing its warnings on stderr; returns its result."""
    from labeler.core.jobs import JobWarning

    def show(event) -> None:
        if isinstance(event, JobWarning):
            print(f"labeler: {event.message}", file=sys.stderr)

    return run_to_end(gen, show)


@verb("export")
def cmd_export(args: argparse.Namespace) -> int:
    """Write an export and print what it contains (and what is missing)."""
    from labeler.core.exchange_jobs import ExchangeError, ExportFormat, ExportRequest, run_export
    from labeler.core.ingest import scan_to_end

    request = ExportRequest(ExportFormat(args.format), args.out, suggestions=args.suggestions,
                            labeled_only=args.labeled_only, deployments=args.deployments)  # fmt: skip
    with open_store(args) as store:
        if store.last_scan() is None:
            scan_to_end(store, args.folder)
        try:
            result = run_to_end(run_export(store, request))
        except (ExchangeError, OSError) as exc:
            raise SystemExit(f"labeler: {exc}") from None
    shown = ("path", "problems", "cancelled", "format")
    lines = [f"wrote {args.format} to {args.out}: " + ", ".join(f"{k} {v}" for k, v in result.items()
                                                               if k not in shown)]  # fmt: skip
    lines += [f"note: {p}" for p in result.get("problems", [])]
    emit(args, result, "\n".join(lines))
    return 0


@verb("import")
def cmd_import(args: argparse.Namespace) -> int:
    """Import labels (CSV) or detections (MegaDetector JSON) for images already in the project."""
    from labeler.core.exchange_jobs import ExchangeError, ImportFormat, ImportRequest, run_import
    from labeler.core.ingest import scan_to_end

    with open_store(args) as store:
        if store.last_scan() is None:
            scan_to_end(store, args.folder)
        try:
            data = _drain(run_import(store, ImportRequest(ImportFormat(args.format), args.source)))
        except ExchangeError as exc:
            raise SystemExit(f"labeler: {exc}") from None
    lines = [", ".join(f"{k} {v if not isinstance(v, list) else len(v)}" for k, v in data.items())]
    lines += [f"refused: {r}" for r in data.get("refused", [])[:20]]
    lines += [f"no such image in the project: {u}" for u in data.get("unmatched", [])[:20]]
    emit(args, data, "\n".join(lines))
    return 0


@verb("deployments")
def cmd_deployments(args: argparse.Namespace) -> int:
    """Print the deployments; with --in, set their facts from a CSV first."""
    with open_store(args) as store:
        if args.source:
            _apply_deployments(store, args.source)
        deps = store.deployments()
    lines = [
        f"{'folder':30} {'images':>6} {'latitude':>9} {'longitude':>10} {'utc':>6}  first image"
    ]
    for f, d in deps.items():
        lines.append(f"{(f or '.')[:30]:30} {d['images']:6d} {d['latitude'] if d['latitude'] is not None else '-':>9} "
                     f"{d['longitude'] if d['longitude'] is not None else '-':>10} {d['utc_offset'] or '-':>6}  "
                     f"{d['first_image'] or '-'}")  # fmt: skip
    emit(args, {"deployments": deps}, "\n".join(lines))
    return 0
