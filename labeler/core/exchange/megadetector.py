"""MegaDetector batch-output JSON (format 1.x): import boxes and classifications, export ours.

Import: every value is checked (NaN or out-of-range confidences, wrong types, malformed boxes
are refused and counted; boxes a hair outside the frame are clamped), an image keeps at most
``MAX_BOXES`` boxes (the most confident), paths match by their longest common suffix (see
:class:`PathMatcher`), a backup is taken before anything is written, and the file's detector
and thresholds are kept with its boxes.

Export: every stored box of every source goes out unchanged, with its source named in
``info.detection_sources``; a person's verified labels ride on the boxes (and on a whole-image
box when there is none) as classifications with confidence 1; otherwise the model's top-k;
unreadable images are listed with a ``failure``.
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
from labeler.core.exchange.paths import PathMatcher
from labeler.core.exchange.step import PROGRESS_EVERY, Step
from labeler.core.exchange.validate import Problems
from labeler.core.store import Detection, Store

DETECTION_CATEGORIES = {"1": "animal", "2": "person", "3": "vehicle"}
CATEGORY_OF_TYPE = {
    "animal": "animal",
    "human": "person",
    "vehicle": "vehicle",
    "unknown": "animal",
}
SUPPORTED_MAJOR = "1"
FORMAT_VERSION = "1.4"
# More boxes than this on one frame is a broken file, not a herd; the most confident are kept.
MAX_BOXES = 1000
# MegaDetector's own recommendations, used when a file does not say.
TYPICAL_THRESHOLD = 0.2
CONSERVATIVE_THRESHOLD = 0.05
# Rounding in other tools leaves boxes a little outside the frame; more than this is refused.
BOX_SLACK = 0.02


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
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    boxes_dropped: int = 0
    detector: str | None = None

    def to_json(self) -> dict:
        """Plain dict."""
        return dict(self.__dict__)


def _finite(value, lo: float, hi: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) and lo <= v <= hi else None


def _bbox(value, problems: Problems, where: str) -> tuple[float, float, float, float] | None:
    """A box [x, y, w, h] inside the frame (clamped within a small slack), or None."""
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        problems.add("box refused: not a list of four numbers", where)
        return None
    nums = [_finite(v, -BOX_SLACK, 1 + BOX_SLACK) for v in value]
    if any(v is None for v in nums):
        problems.add("box refused: values not numbers between 0 and 1", where)
        return None
    x, y, w, h = nums  # type: ignore[misc]
    x, y = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
    w, h = min(w, 1.0 - x), min(h, 1.0 - y)
    if w <= 0 or h <= 0:
        problems.add("box refused: no width or height", where)
        return None
    if (x, y, w, h) != tuple(nums):
        problems.add("box clamped to the frame", where)
    return (x, y, w, h)


def _read(source: str | os.PathLike[str]) -> dict:
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except RecursionError:
        raise MegaDetectorFormatError(f"{Path(source).name} is nested too deeply to be "
                                      "MegaDetector output") from None  # fmt: skip
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MegaDetectorFormatError(f"{Path(source).name} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise MegaDetectorFormatError(
            f"{Path(source).name} is not MegaDetector output: no 'images' list"
        )
    return data


def _detections(entry: dict, det_cats: dict, cls_cats: dict, problems: Problems, where: str):
    dets = []
    raw = entry.get("detections")
    if not isinstance(raw, list):
        problems.add("detections refused: not a list", where)
        return dets
    for d in raw:
        if not isinstance(d, dict):
            problems.add("detection refused: not an object", where)
            continue
        conf = _finite(d.get("conf"), 0.0, 1.0)
        if conf is None:
            problems.add("detection refused: conf missing, not a number, NaN or outside 0-1", where)
            continue
        cat = d.get("category")
        if not isinstance(cat, (str, int)) or isinstance(cat, bool):
            problems.add("detection refused: category is not a string", where)
            continue
        bbox = _bbox(d.get("bbox"), problems, where)
        if bbox is None:
            continue
        classes = []
        for c in d.get("classifications") or []:
            score = (
                _finite(c[1], 0.0, 1.0) if isinstance(c, (list, tuple)) and len(c) == 2 else None
            )
            if score is None or not isinstance(c[0], (str, int)):
                problems.add(
                    "classification refused: not an [id, score] pair with a score 0-1", where
                )
                continue
            classes.append((str(cls_cats.get(str(c[0]), c[0])), score))
        dets.append(Detection(str(det_cats.get(str(cat), cat)), conf, bbox, tuple(classes)))
    return dets


def import_megadetector(
    store: Store,
    source: str | os.PathLike[str],
    *,
    name: str | None = None,
    max_boxes: int = MAX_BOXES,
    dry_run: bool = False,
) -> Generator[Step, None, MdImportReport]:
    """Store the boxes of a MegaDetector/AddaxAI results file (replacing an earlier import of
    the same file name); yields progress, returns the report. Nothing is written when no image
    matches or with ``dry_run``."""
    data = _read(source)
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    version = str(info.get("format_version", ""))
    report = MdImportReport(name or Path(source).name, version)
    report.detector = str(info.get("detector")) if info.get("detector") else None
    if not version:
        report.warnings.append("no info.format_version; read as format 1.x")
    elif not version.startswith(SUPPORTED_MAJOR + "."):
        report.warnings.append(f"format_version {version} is not 1.x; read as 1.x")
    det_cats = data.get("detection_categories")
    det_cats = det_cats if isinstance(det_cats, dict) and det_cats else DETECTION_CATEGORIES
    cls_cats = data.get("classification_categories")
    cls_cats = cls_cats if isinstance(cls_cats, dict) else {}
    paths = PathMatcher(store.image_ids_by_path())
    problems = Problems()
    results: dict[int, tuple[list[Detection] | None, str | None]] = {}
    total = len(data["images"])
    for entry in data["images"]:
        report.images += 1
        if report.images % PROGRESS_EVERY == 0:
            yield Step("read", report.images, total)
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            report.refused.append(f"entry {report.images}: no file name")
            continue
        image_id = paths.match(entry["file"])
        if image_id is None:
            continue
        report.matched += 1
        failure = entry.get("failure")
        if failure or entry.get("detections") is None:
            report.failures += 1
            results[image_id] = (None, str(failure or "no detections recorded")[:500])
            continue
        dets = _detections(entry, det_cats, cls_cats, problems, entry["file"])
        if len(dets) > max_boxes:
            report.boxes_dropped += len(dets) - max_boxes
            dets = sorted(dets, key=lambda d: -d.conf)[:max_boxes]
        report.detections += len(dets)
        results[image_id] = (dets, None)
    report.refused += paths.refused
    report.unmatched = paths.unmatched
    report.notes = paths.notes()
    report.problems = problems.lines()
    if report.boxes_dropped:
        report.notes.append(f"{report.boxes_dropped} boxes beyond {max_boxes} per image were "
                            "left out (the most confident are kept)")  # fmt: skip
    if results and not dry_run:
        store.backup(reason="before-import")
        store.write_detections(report.source, results)
        metadata = info.get("detector_metadata")
        store.register_region_source(report.source, "imported", {
            "detector": report.detector, "format_version": version or None,
            "detector_metadata": metadata if isinstance(metadata, dict) else None,
        })  # fmt: skip
    yield Step("read", total, total)
    return report


def _decisions(store: Store) -> tuple[dict[int, str], dict[int, list[tuple]]]:
    """Paths of exported images and their decisions (key, type, method, probability)."""
    paths: dict[int, str] = {}
    decisions: dict[int, list[tuple]] = {}
    for r in store.export_rows():
        image_id, path, otype, key, method, prob = r[0], r[1], r[9], r[10], r[12], r[14]
        paths[image_id] = path
        if otype is not None:
            decisions.setdefault(image_id, []).append((key, otype, method, prob))
    return paths, decisions


def _info(store: Store, source_ids: dict[str, str], classifier: str | None) -> dict:
    known = {r["source"]: r for r in store.region_sources()}
    sources = {}
    for name, sid in source_ids.items():
        entry = known.get(name, {})
        sources[sid] = {"name": name, "kind": entry.get("kind") or "imported",
                        **{k: v for k, v in (entry.get("info") or {}).items() if v}}  # fmt: skip
    meta = next(
        (s["detector_metadata"] for s in sources.values() if s.get("detector_metadata")), {}
    )
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "format_version": FORMAT_VERSION,
        "detector": "; ".join(s.get("detector") or s["name"] for s in sources.values()) or None,
        "detection_completion_time": now,
        "detector_metadata": {
            "typical_detection_threshold": meta.get(
                "typical_detection_threshold", TYPICAL_THRESHOLD
            ),
            "conservative_detection_threshold": meta.get(
                "conservative_detection_threshold", CONSERVATIVE_THRESHOLD
            ),
        },  # fmt: skip
        "detection_sources": sources,
        "classifier": classifier,
        "classification_completion_time": now,
        "classifier_metadata": {
            "whole_image": True,
            "verified_labels": "a person's label has confidence 1.0; machine decisions keep "
            "their probability; other classifications are the model's top suggestions",
        },
        "exported_by": "camtrap-labeler",
    }


def export_megadetector(
    store: Store, out: str | os.PathLike[str], model_id: int | None = None
) -> Generator[Step, None, dict]:
    """Write the project as MegaDetector batch output; yields progress, returns a report.

    Boxes of every source go out as stored (category, confidence and box unchanged). Decisions
    become classifications: on the boxes of their category, else on one whole-image box.
    Without boxes or decisions, the model's top-k rides on a whole-image box whose confidence
    is 1 - the empty score. Unreadable images are listed with their failure.
    """
    species = {s.key: s for s in store.species()}
    if model_id is None:
        active = store.active_model()
        model_id = active["id"] if active else None
    suggestions = {r[0]: (r[6], r[7]) for r in store.suggestion_rows(model_id)} if model_id else {}
    paths, decisions = _decisions(store)
    boxes: dict[int, list[tuple]] = {}
    for r in store.detection_rows():
        boxes.setdefault(r[0], []).append(r)
    path_of = {i: p for p, i in store.image_ids_by_path().items()}
    failures = {i: f"{status}: {detail}" if detail else status
                for i, _p, status, detail in store.unreadable_images()}  # fmt: skip
    failures.update(store.detector_failures())
    looked_at = store.detector_looked_at()
    det_ids = {name: cid for cid, name in DETECTION_CATEGORIES.items()}
    class_ids: dict[str, str] = {}
    source_ids: dict[str, str] = {}

    def det_id(name: str) -> str:
        return det_ids.setdefault(name, str(len(det_ids) + 1))

    def cls(pairs) -> list:
        return [[class_ids.setdefault(k, str(len(class_ids) + 1)), s] for k, s in pairs]

    ids = sorted(set(paths) | set(boxes) | set(failures), key=lambda i: path_of.get(i, ""))
    images, n_dets, n_failed = [], 0, 0
    for n, image_id in enumerate(ids, start=1):
        if n % PROGRESS_EVERY == 0:
            yield Step("export", n, len(ids))
        path, mine = path_of[image_id], decisions.get(image_id, [])
        votes = [(k or t, t, 1.0 if m == "human" else (p if p is not None else 1.0))
                 for k, t, m, p in mine if t != "blank"]  # fmt: skip
        tops = suggestions.get(image_id, (None, []))[1]
        dets = []
        for _i, source, category, conf, x, y, w, h, classes in boxes.get(image_id, []):
            det = {"category": det_id(category), "conf": conf,
                   "bbox": [0.0, 0.0, 1.0, 1.0] if x is None else [x, y, w, h],
                   "source": source_ids.setdefault(source, str(len(source_ids) + 1))}  # fmt: skip
            ours = [(k, s) for k, t, s in votes if CATEGORY_OF_TYPE.get(t) == category]
            pairs = ours or classes or (tops if category == "animal" else [])
            if pairs:
                det["classifications"] = cls(pairs)
            dets.append(det)
        if not dets:
            if votes:
                for category in dict.fromkeys(
                    CATEGORY_OF_TYPE.get(t, "animal") for _k, t, _s in votes
                ):
                    pairs = [
                        (k, s) for k, t, s in votes if CATEGORY_OF_TYPE.get(t, "animal") == category
                    ]
                    dets.append({"category": det_id(category), "conf": max(s for _k, s in pairs),
                                 "bbox": [0.0, 0.0, 1.0, 1.0], "classifications": cls(pairs)})  # fmt: skip
            elif mine:
                pass  # a person or the machine decided the frame is empty
            elif tops and (image_id not in looked_at or image_id in failures):
                top = species.get(tops[0][0])
                kind = top.observation_type if top else "animal"
                if kind != "blank":
                    empty = suggestions[image_id][0]
                    dets.append({"category": det_id(CATEGORY_OF_TYPE.get(kind, "animal")),
                                 "conf": 1.0 - empty if empty is not None else tops[0][1],
                                 "bbox": [0.0, 0.0, 1.0, 1.0], "classifications": cls(tops)})  # fmt: skip
            elif image_id in failures:
                images.append(
                    {"file": path, "failure": failures[image_id][:500], "detections": None}
                )
                n_failed += 1
                continue
            elif image_id not in looked_at:
                continue  # never processed: neither "nothing found" nor a failure
        n_dets += len(dets)
        images.append({"file": path, "detections": dets})
    names = {k: (species[k].common_name if k in species else k) for k in class_ids}
    head = {
        "info": _info(store, source_ids, store.model_version(model_id) if model_id else None),
        "detection_categories": {cid: name for name, cid in det_ids.items()},
        "classification_categories": {cid: names[k] for k, cid in class_ids.items()},
        "classification_category_descriptions": {
            cid: (species[k].scientific_name or k) if k in species else k for k, cid in class_ids.items()
        },
    }  # fmt: skip
    write_json_streamed(out, head, {"images": images})
    yield Step("export", len(ids), len(ids))
    return {"images": len(images), "detections": n_dets, "failures": n_failed,
            "classes": len(class_ids), "path": os.fspath(out)}  # fmt: skip
