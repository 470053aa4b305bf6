"""A validator for the Frictionless Table Schema features that Camtrap DP uses.

Checks a CSV against a table schema: the header, types (string, number, integer, boolean,
datetime with its format, date, any), the constraints required, unique, minimum, maximum,
enum and pattern, missing values, and the primary key. Foreign keys are checked across tables
by :func:`check_foreign_keys`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable

_BOOL_TRUE = {"true", "True", "TRUE", "1"}
_BOOL_FALSE = {"false", "False", "FALSE", "0"}


def _parse(value: str, field: dict):
    kind = field.get("type", "string")
    if kind in ("string", "any"):
        return value
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValueError("not an integer")
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if value in _BOOL_TRUE:
            return True
        if value in _BOOL_FALSE:
            return False
        raise ValueError("not a boolean")
    if kind == "datetime":
        fmt = field.get("format", "default")
        if fmt in ("default", "any"):
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dt.datetime.strptime(value, fmt.replace("%z", "%z"))
    if kind == "date":
        return dt.date.fromisoformat(value)
    raise ValueError(f"unsupported type {kind}")


def validate_rows(header: list[str], rows: Iterable[list[str]], schema: dict) -> list[str]:
    """Problems of a table (header and rows as read from CSV) against ``schema``."""
    errors: list[str] = []
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    if header != names:
        errors.append(f"header {header} differs from the schema's fields {names}")
        return errors
    missing = set(schema.get("missingValues", [""]))
    seen: dict[str, set] = {
        f["name"]: set() for f in fields if f.get("constraints", {}).get("unique")
    }
    pk = schema.get("primaryKey")
    pk_seen: set = set()
    for n, row in enumerate(rows, start=2):
        if len(row) != len(fields):
            errors.append(f"row {n}: {len(row)} cells for {len(fields)} fields")
            continue
        for field, raw in zip(fields, row, strict=True):
            c = field.get("constraints", {})
            name = field["name"]
            if raw in missing:
                if c.get("required"):
                    errors.append(f"row {n}: {name} is required")
                continue
            try:
                value = _parse(raw, field)
            except (ValueError, TypeError) as exc:
                errors.append(f"row {n}: {name}={raw!r} is not a valid {field.get('type')} ({exc})")
                continue
            if "enum" in c and raw not in c["enum"]:
                errors.append(f"row {n}: {name}={raw!r} not in {c['enum']}")
            if "minimum" in c and value < c["minimum"]:
                errors.append(f"row {n}: {name}={raw} below {c['minimum']}")
            if "maximum" in c and value > c["maximum"]:
                errors.append(f"row {n}: {name}={raw} above {c['maximum']}")
            if "pattern" in c and not re.match(c["pattern"] + r"\Z", raw):
                errors.append(f"row {n}: {name}={raw!r} does not match {c['pattern']}")
            if name in seen:
                if raw in seen[name]:
                    errors.append(f"row {n}: {name}={raw!r} is not unique")
                seen[name].add(raw)
        if isinstance(pk, str):
            value = row[names.index(pk)]
            if value in pk_seen:
                errors.append(f"row {n}: primary key {pk}={value!r} repeated")
            pk_seen.add(value)
        if len(errors) > 50:
            errors.append("... more problems not listed")
            break
    return errors


def validate_csv(path: str, schema: dict) -> list[str]:
    """Problems of a CSV file against a table schema (empty when it conforms)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        return validate_rows(header, reader, schema)


def check_foreign_keys(tables: dict[str, str], schemas: dict[str, dict]) -> list[str]:
    """Foreign-key problems across CSV tables (paths by resource name)."""
    values: dict[tuple[str, str], set[str]] = {}

    def column(table: str, name: str) -> list[str]:
        with open(tables[table], newline="", encoding="utf-8") as f:
            return [r[name] for r in csv.DictReader(f)]

    errors = []
    for table, schema in schemas.items():
        for fk in schema.get("foreignKeys", []):
            ref = fk["reference"]
            key = (ref["resource"], ref["fields"])
            if key not in values:
                values[key] = set(column(*key))
            for v in column(table, fk["fields"]):
                if v not in ("", "NA") and v not in values[key]:
                    errors.append(f"{table}.{fk['fields']}={v!r} has no match in {key[0]}.{key[1]}")
    return errors
