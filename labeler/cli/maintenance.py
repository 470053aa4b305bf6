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
    """Set the current catalog aside (never deleted) and restore a backup in its place."""
    import os
    import time

    from labeler.core.project import resolve_db_path
    from labeler.core.store import StoreError, list_backups, restore_backup

    db = resolve_db_path(args.folder, args.db)
    candidates = [Path(args.source)] if args.source else list_backups(db)
    if not candidates:
        raise SystemExit(f"labeler: no backups of {db}")
    aside = None
    if db.exists():
        aside = db.with_name(f"{db.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(db, aside)
        for suffix in ("-wal", "-shm"):
            side = Path(str(db) + suffix)
            if side.exists():
                os.replace(side, Path(str(aside) + suffix))
    errors = []
    for backup in candidates:
        try:
            restore_backup(backup, db)
        except StoreError as exc:
            errors.append(str(exc))
            continue
        emit(args, {"restored": str(backup), "set_aside": str(aside) if aside else None},
             f"restored {backup}" + (f"; the previous catalog is kept at {aside}" if aside else ""))  # fmt: skip
        return 0
    raise SystemExit("labeler: no backup could be restored: " + "; ".join(errors))
