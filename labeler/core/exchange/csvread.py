"""Reading CSV files from outside strictly: one clear error instead of a silent misreading.

An unterminated quote, a field over the size limit, text that is not UTF-8 or a binary file
are refused with the file, the line and the reason. Commas, semicolons and tabs are accepted
as separators (spreadsheets in many locales write semicolons).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

# Python's own limit (128 KB): no real label, path or name comes near it, and a larger field
# means a broken quote swallowed the rest of the file.
FIELD_LIMIT = 131072
SEPARATORS = ",;\t"


class CsvFormatError(ValueError):
    """The file cannot be read as a CSV table."""


def _separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def read_rows(path: str | os.PathLike[str]) -> list[list[str]]:
    """Every row of a CSV file (the header first), or :class:`CsvFormatError` naming the line."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            first = f.readline()
            if "\x00" in first:
                raise CsvFormatError(f"{path.name} is not a text file (it holds NUL bytes)")
            f.seek(0)
            reader = csv.reader(f, delimiter=_separator(first), strict=True)
            rows: list[list[str]] = []
            try:
                for row in reader:
                    # Checked here as well: other libraries raise the csv module's global limit.
                    if any(len(c) > FIELD_LIMIT for c in row):
                        raise csv.Error(f"field larger than field limit ({FIELD_LIMIT})")
                    rows.append(row)
            except csv.Error as exc:
                line = reader.line_num
                why = str(exc)
                if "field larger than field limit" in why:
                    why = f"a field is longer than {FIELD_LIMIT // 1024} KB (a quote left open?)"
                elif "unexpected end of data" in why:
                    why = "a quoted field is never closed (an unterminated quote)"
                raise CsvFormatError(f"{path.name}, line {line}: {why}") from None
    except UnicodeDecodeError as exc:
        raise CsvFormatError(
            f"{path.name} is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'"
        ) from None
    return rows


def read_table(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Header (stripped) and rows as dicts; rows shorter than the header get empty cells."""
    rows = read_rows(path)
    if not rows:
        return [], []
    header = [h.strip() for h in rows[0]]
    body = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        body.append({h: (row[i] if i < len(row) else "") for i, h in enumerate(header)})
    return header, body
