"""Finding the animal without a detector: what differs from the camera's background, and where
the backbone sees an animal.

Frames of one camera share a background. For each frame the localizer takes the most similar
recent frames of the same camera folder (its burst, or frames of the same scene and light),
builds their per-pixel median and spread, and marks what departs from it by more than the
background itself varies (so swaying grass and flicker count less). Where no similar frames
exist (a single frame, a new scene), the class activation map of the backbone's animal classes,
which the network returns with every prediction, points at the animal instead; where both
exist the map weights the motion. Everything here is numpy on small thumbnails: a frame costs
well under a millisecond.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BUILTIN_VERSION = "builtin-v1"
THUMB_LONG = 64
NEIGHBOURS = 6
HISTORY = 48
MAX_DISTANCE = 0.15
MAX_REGIONS = 3
MAX_AREA = 0.5
MAD_FLOOR = 0.15
# Motion in units of the background's own spread: below this peak a frame shows nothing.
MOTION_FLOOR = 2.0
MOTION_SCALE = 15.0
CAM_WEIGHT = 0.3
CAM_SCALE = 10.0
# Cells of the thresholded map: a region is grown around values above this share of the peak.
MOTION_REL = 0.2
CAM_REL = 0.6


@dataclass(frozen=True)
class Region:
    """An animal region: normalised box (top-left origin), a score in [0, 1] and its source."""

    x: float
    y: float
    w: float
    h: float
    score: float
    source: str

    @property
    def area(self) -> float:
        """Share of the frame the box covers."""
        return self.w * self.h

    def contains(self, px: float, py: float) -> bool:
        """True when the normalised point lies inside the box."""
        return self.x <= px <= self.x + self.w and self.y <= py <= self.y + self.h

    def to_list(self) -> list[float]:
        """``[x, y, w, h]`` rounded to 4 decimals (the MegaDetector bbox form)."""
        return [round(v, 4) for v in (self.x, self.y, self.w, self.h)]


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """A small float RGB thumbnail (long side 64 px, aspect kept) for background comparison
    (the pipeline gets the same from ``load_frame(..., small_long=THUMB_LONG)``)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    tw, th = (THUMB_LONG, max(8, round(THUMB_LONG * h / w))) if w >= h else (
        max(8, round(THUMB_LONG * w / h)), THUMB_LONG)  # fmt: skip
    im = Image.fromarray(np.ascontiguousarray(rgb, np.uint8)).resize(
        (tw, th), Image.Resampling.BOX, reducing_gap=2.0
    )
    return np.asarray(im, np.float32)


def _normalise(t: np.ndarray) -> np.ndarray:
    """Per-channel standardised thumbnail: exposure and flash changes do not count as motion."""
    return (t - t.mean(axis=(0, 1))) / (t.std(axis=(0, 1)) + 8.0)


def _gray_signature(t: np.ndarray) -> np.ndarray:
    """Gray values standardised by median and spread: an animal in part of the frame barely
    moves them, a change of scene or light moves them a lot."""
    g = t.mean(axis=-1).ravel()
    med = np.median(g)
    return (g - med) / (1.4826 * np.median(np.abs(g - med)) + 4.0)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """How unlike two thumbnails of one camera are: the median pixel difference of their
    signatures (near 0 in a burst or the same scene and light, above 0.3 across day and night)."""
    return float(np.median(np.abs(_gray_signature(a) - _gray_signature(b))))


