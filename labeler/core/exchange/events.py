"""Event-level observations: one per burst and species, as Camtrap DP's ``observationLevel=event``.

A burst's event spans its first to its last frame. Each species seen in the burst gets one
observation with the largest count any frame gave it; a burst whose decided frames are all
blank gets one blank observation. A person's decision in any frame makes the event's
classification human; otherwise it is the machine's, with its highest probability.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence

from labeler.core.exchange.validate import BadValue, parse_timestamp
from labeler.core.timezones import stamp

_ID_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@functools.lru_cache(maxsize=4096)
def utc_stamp(text: str | None) -> str:
    """A stored decision time as ``YYYY-MM-DDTHH:MM:SSZ``, or "" when it is not a time.

    Cached: a bulk action gives thousands of decisions the same time.
    """
    try:
        value = parse_timestamp(text)
    except BadValue:
        return ""
    return dt.datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def event_observations(
    rows: Sequence[tuple],
    times: dict[int, dt.datetime],
    zones: dict[str, dt.tzinfo | None],
    dep_ids: dict[str, str],
    columns: list[str],
) -> list[list]:
    """Observation rows (in ``columns`` order) at event level for the export rows of a project."""
    frames: dict[int, list[int]] = {}
    folder_of: dict[int, str] = {}
    seen: dict[int, dict[tuple, dict]] = {}
    for r in rows:
        iid, folder, seq, otype, key, count, method, by, prob, decided, sci, common = (
            r[0],
            r[2],
            r[6],
            r[9],
            r[10],
            r[11],
            r[12],
            r[13],
            r[14],
            r[15],
            r[17],
            r[16],
        )
        if seq is None:
            continue
        folder_of[seq] = folder
        if iid not in frames.setdefault(seq, []):
            frames[seq].append(iid)
        if otype is None or otype == "unclassified":
            continue
        group = seen.setdefault(seq, {}).setdefault((otype, key), {
            "type": otype, "sci": sci, "common": common, "key": key, "count": None, "human": False,
            "by": {}, "prob": None, "decided": None,
        })  # fmt: skip
        if count and count >= 1:
            group["count"] = max(group["count"] or 0, count)
        group["human"] |= method == "human"
        group["by"][by or ""] = group["by"].get(by or "", 0) + 1
        if method == "machine" and prob is not None and 0 <= prob <= 1:
            group["prob"] = max(group["prob"] or 0.0, float(prob))
        if decided and (group["decided"] is None or decided > group["decided"]):
            group["decided"] = decided
    out = []
    for seq, groups in seen.items():
        kinds = [g for g in groups.values() if g["type"] != "blank"] or list(groups.values())[:1]
        folder = folder_of[seq]
        frame_times = [times[i] for i in frames[seq] if i in times]
        if not frame_times:
            continue
        start, end = (
            stamp(min(frame_times), zones.get(folder)),
            stamp(max(frame_times), zones.get(folder)),
        )
        for g in kinds:
            name = g["sci"] if g["type"] == "animal" and g["sci"] else ""
            row = dict.fromkeys(columns, "")
            row.update({
                "observationID": f"e{seq}-{_ID_SAFE.sub('_', str(g['key'] or g['type']))}",
                "deploymentID": dep_ids[folder], "eventID": f"e{seq}", "eventStart": start, "eventEnd": end,
                "observationLevel": "event", "observationType": g["type"] if g["type"] in
                ("animal", "human", "vehicle", "blank", "unknown") else "unknown",
                "scientificName": name, "count": g["count"] or "",
                "classificationMethod": "human" if g["human"] else "machine",
                "classifiedBy": max(g["by"], key=lambda b: g["by"][b]) if g["by"] else "",
                "classificationTimestamp": utc_stamp(g["decided"]),
                "classificationProbability": "" if g["human"] or g["prob"] is None else round(g["prob"], 6),
                "observationComments": f"species: {g['common'] or g['key']}"
                if g["type"] in ("animal", "unknown") and not g["sci"] else "",
            })  # fmt: skip
            out.append([row[c] for c in columns])
    return out
