"""Spreadsheet-safe CSV cells: text that a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Return ``value`` ready for a CSV cell.

    Numbers stay numbers; text starting with ``= + - @`` or a tab or carriage return gets a
    leading apostrophe (OWASP's CSV-injection advice), so spreadsheets show it as text.
    NUL characters, which break many readers, are removed.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).replace("\x00", "")
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def unsafe_cell(text: str) -> str:
    """Undo :func:`safe_cell` on a text cell read back from our own CSV."""
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text
