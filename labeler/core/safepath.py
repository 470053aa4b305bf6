"""File names from a card as catalog text and back: any byte name, reversibly, never leaving its folder.

The catalog stores each file's path relative to the card as UTF-8 text with forward slashes. A
POSIX file name is any bytes; Python hands names that are not valid UTF-8 over with lone
surrogates (``surrogateescape``), which SQLite text cannot hold. :func:`to_catalog` writes such
bytes as ``\\xNN`` and a literal backslash as ``\\\\``, so two different names never share one
text (``caf\\xe9.jpg`` the byte name and ``caf\\\\xe9.jpg`` the literal one); :func:`image_path`
turns the text back into the file to open, and refuses anything that would leave the folder.
"""

from __future__ import annotations

import os

from inference.safety import open_regular

__all__ = ["UnsafePath", "from_catalog", "image_path", "legacy_text", "open_regular", "to_catalog"]


class UnsafePath(ValueError):
    """A catalog path that is empty, absolute or would leave the card's folder."""


def _is_plain(name: str) -> bool:
    if "\\" in name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def to_catalog(name: str) -> str:
    """Catalog text of a relative path as the OS gave it (valid UTF-8, one text per name)."""
    if _is_plain(name):
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def from_catalog(text: str) -> str:
    """The OS name of a catalog text (inverse of :func:`to_catalog`).

    A backslash that starts no escape is kept as it is, so paths stored before names were
    escaped still open.
    """
    if "\\" not in text:
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
            if nxt == "x" and _hex(text[i + 2 : i + 4], 2) and int(text[i + 2 : i + 4], 16) >= 0x80:
                out.append(chr(0xDC00 + int(text[i + 2 : i + 4], 16)))
                i += 4
                continue
            if nxt == "u" and _hex(text[i + 2 : i + 6], 4):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _hex(s: str, width: int) -> bool:
    return len(s) == width and all(c in "0123456789abcdefABCDEF" for c in s)


def legacy_text(name: str) -> str:
    """How catalogs written before escaping stored a name (bytes as ``\\xNN``, backslash kept)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def image_path(root: str | os.PathLike[str], rel: str) -> str:
    """The file to open for catalog path ``rel`` under ``root``; raises UnsafePath.

    Empty, absolute, ``.``/``..`` or empty segments are refused (and, on Windows, drive or
    stream colons), so a catalog path can never point outside the card.
    """
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\x00" in rel:
        raise UnsafePath(f"catalog path {rel!r} is not a relative path")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"catalog path {rel!r} would leave the folder")
    names = [from_catalog(p) for p in parts]
    if os.name == "nt" and any(":" in p or "\\" in p for p in names):
        raise UnsafePath(f"catalog path {rel!r} names a drive or stream")
    if any("/" in p or p in ("", ".", "..") for p in names):
        raise UnsafePath(f"catalog path {rel!r} would leave the folder")
    return os.path.join(os.fspath(root), *names)
