"""Matching species names from outside (imports, ``species --add``) to the project's list.

A name matches a species by its key, common name or scientific name, ignoring case, spaces,
underscores, hyphens, punctuation and plural endings ("Red Foxes", "red_fox" and "Vulpes
vulpes" all find ``red_fox``). Words for an empty frame (blank, empty, none, nothing, ...)
find the blank entry, and likewise for people and vehicles. What matches nothing is reported,
never invented.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from inference.taxonomy import BLANK, HUMAN, OTHER, VEHICLE
from labeler.core.store import SpeciesRow

# Words people and tools write for "no animal", "a person", "a vehicle", "not identified".
SYNONYMS = {
    BLANK: ("blank", "empty", "none", "nothing", "no animal", "no animals", "no species",
            "nothing here", "false trigger", "misfire", "no wildlife", "empty frame"),
    HUMAN: ("human", "person", "people", "humans", "persons", "homo sapiens"),
    VEHICLE: ("vehicle", "car", "truck", "vehicles", "motor vehicle"),
    OTHER: ("unknown", "unidentified", "unknown animal", "unidentified animal", "other"),
}  # fmt: skip
# Names meaning "not decided yet": rows carrying them set no label.
UNDECIDED = {"", "unlabeled", "unlabelled", "unclassified", "not labeled", "not labelled", "na"}


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def normalize(name: str) -> str:
    """The form names are compared in: lower case, accents and punctuation gone, singular."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = text.casefold().replace("'", "")
    words = re.split(r"[^0-9a-z]+", text)
    return " ".join(_singular(w) for w in words if w)


@dataclass
class MatchReport:
    """How names were mapped: name -> key (None when nothing matched), with row counts."""

    mapping: dict[str, str | None] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def note(self, name: str, key: str | None) -> None:
        """Record one row's name and what it matched."""
        self.mapping.setdefault(name, key)
        self.rows[name] = self.rows.get(name, 0) + 1

    @property
    def unmatched(self) -> list[str]:
        """Names that matched no species, most frequent first."""
        names = [n for n, k in self.mapping.items() if k is None]
        return sorted(names, key=lambda n: (-self.rows.get(n, 0), n))

    def to_json(self) -> dict:
        """Plain dict: the mapping and the names that matched nothing, with their row counts."""
        return {
            "mapping": dict(self.mapping),
            "unmatched": {n: self.rows.get(n, 0) for n in self.unmatched},
        }


class SpeciesMatcher:
    """An index of the project's species by every name they go by."""

    def __init__(self, species: Iterable[SpeciesRow]):
        self.species: dict[str, SpeciesRow] = {}
        self._exact: dict[str, str] = {}
        self._by: dict[str, str] = {}
        for s in species:
            self.species[s.key] = s
        # Keys first, then common names, then scientific names: an earlier entry wins a tie.
        rows = list(self.species.values())
        for getter in (lambda s: s.key, lambda s: s.common_name, lambda s: s.scientific_name):
            for s in rows:
                self._index(getter(s), s.key)
        for key, words in SYNONYMS.items():
            if key in self.species:
                for w in words:
                    self._index(w, key)

    def _index(self, name: str | None, key: str) -> None:
        if not name:
            return
        self._exact.setdefault(name.strip().casefold(), key)
        norm = normalize(name)
        if norm:  # names of punctuation only match exactly
            self._by.setdefault(norm, key)

    def key(self, name: str | None) -> str | None:
        """The key a name refers to, or None."""
        if name is None:
            return None
        if name in self.species:
            return name
        found = self._exact.get(name.strip().casefold())
        if found is not None:
            return found
        norm = normalize(name)
        return self._by.get(norm) if norm else None

    def match(self, *names: str | None) -> str | None:
        """The key of the first of ``names`` (key, common, scientific...) that matches."""
        for name in names:
            if name and name.strip():
                found = self.key(name.strip())
                if found is not None:
                    return found
        return None

    def add(self, row: SpeciesRow) -> None:
        """Index a species added during an import (so later rows find it)."""
        self.species[row.key] = row
        for value in (row.key, row.common_name, row.scientific_name):
            self._index(value, row.key)


_UNDECIDED = {normalize(u) for u in UNDECIDED}


def undecided(name: str | None) -> bool:
    """True for names that mean "no decision yet" (the row sets no label)."""
    if name is None or not name.strip():
        return True
    norm = normalize(name)
    return bool(norm) and norm in _UNDECIDED