def _blur(m: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    r = max(1, int(3 * sigma + 0.5))
    k = np.exp(-(np.arange(-r, r + 1) ** 2) / (2 * sigma * sigma))
    k /= k.sum()
    p = np.pad(m, r, mode="edge")
    rows = sum(k[i] * p[:, i : i + m.shape[1]] for i in range(2 * r + 1))
    return sum(k[i] * rows[i : i + m.shape[0], :] for i in range(2 * r + 1))


def banner_rows(frame: np.ndarray, background: np.ndarray) -> tuple[int, int]:
    """Rows at the top and bottom that hold a camera's imprint strip (time, temperature, logo).

    A strip is a run of rows from the edge (at most 15% of the height) that are mostly pure
    black or white in both the frame and its background: their text changes from frame to
    frame and must never count as an animal.
    """
    h = frame.shape[0]
    limit = max(1, int(0.15 * h))

    def strip(rows) -> int:
        n = 0
        for r in rows:
            f, b = frame[r].mean(axis=-1), background[r].mean(axis=-1)
            if ((f < 35) | (f > 220)).mean() >= 0.6 and ((b < 35) | (b > 220)).mean() >= 0.6:
                n += 1
            else:
                break
        return n

    return strip(range(limit)), strip(range(h - 1, h - 1 - limit, -1))


def motion_map(frame: np.ndarray, neighbours: Sequence[np.ndarray]) -> np.ndarray:
    """How far each pixel departs from the neighbours' median, in units of their spread."""
    stack = np.stack([_normalise(n) for n in neighbours])
    background = np.median(stack, axis=0)
    spread = np.median(np.abs(stack - background), axis=0)
    z = (np.abs(_normalise(frame) - background) / (spread + MAD_FLOOR)).sum(axis=-1)
    # The closest neighbour stands in for the raw background: strips are the same in all.
    top, bottom = banner_rows(frame, neighbours[0])
    z = _blur(z)
    if top:
        z[:top] = 0.0
    if bottom:
        z[-bottom:] = 0.0
    return z


def _resize_map(m: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(
        Image.fromarray(np.asarray(m, np.float32), "F").resize(
            (shape[1], shape[0]), Image.Resampling.BILINEAR
        )
    )


def _grow(mask: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """The 4-connected part of ``mask`` that holds ``seed``, grown by repeated dilation."""
    part = np.zeros_like(mask)
    part[seed] = True
    while True:
        grown = part.copy()
        grown[1:] |= part[:-1]
        grown[:-1] |= part[1:]
        grown[:, 1:] |= part[:, :-1]
        grown[:, :-1] |= part[:, 1:]
        grown &= mask
        if grown.sum() == part.sum():
            return part
        part = grown


def regions_from_map(
    m: np.ndarray, rel: float, score_of, *, source: str = "builtin", limit: int = MAX_REGIONS
) -> list[Region]:
    """Boxes around the connected parts of ``m`` above ``rel`` of its peak, best first.

    ``score_of(component_values)`` gives each region's score; boxes over half the frame are
    dropped (they do not say where the animal is).
    """
    peak = float(m.max())
    if peak <= 0:
        return []
    h, w = m.shape
    left = m >= rel * peak
    found = []
    # Grow a region around the highest remaining value, then the next: the strongest parts come
    # first and a noisy map never costs more than a few regions' work.
    while left.any() and len(found) < limit * 3:
        masked = np.where(left, m, -np.inf)
        seed = np.unravel_index(int(np.argmax(masked)), m.shape)
        comp = _grow(left, (int(seed[0]), int(seed[1])))
        left &= ~comp
        ys, xs = np.nonzero(comp)
        box = (
            xs.min() / w,
            ys.min() / h,
            (xs.max() + 1 - xs.min()) / w,
            (ys.max() + 1 - ys.min()) / h,
        )
        if box[2] * box[3] > MAX_AREA:
            continue
        found.append((float(m[comp].sum()), box, score_of(m[comp])))
    found.sort(key=lambda f: -f[0])
    return [Region(*box, score=float(s), source=source) for _mass, box, s in found[:limit]]


class BuiltinLocalizer:
    """Regions for frames that arrive in camera order (folder, burst, frame), a batch at a time.

    Keeps the last few thumbnails of each camera folder, so that a frame is compared with its
    burst and the recent frames of its camera, and with the frames of its own batch.
    """

    version = BUILTIN_VERSION

    def __init__(self, history: int = HISTORY, neighbours: int = NEIGHBOURS):
        self.k = neighbours
        self.recent: dict[object, deque] = defaultdict(lambda: deque(maxlen=history))

    def _neighbours(self, i: int, group: object, thumb, sig, batch) -> list[np.ndarray]:
        pool = [(t, g) for t, g in self.recent[group] if t.shape == thumb.shape]
        pool += [(t, g) for j, (grp, t, g) in enumerate(batch)
                 if j != i and grp == group and t.shape == thumb.shape]  # fmt: skip
        if len(pool) < 2:
            return []
        dist = np.median(np.abs(np.stack([g for _t, g in pool]) - sig), axis=1)
        order = [j for j in np.argsort(dist)[: self.k] if dist[j] <= MAX_DISTANCE]
        return [pool[j][0] for j in order] if len(order) >= 2 else []

    def localize(
        self, batch: Sequence[tuple[object, np.ndarray, np.ndarray | None]]
    ) -> list[list[Region]]:
        """Regions of each ``(camera group, thumbnail, activation map)`` of a batch, in order."""
        signed = [(group, thumb, _gray_signature(thumb)) for group, thumb, _cam in batch]
        out = []
        for i, ((group, thumb, cam), (_g, _t, sig)) in enumerate(zip(batch, signed, strict=True)):
            out.append(self._one(thumb, cam, self._neighbours(i, group, thumb, sig, signed)))
        for group, thumb, sig in signed:
            self.recent[group].append((thumb, sig))
        return out

    def _one(self, thumb: np.ndarray, cam: np.ndarray | None, neighbours) -> list[Region]:
        shape = thumb.shape[:2]
        attention = None
        if cam is not None and np.ptp(cam) > 0:
            attention = _resize_map(cam, shape)
            attention = (attention - attention.min()) / (np.ptp(attention) + 1e-9)
        found: list[Region] = []
        if neighbours:
            z = motion_map(thumb, neighbours)
            if float(z.max()) >= MOTION_FLOOR:
                if attention is not None and CAM_WEIGHT:
                    z = z * ((1 - CAM_WEIGHT) + CAM_WEIGHT * attention)

                def motion_score(values: np.ndarray) -> float:
                    return float(1.0 - np.exp(-float(values.max()) / MOTION_SCALE))

                found = regions_from_map(z, MOTION_REL, motion_score)
        if found or attention is None:
            return found
        top = float(np.clip(cam.max(), 0.0, None))

        def cam_score(values: np.ndarray) -> float:
            return float(0.5 * (1.0 - np.exp(-top / CAM_SCALE)))

        return regions_from_map(attention, CAM_REL, cam_score)


def square_crop_box(
    region: Region, width: int, height: int, *, pad: float = 0.15, min_side: float = 0.2
) -> tuple[float, float, float, float]:
    """A square box in pixels around a region: padded, at least ``min_side`` of the frame's long
    side, inside the frame (the crop the classifier sees)."""
    x, y, bw, bh = region.x * width, region.y * height, region.w * width, region.h * height
    side = max(bw, bh) * (1 + 2 * pad)
    side = min(max(side, min_side * max(width, height)), min(width, height))
    cx, cy = x + bw / 2, y + bh / 2
    left = min(max(cx - side / 2, 0.0), width - side)
    top = min(max(cy - side / 2, 0.0), height - side)
    return left, top, left + side, top + side


def iou(a: Region, b: Region) -> float:
    """Intersection over union of two regions."""
    iw = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    ih = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = iw * ih
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0
