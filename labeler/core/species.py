"""The project's species list: seeded from the bundled taxonomy, extended by the user."""

from __future__ import annotations

import re

from inference.taxonomy import OTHER, load_taxonomy
from labeler.core.store import SpeciesRow, Store


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
