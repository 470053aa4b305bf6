"""``labeler backup`` and ``labeler restore``: verified copies of the catalog and the way back."""

from __future__ import annotations

import argparse

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
    """Set the current catalog aside (never deleted) and restore a backup in its place."""
    from labeler.core.maintenance import restore_catalog
    from labeler.core.project import resolve_db_path
    from labeler.core.store import StoreError

    db = resolve_db_path(args.folder, args.db)
    try:
        report = restore_catalog(db, args.source)
    except StoreError as exc:
        raise SystemExit(f"labeler: {exc}") from None
    aside = report["set_aside"]
    emit(args, report,
         f"restored {report['restored']}" + (f"; the previous catalog is kept at {aside}" if aside else ""))  # fmt: skip
    return 0
