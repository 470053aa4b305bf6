"""Animal regions in the catalog: which source a prediction run crops from, and storing the
built-in localizer's regions.

Sources, best first: boxes imported from a MegaDetector/AddaxAI results file, boxes from a
detector model the user ran (``labeler detect``), the built-in localizer. A prediction run uses
one source for every image, and its model version names that source, so embeddings made on
different regions are never mixed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from inference.localize import BUILTIN_VERSION, Region, square_crop_box
from inference.pipeline import BUILTIN, GIVEN, WHOLE
from labeler.core.store import Detection, Store

AUTO = "auto"
NONE = "none"
BUILTIN_SOURCE = BUILTIN_VERSION
IMPORTED, DETECTOR = "imported", "detector"
# A results file or detector run is used for regions when it looked at this share of the images.
MIN_COVERAGE = 0.5
# MegaDetector's "typical" threshold: lower-confidence boxes are mostly not animals.
DEFAULT_MIN_CONF = 0.2
REGION_CATEGORIES = ("animal", "person", "vehicle", "1", "2", "3")


class RegionSourceError(ValueError):
    """The asked-for region source does not exist in this project."""


@dataclass
class RegionPlan:
    """How one prediction run finds the animal: pipeline mode, version tag and boxes."""

    mode: str
    tag: str
    source: str | None = None
    kind: str | None = None
    boxes: dict[int, list[Region]] = field(default_factory=dict)
    covered: int = 0

    def describe(self) -> str:
        """One line for reports: where the regions come from."""
        if self.mode == WHOLE:
            return "whole frame (no regions)"
        if self.mode == BUILTIN:
            return f"built-in localizer ({BUILTIN_VERSION})"
        return f"{self.kind} boxes from {self.source}"


def _tag(source: str) -> str:
    return "boxes-" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def to_regions(dets: Sequence[Detection], kind: str, min_conf: float) -> list[Region]:
    """A detector's boxes as regions, best first (categories animal/person/vehicle only)."""
    out = [
        Region(*d.bbox, score=float(d.conf), source=kind)
        for d in dets
        if d.bbox is not None and d.category in REGION_CATEGORIES and d.conf >= min_conf
    ]
    return sorted(out, key=lambda r: -r.score)


def plan_regions(
    store: Store, choice: str = AUTO, *, min_conf: float = DEFAULT_MIN_CONF
) -> RegionPlan:
    """The region source for a run: ``auto`` (best available), ``builtin``, ``none`` or the name
    of an imported results file or detector run (see ``store.region_sources()``)."""
    if choice == NONE:
        return RegionPlan(WHOLE, "whole-v1")
    if choice == BUILTIN:
        return RegionPlan(BUILTIN, BUILTIN_VERSION, BUILTIN_SOURCE, BUILTIN)
    sources = [s for s in store.region_sources() if s["kind"] in (IMPORTED, DETECTOR)]
    if choice == AUTO:
        usable = max(1, store.label_counts()["images"])
        ranked = sorted(
            (s for s in sources if (s["images"] - s["failed"]) / usable >= MIN_COVERAGE),
            key=lambda s: (s["kind"] != IMPORTED, s["created"] == "", s["created"]),
        )
        if not ranked:
            return RegionPlan(BUILTIN, BUILTIN_VERSION, BUILTIN_SOURCE, BUILTIN)
        chosen = ranked[0]
    else:
        chosen = next((s for s in sources if s["source"] == choice), None)
        if chosen is None:
            names = ", ".join(s["source"] for s in sources) or "none yet"
            raise RegionSourceError(
                f"no region source named {choice!r}; use auto, builtin, none or one of: {names}"
            )
    boxes = {
        image_id: to_regions(dets, chosen["kind"], min_conf)
        for image_id, dets in store.detections(source=chosen["source"]).items()
    }
    return RegionPlan(GIVEN, _tag(chosen["source"]), chosen["source"], chosen["kind"],
                      {k: v for k, v in boxes.items() if v}, chosen["images"])  # fmt: skip


