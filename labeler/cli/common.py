"""Helpers shared by the command-line verbs: folder and catalog arguments, output."""

from __future__ import annotations

import argparse
import json
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


def folder_arg(value: str) -> Path:
    """An existing folder, resolved."""
    p = Path(value).expanduser()
    if not p.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is not a folder")
    return p.resolve()


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """FOLDER, --db and --json."""
    p.add_argument("folder", type=folder_arg, help="the folder of images (an SD-card dump)")
    p.add_argument("--db", help="catalog file to use (default: in the user's data directory)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def open_store(args: argparse.Namespace) -> Store:
    """Open (or create) the catalog for ``args.folder``; exits with a message on failure."""
    try:
        return Store(resolve_db_path(args.folder, args.db))
    except DatabaseUnusable as exc:
        lines = [f"labeler: {exc}"]
        if exc.backups:
            lines.append("verified backups of this catalog (newest first):")
            lines += [f"  {b}" for b in exc.backups]
            lines.append("restore one with: labeler restore FOLDER --from BACKUP")
        raise SystemExit("\n".join(lines)) from None
    except (StoreError, ValueError, OSError) as exc:
        raise SystemExit(f"labeler: {exc}") from None


def emit(args: argparse.Namespace, data: dict, text: str) -> None:
    """Print one JSON object with ``--json``, else the human summary."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(text)
