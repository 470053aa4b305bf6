"""``labeler species``: the project's species list — list, add, hide, show."""

from __future__ import annotations

import argparse

from labeler.cli.common import add_common, emit, fail, open_store, verb


class _AddSpecies(argparse.Action):
    """``--add NAME`` starts an entry; a following ``--scientific`` belongs to it alone."""

    def __call__(self, parser, namespace, values, option_string=None):
        entries = list(getattr(namespace, "add", None) or [])
        if option_string == "--scientific":
            if not entries:
                parser.error("--scientific must follow the --add it belongs to")
            if entries[-1][1] is not None:
                parser.error(f"--add {entries[-1][0]!r} has two --scientific names")
            entries[-1] = (entries[-1][0], values)
        else:
            if not values.strip():
                parser.error("--add needs a name")
            entries.append((values, None))
        namespace.add = entries


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("species", help="list the project's species; add, hide or show some")
    add_common(p)
    p.add_argument("--add", metavar="NAME", action=_AddSpecies, default=[],
                   help="add a species by its common name (repeat for several)")  # fmt: skip
    p.add_argument("--scientific", metavar="NAME", action=_AddSpecies, dest="add",
                   help="scientific name of the species of the --add just before it")  # fmt: skip
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
    from labeler.core.species import add_user_species, ensure_default_species

    with open_store(args) as store:
        ensure_default_species(store)
        keys = {s.key for s in store.species()}
        unknown = [k for k in args.hide + args.show if k not in keys]
        if unknown:
            raise SystemExit(
                f"labeler: no species with key {', '.join(unknown)} (see `labeler species FOLDER`)"
            )
        added, existing = [], []
        for name, scientific in args.add:
            key, new = add_user_species(store, name, scientific)
            (added if new else existing).append(key)
        for key in args.hide:
            store.set_species_active(key, False)
        for key in args.show:
            store.set_species_active(key, True)
        changed = added or existing or args.hide or args.show
        refreshed = refresh_suggestions(store) if changed else 0
        rows = store.species()
    data = {
        "species": [s.__dict__ for s in rows],
        "added": added,
        "already_listed": existing,
        "suggestions_refreshed": refreshed,
    }
    lines = [f"{'key':28} {'common name':32} {'scientific name':28} {'type':8} shown"]
    lines += [f"{s.key[:28]:28} {s.common_name[:32]:32} {(s.scientific_name or '')[:28]:28} {s.observation_type:8} "
              f"{'yes' if s.active else 'no'}" for s in rows]  # fmt: skip
    if added:
        lines.append(f"added: {', '.join(added)}")
    if existing:
        lines.append(f"already in the list (shown again, not added twice): {', '.join(existing)}")
    emit(args, data, "\n".join(lines))
    if args.add and not added and not args.hide and not args.show:
        raise fail(f"nothing added: {', '.join(existing)} already in the list")
    return 0
