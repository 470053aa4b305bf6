"""Read-only access to the files that ship in ``resources/`` (taxonomy, maps, hotkeys)."""

from __future__ import annotations

import json
from importlib import resources as _res
from pathlib import Path
from typing import Any


def path(name: str) -> Path:
    """Return the filesystem path of a bundled resource file.

    Parameters
    ----------
    name
        File name inside ``resources/`` (for example ``"taxonomy.csv"``).
    """
    p = Path(str(_res.files(__name__).joinpath(name)))
    if not p.is_file():
        raise FileNotFoundError(f"resource {name!r} is not bundled with this installation")
    return p


def read_text(name: str) -> str:
    """Return the text of a bundled resource file (UTF-8)."""
    return path(name).read_text(encoding="utf-8")


def read_json(name: str) -> Any:
    """Return a bundled JSON resource, parsed."""
    return json.loads(read_text(name))
