"""Paths that come from imported files, matched to the catalog's relative paths.

An imported path only ever selects an image already in the catalog: nothing is resolved
against the file system, and paths with ``..`` or NUL characters are refused. Relative paths
match exactly; absolute paths (MegaDetector's default), paths with a drive letter or a UNC
host, and paths written from a folder above or below the catalog's match by their longest
common suffix of whole path components, and the prefixes removed or added are reported.
"""

from __future__ import annotations

import re
from collections import Counter

_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePath(ValueError):
    """A path in an imported file that can never be matched (``..``, NUL, empty)."""


def safe_relative(path: str) -> str:
    """Normalise an imported relative path to the catalog's form or raise UnsafePath.

    Absolute paths, ``..`` segments, drive letters, UNC paths, NUL bytes and empty paths are
    refused; nothing is resolved against the file system.
    """
    if not isinstance(path, str) or not path.strip():
        raise UnsafePath("empty path")
    if "\x00" in path:
        raise UnsafePath("path contains a NUL character")
    p = path.replace("\\", "/")
    if p.startswith("//"):
        raise UnsafePath(f"UNC path refused: {path!r}")
    if p.startswith("/"):
        raise UnsafePath(f"absolute path refused: {path!r}")
    if _DRIVE.match(p):
        raise UnsafePath(f"drive-letter path refused: {path!r}")
    if p.startswith("~"):
        raise UnsafePath(f"home-relative path refused: {path!r}")
    parts = [x for x in p.split("/") if x not in ("", ".")]
    if any(x == ".." for x in parts):
        raise UnsafePath(f"path leaving the folder refused: {path!r}")
    if not parts:
        raise UnsafePath("empty path")
    return "/".join(parts)


def components(path: str) -> tuple[list[str], bool]:
    """The path's components with any root, drive, UNC host or ``~`` removed, and whether it was
    anchored (absolute); raises UnsafePath for ``..``, NUL or nothing left."""
    if not isinstance(path, str) or not path.strip():
        raise UnsafePath("empty path")
    if "\x00" in path:
        raise UnsafePath("path contains a NUL character")
    p = path.strip().replace("\\", "/")
    anchored = p.startswith(("/", "~")) or bool(_DRIVE.match(p))
    if _DRIVE.match(p):
        p = p[2:]
    parts = [x for x in p.split("/") if x not in ("", ".")]
    if parts and parts[0] == "~":
        parts = parts[1:]
    if any(x == ".." for x in parts):
        raise UnsafePath(f"path leaving the folder refused: {path!r}")
    if not parts:
        raise UnsafePath("empty path")
    return parts, anchored


class PathMatcher:
    """Matches imported paths to catalog image ids, keeping a report of what it did."""

    def __init__(self, by_path: dict[str, int]):
        self.by_path = by_path
        self.refused: list[str] = []
        self.unmatched: list[str] = []
        self.stripped: Counter[str] = Counter()
        self.added: Counter[str] = Counter()
        self._tails: dict[str, list[str]] | None = None

    def _tail_index(self) -> dict[str, list[str]]:
        """Catalog paths by each of their proper suffixes (built on first need)."""
        if self._tails is None:
            self._tails = {}
            for p in self.by_path:
                parts = p.split("/")
                for i in range(1, len(parts)):
                    self._tails.setdefault("/".join(parts[i:]), []).append(p)
        return self._tails

    def match(self, raw: str) -> int | None:
        """The image id ``raw`` refers to, or None after noting why (refused or unmatched)."""
        try:
            parts, _anchored = components(raw)
        except UnsafePath as exc:
            self.refused.append(f"{raw!r}: {exc}")
            return None
        joined = "/".join(parts)
        hit = self.by_path.get(joined)
        if hit is not None:
            return hit
        for i in range(1, len(parts)):
            tail = "/".join(parts[i:])
            hit = self.by_path.get(tail)
            if hit is not None:
                self.stripped["/".join(parts[:i]) + "/"] += 1
                return hit
        longer = self._tail_index().get(joined, [])
        if len(longer) == 1:
            self.added[longer[0][: -len(joined)]] += 1
            return self.by_path[longer[0]]
        self.unmatched.append(
            joined if len(longer) == 0 else f"{joined} (ambiguous: {len(longer)} images)"
        )
        return None

    def notes(self) -> list[str]:
        """What suffix matching did, in a few lines."""
        out = []
        for prefix, n in self.stripped.most_common(3):
            out.append(f"{n} path(s) matched after removing the leading {prefix!r}")
        if len(self.stripped) > 3:
            out.append(f"... and {sum(self.stripped.values()) - sum(n for _, n in self.stripped.most_common(3))} "
                       "more matched after removing other leading folders")  # fmt: skip
        for prefix, n in self.added.most_common(3):
            out.append(f"{n} path(s) matched inside the catalog folder {prefix.rstrip('/')!r}")
        return out
