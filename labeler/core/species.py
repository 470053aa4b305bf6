"""The project's species list: seeded from the bundled taxonomy, extended by the user."""

from __future__ import annotations

import re

from inference.taxonomy import OTHER, load_taxonomy
from labeler.core.labeling import LabelSession
from labeler.core.store import ActionRecord, SpeciesRow, Store


class SpeciesError(ValueError):
    """A species-list change that cannot be made (the message says why)."""


def default_species() -> list[SpeciesRow]:
    """The bundled taxonomy as species-list rows (all active)."""
    return [
        SpeciesRow(t.key, t.common_name, t.scientific_name, t.observation_type, "taxonomy", True)
        for t in load_taxonomy()
    ]


def ensure_default_species(store: Store) -> None:
    """Seed a new project's list; later taxonomy additions appear, user edits are kept."""
    store.ensure_species(default_species())


def project_labels(store: Store) -> list[str]:
    """Keys suggestions are ranked over: the active species, with ``other`` always present."""
    keys = [s.key for s in store.species(active_only=True)]
    if OTHER not in keys:
        keys.append(OTHER)
    return keys


def new_species_key(common_name: str, existing: set[str]) -> str:
    """A key for a species the user adds: its name in snake case, made unique."""
    base = re.sub(r"[^0-9a-z]+", "_", common_name.strip().lower()).strip("_") or "species"
    key, n = base, 2
    while key in existing:
        key = f"{base}_{n}"
        n += 1
    return key


def _known(store: Store, *keys: str) -> None:
    known = {s.key for s in store.species()}
    missing = [k for k in keys if k not in known]
    if missing:
        raise SpeciesError(f"no species with key {', '.join(missing)}")


def _refresh(store: Store) -> None:
    from labeler.core.predict_job import refresh_suggestions

    refresh_suggestions(store)


def rename_species(store: Store, key: str, name: str, scientific: str | None = None) -> None:
    """Give a species a new display name (its labels keep pointing at it)."""
    name = name.strip()
    if not name:
        raise SpeciesError("a species needs a name")
    _known(store, key)
    clash = [s.key for s in store.species() if s.common_name.casefold() == name.casefold()]
    if clash and clash != [key]:
        raise SpeciesError(f"another species is already called {name!r}")
    store.rename_species(key, name, scientific)


def hide_species(store: Store, key: str, hidden: bool = True) -> None:
    """Stop (or start again) suggesting a species; its labels stay."""
    _known(store, key)
    store.set_species_active(key, not hidden)
    _refresh(store)


def merge_species(
    store: Store, session: LabelSession, source: str, target: str
) -> ActionRecord | None:
    """Relabel ``source`` as ``target`` everywhere (one undoable action), then hide ``source``."""
    if source == target:
        raise SpeciesError("a species cannot be merged into itself")
    _known(store, source, target)
    record = session.merge_species(source, target)
    store.set_species_active(source, False)
    _refresh(store)
    return record


def unused_species(store: Store) -> list[str]:
    """User-added species that no label uses (what *Delete unused* removes)."""
    used = store.species_usage()
    return [s.key for s in store.species() if s.source == "user" and not used.get(s.key)]


def delete_unused_species(store: Store, keys: list[str] | None = None) -> list[str]:
    """Remove user-added species without labels (all of them, or those of ``keys``)."""
    removed = store.delete_species(unused_species(store) if keys is None else keys)
    if removed:
        _refresh(store)
    return removed


def add_user_species(
    store: Store, common_name: str, scientific_name: str | None = None
) -> tuple[str, bool]:
    """Add a species the user names, unless the list already has it under any of its names.

    Returns (key, True) for a new species, (key of the existing one, False) otherwise; an
    existing hidden species is shown again.
    """
    from labeler.core.species_match import SpeciesMatcher

    rows = store.species()
    found = SpeciesMatcher(rows).match(scientific_name, common_name)
    if found is not None:
        store.set_species_active(found, True)
        return found, False
    key = new_species_key(common_name, {s.key for s in rows})
    store.add_species(key, common_name, scientific_name)
    return key, True
