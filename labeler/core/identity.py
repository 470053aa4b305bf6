"""Which catalog belongs to a folder: recognising a card by its content, not its absolute path.

A catalog keeps a sample of its images (relative path and size). A folder whose files match
that sample is the same card, wherever it is mounted or copied: it gets the catalog back, with
every label. A folder that does not match is refused instead of being scanned into another
card's catalog (which would mark all of that card's files missing). ``relink`` moves a
catalog to a new folder on request. Known folder -> catalog pairs are kept in a small registry
beside the catalogs.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from labeler.core.exchange.atomic import atomic_output
from labeler.core.project import data_dir, default_db_path
from labeler.core.store import Store, StoreError

SAMPLE_SIZE = 64
# Share of the sample that must be found (same relative path and size) to call it the same card.
MATCH_SHARE = 0.8
REGISTRY = "registry.json"


class DifferentFolder(ValueError):
    """A catalog was asked to take a folder that is not its card."""


@dataclass(frozen=True)
class Relinked:
    """What ``relink`` did."""

    catalog: str
    old: str
    new: str
    found: int
    sample: int
    images: int
    labeled: int

    def to_json(self) -> dict:
        """Plain dict."""
        return dict(self.__dict__)


def _absolute(folder: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(folder)))


def registry_path() -> Path:
    """The folder -> catalog registry."""
    return data_dir() / "projects" / REGISTRY


def read_registry() -> dict[str, str]:
    """Known folder -> catalog pairs (empty when the registry is missing or unreadable)."""
    try:
        data = json.loads(registry_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def register(
    folder: str | os.PathLike[str], catalog: str | os.PathLike[str], *, forget: str | None = None
) -> None:
    """Remember that ``folder`` uses ``catalog`` (and, optionally, forget another folder)."""
    entries = read_registry()
    entries[_absolute(folder)] = os.path.abspath(os.fspath(catalog))
    if forget is not None:
        entries.pop(_absolute(forget), None)
    path = registry_path()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, encoding="utf-8") as f:
            f.write(json.dumps(entries, indent=1, ensure_ascii=False))


def sample_match(folder: str | os.PathLike[str], sample: list) -> tuple[int, int]:
    """(how many sample files ``folder`` holds with the same size, sample size)."""
    found = 0
    for rel, size in sample:
        try:
            if os.stat(os.path.join(os.fspath(folder), *str(rel).split("/"))).st_size == size:
                found += 1
        except OSError:
            continue
    return found, len(sample)


def same_card(found: int, total: int) -> bool:
    """True when a sample match says "the same card"."""
    return total > 0 and found >= max(1, MATCH_SHARE * total)


def remember_card(store: Store, folder: str | os.PathLike[str]) -> None:
    """After a complete scan: keep the card's sample and register the folder."""
    store.set_meta("card_sample", [list(x) for x in store.card_sample(SAMPLE_SIZE)])
    register(folder, store.path)


def check_folder(store: Store, folder: str | os.PathLike[str]) -> str | None:
    """Refuse a folder that is not this catalog's card; returns a note when the card moved."""
    root = store.get_meta("root")
    here = _absolute(folder)
    if not root or root == here:
        return None
    sample = store.get_meta("card_sample") or store.card_sample(SAMPLE_SIZE)
    found, total = sample_match(here, sample)
    if same_card(found, total):
        return f"this is the card catalogued from {root} ({found} of {total} sample files match); the catalog follows it"
    raise DifferentFolder(
        f"the catalog {store.path} belongs to {root}, and {here} is not that card ({found} of "
        f"{total} sample files match); if the card moved, run `labeler relink {root} {here}`, "
        "otherwise leave out --db to give this folder its own catalog"
    )


def find_catalog(folder: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """The catalog for a folder (no ``--db``): registered, at the default path, or the catalog of
    the same card seen elsewhere; with a note when the card was recognised by its content."""
    here = _absolute(folder)
    known = read_registry().get(here)
    if known and Path(known).is_file():
        return Path(known), None
    default = default_db_path(here)
    if default.exists():
        return default, None
    projects = data_dir() / "projects"
    candidates = sorted(projects.glob("*.sqlite")) if projects.is_dir() else []
    for catalog in candidates:
        try:
            with Store(catalog, readonly=True) as other:
                root, sample = other.get_meta("root"), other.get_meta("card_sample")
        except (StoreError, OSError, ValueError, Exception):  # noqa: BLE001 - any unreadable catalog is skipped
            continue
        if not root or root == here or not sample:
            continue
        found, total = sample_match(here, sample)
        if same_card(found, total):
            register(here, catalog)
            return catalog, (f"recognised as the card catalogued from {root} ({found} of {total} "
                             "sample files match): its catalog and labels are used")  # fmt: skip
    return default, None


def relink(old: str | os.PathLike[str], new: str | os.PathLike[str], *, db: str | os.PathLike[str] | None = None,
           force: bool = False) -> Relinked:  # fmt: skip
    """Give the catalog of ``old`` to ``new`` (the card moved); every label stays."""
    old_abs, new_abs = _absolute(old), _absolute(new)
    if not os.path.isdir(new_abs):
        raise DifferentFolder(f"{new_abs} is not a folder")
    catalog = Path(db) if db else Path(read_registry().get(old_abs) or default_db_path(old_abs))
    if not catalog.is_file():
        raise DifferentFolder(f"no catalog for {old_abs} (looked for {catalog})")
    with Store(catalog) as store:
        root = store.get_meta("root")
        if root and root != old_abs and not force:
            raise DifferentFolder(f"the catalog {catalog} belongs to {root}, not {old_abs}")
        sample = store.get_meta("card_sample") or store.card_sample(SAMPLE_SIZE)
        found, total = sample_match(new_abs, sample)
        if not same_card(found, total) and not force:
            raise DifferentFolder(
                f"{new_abs} does not look like the card catalogued from {old_abs} ({found} of "
                f"{total} sample files match); use --force to relink it anyway"
            )
        store.set_meta("root", new_abs)
        counts = store.label_counts()
    register(new_abs, catalog, forget=old_abs)
    return Relinked(
        str(catalog), old_abs, new_abs, found, total, counts["images"], counts["labeled"]
    )
