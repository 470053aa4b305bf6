"""Paths that come from imported files: only relative paths inside the project are accepted."""

from __future__ import annotations

import re

_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePath(ValueError):
    """A path in an imported file points outside the project (absolute, .., drive, UNC)."""


def safe_relative(path: str) -> str:
    """Normalise an imported path to the catalog's form (forward slashes) or raise UnsafePath.

    Absolute paths, ``..`` segments, drive letters, UNC paths, NUL bytes and empty paths are
    refused; nothing is resolved against the file system.
    """
    if not isinstance(path, str) or not path.strip():
        raise UnsafePath("empty path")
    if "\x00" in path:
        raise UnsafePath("path contains a NUL character")
    p = path.replace("\\", "/")
    if p.startswith("//") or path.startswith("\\\\"):
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


def match_image(
    raw: str, by_path: dict[str, int], refused: list[str], unmatched: list[str]
) -> int | None:
    """The catalog id of an imported path, or None after noting why in ``refused``/``unmatched``."""
    try:
        rel = safe_relative(raw)
    except UnsafePath as exc:
        refused.append(f"{raw!r}: {exc}")
        return None
    image_id = by_path.get(rel)
    if image_id is None:
        unmatched.append(rel)
    return image_id
