"""Command line: ``labeler [FOLDER]`` opens the window; verbs work headless (``--json`` for scripts)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from labeler.core.project import resolve_db_path
from labeler.core.store import DatabaseUnusable, Store, StoreError

VERBS: dict[str, Callable[[argparse.Namespace], int]] = {}


def verb(name: str):
    """Register a sub-command handler."""

    def inner(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        VERBS[name] = fn
        return fn

    return inner


def _folder(value: str) -> Path:
    p = Path(value).expanduser()
    if not p.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is not a folder")
    return p.resolve()


def _add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("folder", type=_folder, help="the folder of images (an SD-card dump)")
    p.add_argument("--db", help="catalog file to use (default: in the user's data directory)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all verbs."""
    parser = argparse.ArgumentParser(prog="labeler", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("scan", help="catalog a folder: statuses, duplicates, bursts")
    _add_common(p)
    p.add_argument("--gap", type=float, default=None, help="burst gap in seconds (default 60)")
    from labeler import cli_verbs

    cli_verbs.add_parsers(sub, _add_common)
    return parser


def open_store(args: argparse.Namespace) -> Store:
    """Open (or create) the catalog for ``args.folder``; exits with a message on failure."""
    try:
        path = resolve_db_path(args.folder, args.db)
        return Store(path)
    except DatabaseUnusable as exc:
        lines = [f"labeler: {exc}"]
        if exc.backups:
            lines.append("backups you can restore with `labeler restore`:")
            lines += [f"  {b}" for b in exc.backups]
        raise SystemExit("\n".join(lines)) from None
    except (StoreError, ValueError, OSError) as exc:
        raise SystemExit(f"labeler: {exc}") from None


def emit(args: argparse.Namespace, data: dict, text: str) -> None:
    """Print one JSON object with ``--json``, else the human summary."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(text)


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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``labeler`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in VERBS and argv[0] not in ("-h", "--help")):
        from labeler import cli_verbs  # noqa: F401 - registers the verbs

        if not argv or argv[0] not in VERBS:
            return _open_window(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    return VERBS[args.verb](args)


def _open_window(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="labeler", description="open the labeling window")
    parser.add_argument("folder", nargs="?", type=_folder, help="folder to open")
    parser.add_argument("--db", help="catalog file to use")
    args = parser.parse_args(argv)
    from labeler.ui.app import run_app

    return run_app(args.folder, args.db)


if __name__ == "__main__":
    raise SystemExit(main())
