"""``labeler relink OLD NEW``: the card moved (another mount point, a copy); keep its catalog."""

from __future__ import annotations

import argparse

from labeler.cli.common import add_verbosity, emit, folder_arg, verb


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "relink", help="give a card's catalog (and every label) to the folder it moved to"
    )
    p.add_argument("old", help="the folder the card was catalogued from (it may be gone)")
    p.add_argument("new", type=folder_arg, help="the folder the card is in now")
    p.add_argument("--db", help="the catalog to relink (default: the one of OLD)")
    p.add_argument("--force", action="store_true",
                   help="relink even when NEW does not hold the catalogued files")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    add_verbosity(p, argparse.SUPPRESS)


@verb("relink")
def cmd_relink(args: argparse.Namespace) -> int:
    """Move a catalog from OLD to NEW after checking NEW is the same card."""
    from labeler.core.identity import relink

    done = relink(args.old, args.new, db=args.db, force=args.force)
    emit(args, done.to_json(),
         f"{done.catalog} now belongs to {done.new} ({done.found} of {done.sample} sample files "
         f"found); {done.images} images, {done.labeled} labeled, every label kept")  # fmt: skip
    return 0