def plan_from_card(card: dict) -> RegionPlan:
    """The region plan a stored prediction model was made with (from its card)."""
    info = card.get("regions") or {}
    mode = info.get("mode", WHOLE)
    if mode == BUILTIN:
        return RegionPlan(BUILTIN, info.get("tag", BUILTIN_VERSION), BUILTIN_SOURCE, BUILTIN)
    if mode == GIVEN and info.get("source"):
        return RegionPlan(GIVEN, info.get("tag", _tag(info["source"])), info["source"], IMPORTED)
    return RegionPlan(WHOLE, info.get("tag", "whole-v1"))


def crop_boxes(store: Store, plan: RegionPlan) -> dict[int, tuple[float, float, float, float]]:
    """The box each image's prediction cropped from under ``plan`` (the same rule as the
    pipeline: the best region confident enough and small enough)."""
    from inference.pipeline import CROP_MAX_AREA, CROP_MIN_SCORE

    if plan.mode == WHOLE or plan.source is None:
        return {}
    if plan.mode == GIVEN:
        regions = plan.boxes or {
            i: to_regions(d, plan.kind or IMPORTED, DEFAULT_MIN_CONF)
            for i, d in store.detections(source=plan.source).items()
        }
    else:
        regions = {
            i: [Region(*d.bbox, score=d.conf, source=BUILTIN) for d in dets if d.bbox]
            for i, dets in store.detections(source=plan.source).items()
        }
    out = {}
    for image_id, regs in regions.items():
        best = next(
            (r for r in regs if r.score >= CROP_MIN_SCORE and r.area <= CROP_MAX_AREA), None
        )
        if best is not None:
            out[image_id] = (best.x, best.y, best.w, best.h)
    return out


def store_builtin_regions(store: Store, found: dict[int, list[Region]]) -> None:
    """Keep the built-in localizer's regions (as detections of category animal)."""
    store.write_detections(
        BUILTIN_SOURCE,
        {
            image_id: ([Detection("animal", r.score, (r.x, r.y, r.w, r.h)) for r in regs], None)
            for image_id, regs in found.items()
        },
    )


def region_scores(store: Store, plan: RegionPlan) -> dict[int, float]:
    """The best region score of every image the run's source looked at (0 when it found none):
    evidence against an empty frame."""
    if plan.mode == WHOLE or plan.source is None:
        return {}
    looked = store.region_image_ids(plan.source)
    best = {i: 0.0 for i in looked}
    if plan.mode == GIVEN and plan.boxes:
        best.update({i: regs[0].score for i, regs in plan.boxes.items() if regs})
    else:
        for image_id, dets in store.detections(source=plan.source).items():
            best[image_id] = max((d.conf for d in dets), default=0.0)
    return best


def zoom_square(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    """The pixel square a tile zoomed onto the animal shows of a ``width`` x ``height`` image:
    the padded square around the region ``(x, y, w, h)`` (normalised), as the classifier crops."""
    left, top, right, bottom = square_crop_box(Region(*box, score=1.0, source=""), width, height)
    return (
        round(left),
        round(top),
        max(round(left) + 1, round(right)),
        max(round(top) + 1, round(bottom)),
    )


def zoom_boxes(store: Store) -> dict[int, tuple[float, float, float, float]]:
    """The region each image's tile zooms onto (normalised ``x, y, w, h``): the one the newest
    prediction run cropped from, or else the best source there is (images without a region
    keep the whole frame)."""
    plan = None
    for model in reversed(store.models()):
        if (model["card"].get("regions") or {}).get("mode", WHOLE) != WHOLE:
            plan = plan_from_card(model["card"])
            break
    if plan is None:
        plan = plan_regions(store, AUTO)
    return crop_boxes(store, plan)
