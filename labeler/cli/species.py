"""``labeler species``: the project's species list — list, add, hide, show."""

from __future__ import annotations

import argparse

from labeler.cli.common import add_common, emit, open_store, verb


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("species", help="list the project's species; add, hide or show some")
    add_common(p)
    p.add_argument(
        "--add", metavar="NAME", action="append", default=[], help="add a species (common name)"
    )
    p.add_argument("--scientific", help="scientific name of the species added")
    p.add_argument(
        "--hide", metavar="KEY", action="append", default=[], help="stop suggesting this species"
    )
    p.add_argument(
        "--show", metavar="KEY", action="append", default=[], help="suggest this species again"
    )


@verb("species")
def cmd_species(args: argparse.Namespace) -> int:
    """Edit the species list; suggestions are re-ranked over the new list."""
    from labeler.core.predict_job import refresh_suggestions
    from labeler.core.species import ensure_default_species, new_species_key

    with open_store(args) as store:
        ensure_default_species(store)
        keys = {s.key for s in store.species()}
        added = []
        for name in args.add:
            key = new_species_key(name, keys)
            store.add_species(key, name, args.scientific)
            keys.add(key)
            added.append(key)
        unknown = [k for k in args.hide + args.show if k not in keys]
        if unknown:
            raise SystemExit(
                f"labeler: no species with key {', '.join(unknown)} (see `labeler species FOLDER`)"
            )
        for key in args.hide:
            store.set_species_active(key, False)
        for key in args.show:
            store.set_species_active(key, True)
        refreshed = refresh_suggestions(store) if (added or args.hide or args.show) else 0
        rows = store.species()
    data = {
        "species": [s.__dict__ for s in rows],
        "added": added,
        "suggestions_refreshed": refreshed,
    }
    lines = [f"{'key':28} {'common name':32} {'scientific name':28} {'type':8} shown"]
    lines += [f"{s.key[:28]:28} {s.common_name[:32]:32} {(s.scientific_name or '')[:28]:28} {s.observation_type:8} "
              f"{'yes' if s.active else 'no'}" for s in rows]  # fmt: skip
    if added:
        lines.append(f"added: {', '.join(added)}")
    emit(args, data, "\n".join(lines))
    return 0
