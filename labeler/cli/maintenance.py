"""``labeler backup`` and ``labeler restore``: verified copies of the catalog and the way back."""

from __future__ import annotations

import argparse
from pathlib import Path

from labeler.cli.common import add_common, emit, open_store, verb


def add_parser(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="copy the catalog now (SQLite backup API, verified)")
    add_common(b)
    r = sub.add_parser(
        "restore", help="restore the catalog from a backup (the current file is set aside)"
    )
    add_common(r)
    r.add_argument("--from", dest="source", help="backup file (default: the newest verified one)")


@verb("backup")
def cmd_backup(args: argparse.Namespace) -> int:
    """Make a verified backup and list the kept ones."""
    from labeler.core.store import list_backups

    with open_store(args) as store:
        made = store.backup(reason="manual")
        kept = list_backups(store.path)
    emit(
        args,
        {"backup": str(made), "kept": [str(k) for k in kept]},
        f"backup written: {made}\nkept: {len(kept)}",
    )
    return 0


@verb("restore")
def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a verified backup in place of the catalog, which is set aside (never deleted).

    The backup is checked first, and nothing moves while another process has the catalog open.
    """
    from labeler.core.project import resolve_db_path
    from labeler.core.store import StoreError, restore_catalog

    try:
        db = resolve_db_path(args.folder, args.db)
        result = restore_catalog(db, Path(args.source).expanduser() if args.source else None)
    except (StoreError, ValueError) as exc:
        raise SystemExit(f"labeler: {exc}") from None
    aside = result.set_aside
    emit(
        args,
        {"restored": str(result.restored), "set_aside": str(aside) if aside else None},
        f"restored {result.restored}"
        + (f"; the previous catalog is kept at {aside}" if aside else ""),
    )
    return 0
