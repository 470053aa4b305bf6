"""Helpers shared by the command-line verbs: arguments and their checks, the catalog, output.

Every mistake ends in one line on stderr and a non-zero exit: ``fail`` for errors (exit 1, or
the code given), argparse's own errors (exit 2, one line, see :class:`Parser`).
"""

from __future__ import annotations

import argparse
import json
import os
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


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors that point at the verb's help."""

    def error(self, message: str):  # type: ignore[override]
        """Print one line and exit 2 (argparse's code for a usage mistake)."""
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def fail(message: str, code: int = 1) -> SystemExit:
    """The exit for a mistake or for "nothing done": one line naming the reason.

    Used as ``raise fail(...)``. Exit 1 carries its message (the interpreter prints it once, on
    the way out); other codes print the line here first.
    """
    line = message if message.startswith("labeler") else f"labeler: {message}"
    if code == 1:
        return SystemExit(line)
    print(line, file=sys.stderr)
    return SystemExit(code)


def ranged(
    kind: type, lo: float | None = None, hi: float | None = None, *, what: str = "value"
) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` within [lo, hi]."""

    def check(text: str):
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{what} {text!r} is not {noun}") from None
        if value != value or (lo is not None and value < lo) or (hi is not None and value > hi):
            span = (f"between {lo:g} and {hi:g}" if lo is not None and hi is not None
                    else f"at least {lo:g}" if lo is not None else f"at most {hi:g}")  # fmt: skip
            raise argparse.ArgumentTypeError(f"{what} must be {span}, not {text}")
        return value

    check.__name__ = what
    return check


def folder_arg(value: str) -> Path:
    """An existing folder, resolved."""
    p = Path(value).expanduser()
    if not p.is_dir():
        if p.exists():
            raise argparse.ArgumentTypeError(f"{value} is not a folder (it is a file)")
        raise argparse.ArgumentTypeError(f"{value} is not a folder (no such folder)")
    return p.resolve()


def existing_file(value: str) -> Path:
    """An existing, readable file."""
    p = Path(value).expanduser()
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder, not a file")
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"{value}: no such file")
    if not os.access(p, os.R_OK):
        raise argparse.ArgumentTypeError(f"{value} cannot be read (permission denied)")
    return p


def output_file(value: str) -> Path:
    """A file to write: its folder must exist and it must not be a folder itself."""
    p = Path(value).expanduser()
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; give a file name to write")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"cannot write {value}: the folder {parent} does not exist"
        )
    return p


def output_folder(value: str) -> Path:
    """A folder to write into (created if its parent exists); never an existing file."""
    p = Path(value).expanduser()
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(
            f"{value} is a file; give a folder to write the package to"
        )
    if not p.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"cannot write {value}: the folder {p.parent} does not exist"
        )
    return p


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """FOLDER, --db, --json, -q and -v."""
    p.add_argument("folder", type=folder_arg, help="the folder of images (an SD-card dump)")
    p.add_argument("--db", help="catalog file to use (default: in the user's data directory)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    add_verbosity(p, argparse.SUPPRESS)


def add_verbosity(p: argparse.ArgumentParser, default) -> None:
    """-q and -v (accepted before or after the verb)."""
    p.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="print nothing but errors (no progress, no summary)")  # fmt: skip
    p.add_argument("-v", "--verbose", action="count", default=default,
                   help="also print what is being done on stderr (-vv: more)")  # fmt: skip


def open_store(args: argparse.Namespace) -> Store:
    """Open (or create) the catalog for ``args.folder``; exits with a message on failure."""
    try:
        if args.db is None:
            from labeler.core.identity import find_catalog

            path, found = find_catalog(args.folder)
            if found:
                note(args, f"labeler: {found}")
        else:
            path = resolve_db_path(args.folder, args.db)
        return Store(path)
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
    """Print one JSON object with ``--json``, else the human summary (nothing with ``-q``)."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, default=str))
    elif not getattr(args, "quiet", False):
        print(text)


def note(args: argparse.Namespace, text: str) -> None:
    """A line for the user on stderr (not with ``-q``; stdout stays one JSON object)."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)
