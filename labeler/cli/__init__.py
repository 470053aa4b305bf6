"""Command line: ``labeler [FOLDER]`` opens the window; verbs work headless (``--json`` for scripts).

Whatever goes wrong ends in one line on stderr and a non-zero exit, never a traceback: the
details go to the log file (``labeler --help`` names it).
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import threading
from pathlib import Path

from labeler import __version__
from labeler.cli.common import VERBS, Parser, add_verbosity, fail
from labeler.cli.progress import INTERRUPTED, check_interrupted, on_interrupt
from labeler.core.applog import get_logger, log_path, setup_logging
from labeler.core.runtime import relax_gc

VERB_MODULES = ("scan", "predict", "detect", "learn", "exchange", "maintenance", "species", "clock",
                "relink")  # fmt: skip
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
log = get_logger("cli")


def _load_verbs(sub: argparse._SubParsersAction) -> None:
    import importlib

    for name in VERB_MODULES:
        importlib.import_module(f"labeler.cli.{name}").add_parser(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all verbs."""
    parser = Parser(
        prog="labeler",
        description="Label camera-trap images. Without a verb, opens the window "
        "(`labeler [FOLDER]`).",
        epilog=f"log file: {log_path()}",
    )
    parser.add_argument("--version", action="version", version=f"labeler {__version__}",
                        help="print the version and exit")  # fmt: skip
    add_verbosity(parser, None)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=Parser)
    _load_verbs(sub)
    return parser


def _first_word(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``labeler`` console script; returns the exit code.

    Mistakes raise ``SystemExit`` with one line (argparse's exit 2, the verbs' exit 1 or
    their own code); interruptions, broken pipes and unexpected errors are turned into one
    line and a non-zero exit here.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    verbosity = sum(a.count("v") for a in argv if a.startswith("-v") and set(a[1:]) == {"v"})
    verbosity += argv.count("--verbose")
    setup_logging(verbosity)
    log.info("labeler %s: %s", __version__, " ".join(argv))
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if main_thread else None
    INTERRUPTED.clear()
    try:
        return _run(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _run(argv: list[str]) -> int:
    try:
        code = _dispatch(argv)
        check_interrupted()
        return code
    except SystemExit as exc:
        if exc.code not in (0, None):
            log.info("exit %s", exc.code)
        raise
    except _user_errors() as exc:
        log.info("refused: %s", exc)
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        log.warning("interrupted by the user")
        raise fail("interrupted; everything committed so far is kept (run the command again to "
                   "continue where it stopped)", EXIT_INTERRUPTED) from None  # fmt: skip
    except BrokenPipeError:
        # The reader went away (``labeler ... | head``): stop quietly, without Python's own
        # complaint when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except MemoryError:
        log.exception("out of memory")
        raise fail("out of memory; close other programs or work on a smaller folder",
                   EXIT_INTERNAL) from None  # fmt: skip
    except _write_errors() as exc:
        # The catalog could not be written (disk full, drive gone): the transaction was rolled
        # back, so nothing of this command is half-kept.
        log.exception("catalog write failed")
        raise fail(f"the catalog could not be written ({exc}); nothing of this command was "
                   "kept — free some space or check the drive, then run it again") from None  # fmt: skip
    except OSError as exc:
        log.exception("operating-system error")
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        raise fail(f"{exc.strerror or exc}{where}") from None
    except Exception as exc:
        log.exception("unexpected error")
        raise fail(f"unexpected error: {type(exc).__name__}: {str(exc)[:300]} "
                   f"(details in {log_path()})", EXIT_INTERNAL) from None  # fmt: skip


# Options whose values may start with "-" (a clock moved back): ``--shift -0:30`` is read as
# ``--shift=-0:30`` instead of argparse taking the value for an unknown option.
SIGNED_OPTIONS = ("--shift",)


def _join_signed(argv: list[str]) -> list[str]:
    out: list[str] = []
    it = iter(range(len(argv)))
    for i in it:
        if argv[i] in SIGNED_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            next(it, None)
        else:
            out.append(argv[i])
    return out


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors that describe the user's input or data: one line, exit 1."""
    from labeler.core.clock import ClockError
    from labeler.core.exchange.atomic import OutputError
    from labeler.core.exchange.camtrapdp import IncompleteDeployments
    from labeler.core.exchange.camtrapdp_in import CamtrapDPFormatError
    from labeler.core.exchange.csvread import CsvFormatError
    from labeler.core.exchange.megadetector import MegaDetectorFormatError
    from labeler.core.exchange.paths import UnsafePath
    from labeler.core.exchange.validate import BadValue
    from labeler.core.identity import DifferentFolder
    from labeler.core.store import StoreError

    return (ClockError, OutputError, IncompleteDeployments, CamtrapDPFormatError, CsvFormatError,
            MegaDetectorFormatError, UnsafePath, BadValue, DifferentFolder, StoreError)  # fmt: skip


def _write_errors() -> tuple[type[Exception], ...]:
    """The store's errors for a write that did not happen (OSError itself is handled apart)."""
    from labeler.core.store import TRANSIENT_WRITE_ERRORS

    return tuple(e for e in TRANSIENT_WRITE_ERRORS if not issubclass(e, OSError))


def _dispatch(argv: list[str]) -> int:
    argv = _join_signed(argv)
    parser = build_parser()
    first = _first_word(argv)
    asks = any(a in ("-h", "--help", "--version") for a in argv)
    if first in VERBS or (first is None and asks):
        args = parser.parse_args(argv)
        relax_gc()
        return VERBS[args.verb](args)
    if first is not None and not Path(first).expanduser().exists():
        close = difflib.get_close_matches(first, list(VERBS), n=1, cutoff=0.6)
        if close:
            raise fail(f"{first!r} is neither a verb nor a folder; did you mean "
                       f"`labeler {close[0]}`?", 2)  # fmt: skip
        if first.isidentifier():
            raise fail(f"{first!r} is neither a verb nor a folder "
                       f"(verbs: {', '.join(sorted(VERBS))})", 2)  # fmt: skip
    return _open_window(argv)


def _no_display() -> str | None:
    """Why the window cannot open here, or None (checked before Qt, which would abort)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            "the verbs work without one, e.g. `labeler scan FOLDER` (see `labeler --help`)")  # fmt: skip


def _open_window(argv: list[str]) -> int:
    from labeler.cli.common import folder_arg

    parser = Parser(prog="labeler", description="open the labeling window")
    parser.add_argument("folder", nargs="?", type=folder_arg, help="folder to open")
    parser.add_argument("--db", help="catalog file to use")
    add_verbosity(parser, None)
    args = parser.parse_args(argv)
    why = _no_display()
    if why:
        raise fail(why)
    from labeler.ui.app import run_app

    return run_app(args.folder, args.db)


__all__ = ["Path", "build_parser", "main"]
