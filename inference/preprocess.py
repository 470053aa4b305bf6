"""Decoding a frame for a model: reduced-scale JPEG decode, EXIF orientation, any mode to RGB."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference.safety import open_regular

THUMB_SIDE = 32
_ORIENTATION = 0x0112


class ImageLoadError(Exception):
    """An image could not be decoded; the message says why, for the per-image failure record."""


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode (CMYK, L, 1, P, I;16, I, F, RGBA, LA...) as 8-bit RGB."""
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        gray = np.round((arr - lo) * scale).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (0, 0, 0))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION, 1)
    except Exception:  # broken EXIF never makes a good image unusable
        return 1
    return value if isinstance(value, int) else 1


def load_rgb(path: str | os.PathLike[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``path`` as a ``size`` x ``size`` RGB array and a small grayscale thumbnail.

    JPEGs are decoded at reduced scale (DCT scaling through ``draft``) and the EXIF orientation
    is applied. The model sees the centre square of the frame: on the shared images it beat
    squashing the whole frame (top-1 0.141 vs 0.109, blank AUC 0.909 vs 0.847; top-5 0.227 vs
    0.240). The thumbnail covers the whole frame, for burst differencing.
    Raises ImageLoadError with the reason.
    """
    try:
        with open_regular(path) as f, Image.open(f) as im:
            if im.format == "JPEG":
                # Asking for 3/4 of the side lets libjpeg use its 1/8 scale on 4:3 frames
                # (20% less decoding; no measurable change in accuracy on the shared images).
                im.draft("RGB", (size * 3 // 4, size * 3 // 4))
            if _orientation(im) != 1:
                im = ImageOps.exif_transpose(im)
            im = to_rgb(im)
            w, h = im.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            square = im.resize(
                (size, size),
                Image.Resampling.BILINEAR,
                box=(left, top, left + side, top + side),
                reducing_gap=2.0,
            )
            rgb = np.asarray(square, dtype=np.uint8)
            thumb = np.asarray(
                im.convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX), np.uint8
            )
            return rgb, thumb
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(f"too large to decode safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError("not a readable image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        text = str(exc) or type(exc).__name__
        if "truncated" in text:
            text = "image data is truncated"
        raise ImageLoadError(text[:300]) from exc
