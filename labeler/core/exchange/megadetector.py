"""MegaDetector batch-output JSON (format 1.x): import boxes and classifications, export ours.

Images match the project by relative path only; unsafe paths are refused and unmatched ones
reported. Our export writes one whole-image detection per image carrying the top-k species as
classifications, the form Timelapse reads.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from labeler.core.exchange.jsonout import write_json_streamed
from labeler.core.exchange.paths import match_image
from labeler.core.store import Detection, Store

DETECTION_CATEGORIES = {"1": "animal", "2": "person", "3": "vehicle"}
CATEGORY_OF_TYPE = {"animal": "1", "human": "2", "vehicle": "3"}
SUPPORTED_MAJOR = "1"


class MegaDetectorFormatError(ValueError):
    """The file is not MegaDetector batch output."""


@dataclass
class MdImportReport:
    """What a MegaDetector import matched, stored, refused and warned about."""

    source: str
    format_version: str
    images: int = 0
    matched: int = 0
    detections: int = 0
    failures: int = 0
    unmatched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """Plain dict."""
        return dict(self.__dict__)


def _bbox(value) -> tuple[float, float, float, float] | None:
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        return None
    try:
        box = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if any(math.isnan(v) for v in box):
        return None
    return box  # type: ignore[return-value]


def import_megadetector(
    store: Store, source: str | os.PathLike[str], *, name: str | None = None
) -> MdImportReport:
    """Store the detections of a MegaDetector/AddaxAI results file (replacing an earlier import
    of the same file name)."""
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MegaDetectorFormatError(f"cannot read {source}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise MegaDetectorFormatError("not MegaDetector output: no 'images' list")
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    version = str(info.get("format_version", ""))
    report = MdImportReport(name or Path(source).name, version)
    if not version:
        report.warnings.append("no info.format_version; read as format 1.x")
    elif not version.startswith(SUPPORTED_MAJOR + "."):
        report.warnings.append(f"format_version {version} is not 1.x; read as 1.x")
    det_cats = data.get("detection_categories") or DETECTION_CATEGORIES
    cls_cats = data.get("classification_categories") or {}
    by_path = store.image_ids_by_path()
    results: dict[int, tuple[list[Detection] | None, str | None]] = {}
    for entry in data["images"]:
        report.images += 1
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            report.refused.append(f"entry {report.images}: no file name")
            continue
        image_id = match_image(entry["file"], by_path, report.refused, report.unmatched)
        if image_id is None:
            continue
        report.matched += 1
        failure = entry.get("failure")
        dets_raw = entry.get("detections")
        if failure or dets_raw is None:
            report.failures += 1
            results[image_id] = (None, str(failure or "no detections recorded"))
            continue
        dets = []
        for d in dets_raw if isinstance(dets_raw, list) else []:
            if not isinstance(d, dict):
                continue
            cat = det_cats.get(str(d.get("category")), str(d.get("category")))
            try:
                conf = float(d.get("conf", 0.0))
            except (TypeError, ValueError):
                continue
            classes = tuple(
                (str(cls_cats.get(str(c[0]), c[0])), float(c[1]))
                for c in d.get("classifications") or []
                if isinstance(c, (list, tuple)) and len(c) == 2
            )
            dets.append(Detection(cat, conf, _bbox(d.get("bbox")), classes))
        report.detections += len(dets)
        results[image_id] = (dets, None)
    store.write_detections(report.source, results)
    return report


def export_megadetector(
    store: Store, out: str | os.PathLike[str], model_id: int
) -> Generator[int, None, dict]:
    """Our predictions as MegaDetector batch output: one whole-image detection per image whose
    confidence is 1 - the empty score, with the top-k species as classifications."""
    species = {s.key: s for s in store.species()}
    version = store.model_version(model_id) or "unknown"
    class_ids: dict[str, str] = {}
    category_of = {k: CATEGORY_OF_TYPE.get(s.observation_type, "1") for k, s in species.items()}
    blank_keys = {k for k, s in species.items() if s.observation_type == "blank"}
    images = []
    n = 0
    for _image_id, path, _folder, _when, _seq, _frame, empty, tops in store.suggestion_rows(
        model_id
    ):
        detections = []
        if tops and tops[0][0] not in blank_keys:
            for key, _score in tops:
                if key not in class_ids:
                    class_ids[key] = str(len(class_ids) + 1)
            conf = 1.0 - empty if empty is not None else tops[0][1]
            detections.append({"category": category_of.get(tops[0][0], "1"), "conf": conf, "bbox": [0.0, 0.0, 1.0, 1.0],
                               "classifications": [[class_ids[k], s] for k, s in tops]})  # fmt: skip
        images.append({"file": path, "detections": detections})
        n += 1
        if n % 20000 == 0:
            yield n
    head = {
        "info": {
            "format_version": "1.4",
            "classifier": version,
            "classification_completion_time": dt.datetime.now(dt.timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "classifier_metadata": {"whole_image": True},
        },
        "detection_categories": DETECTION_CATEGORIES,
        "classification_categories": {
            cid: species[k].common_name if k in species else k for k, cid in class_ids.items()
        },
        "classification_category_descriptions": {
            cid: (species[k].scientific_name or k) if k in species else k
            for k, cid in class_ids.items()
        },
    }
    write_json_streamed(out, head, {"images": images})
    yield n
    return {"images": n, "path": os.fspath(out), "classes": len(class_ids)}
