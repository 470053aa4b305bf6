"""Command line: ``labeler [FOLDER]`` opens the window; verbs work headless (``--json`` for scripts)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labeler.cli.common import VERBS
from labeler.core.runtime import relax_gc
from labeler.core.store.errors import StoreError

VERB_MODULES = ("scan", "predict", "detect", "learn", "exchange", "maintenance", "species")


def _load_verbs(sub: argparse._SubParsersAction) -> None:
    import importlib

    for name in VERB_MODULES:
        importlib.import_module(f"labeler.cli.{name}").add_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all verbs."""
    parser = argparse.ArgumentParser(
        prog="labeler",
        description="Label camera-trap images. Without a verb, opens the window.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    _load_verbs(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``labeler`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and (argv[0] in VERBS or argv[0] in ("-h", "--help")):
        args = parser.parse_args(argv)
        relax_gc()
        try:
            return VERBS[args.verb](args)
        except StoreError as exc:
            # Disk full, read-only or locked catalogs during a verb: one line, nothing lost.
            raise SystemExit(f"labeler: {exc}") from None
    return _open_window(argv)


def _open_window(argv: list[str]) -> int:
    from labeler.cli.common import folder_arg

    parser = argparse.ArgumentParser(prog="labeler", description="open the labeling window")
    parser.add_argument("folder", nargs="?", type=folder_arg, help="folder to open")
    parser.add_argument("--db", help="catalog file to use")
    args = parser.parse_args(argv)
    from labeler.ui.app import run_app

    return run_app(args.folder, args.db)


__all__ = ["Path", "build_parser", "main"]
