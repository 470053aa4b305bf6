"""Writing large JSON documents piece by piece (each list item encoded on its own), so that a
background export never holds the interpreter for the whole file at once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from labeler.core.exchange.atomic import atomic_output


def write_json_streamed(
    path: str | os.PathLike[str], head: dict, lists: dict[str, Iterable]
) -> None:
    """Write ``{**head, name: [items...], ...}`` atomically, encoding one item at a time."""
    with atomic_output(path, encoding="utf-8") as f:
        f.write("{")
        first = True
        for key, value in head.items():
            f.write(
                ("" if first else ", ")
                + json.dumps(key)
                + ": "
                + json.dumps(value, ensure_ascii=False)
            )
            first = False
        for key, items in lists.items():
            f.write(("" if first else ", ") + json.dumps(key) + ": [")
            first = False
            for n, item in enumerate(items):
                f.write(("" if n == 0 else ", ") + json.dumps(item, ensure_ascii=False))
            f.write("]")
        f.write("}")
