"""Decoding a frame for a model: reduced-scale JPEG decode, EXIF orientation, any mode to RGB."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inference.safety import file_kind, open_regular

THUMB_SIDE = 32
_ORIENTATION = 0x0112


class ImageLoadError(Exception):
    """An image could not be decoded; the message says why, for the per-image failure record."""


class MediaUnavailableError(ImageLoadError):
    """The file cannot be reached right now (card pulled, folder gone, I/O error): nothing is
    wrong with the image itself, so it is left to be read again later, never recorded as bad."""


# errno values that mean "the medium is not there or not answering", not "the file is bad".
_UNAVAILABLE = {errno.ENOENT, errno.EIO, errno.ENODEV, errno.ENXIO, errno.ESTALE,
                errno.ENOTCONN, errno.EHOSTDOWN, errno.ETIMEDOUT}  # fmt: skip


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


MID_LONG = 512


@dataclass
class Frame:
    """One decoded frame: what the model sees of the whole frame, a mid-size copy to crop the
    animal from, and a small grayscale thumbnail for burst differencing."""

    whole: np.ndarray
    mid: np.ndarray
    thumb: np.ndarray
    small: np.ndarray | None = None

    def crop(self, box: tuple[float, float, float, float], size: int) -> np.ndarray:
        """The ``size`` x ``size`` RGB crop of a pixel box given in ``mid`` coordinates."""
        im = Image.fromarray(self.mid)
        return np.asarray(
            im.resize((size, size), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0),
            dtype=np.uint8,
        )


def open_oriented(path: str | os.PathLike[str], draft: int) -> Image.Image:
    """Open, decode (JPEGs at reduced scale, at least ``draft`` px a side) and orient a frame."""
    # Checked on the open file too: a FIFO put in the file's place after any earlier look
    # must be refused, not block the reader.
    with open_regular(path) as f, Image.open(f) as im:
        if im.format == "JPEG":
            im.draft("RGB", (draft, draft))
        if _orientation(im) != 1:
            im = ImageOps.exif_transpose(im)
        im = to_rgb(im)
        im.load()
        return im


def load_error(exc: Exception) -> ImageLoadError:
    if isinstance(exc, OSError) and exc.errno in _UNAVAILABLE:
        return MediaUnavailableError(f"cannot be read now: {exc.strerror or exc}")
    if isinstance(exc, Image.DecompressionBombError):
        return ImageLoadError(f"too large to decode safely: {exc}")
    if isinstance(exc, UnidentifiedImageError):
        return ImageLoadError("not a readable image")
    text = str(exc) or type(exc).__name__
    if "truncated" in text:
        text = "image data is truncated"
    return ImageLoadError(text[:300])


def load_frame(
    path: str | os.PathLike[str], size: int, mid_long: int = MID_LONG, small_long: int = 0
) -> Frame:
    """Decode ``path`` for prediction with regions: the whole frame squashed to ``size`` square
    (no part of the frame is cut off: animals at the edges count), a copy whose long side is at
    most ``mid_long`` for crops around the animal, a 32 x 32 grayscale thumbnail and, with
    ``small_long``, a float RGB thumbnail of that long side with the frame's aspect.

    JPEGs decode at reduced scale (libjpeg's DCT scaling) at just the resolution the crops need.
    Raises ImageLoadError with the reason.
    """
    check_regular_file(path)
    try:
        im = open_oriented(path, mid_long * 3 // 4)
        w, h = im.size
        if max(w, h) > mid_long:
            scale = mid_long / max(w, h)
            im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))),
                           Image.Resampling.BILINEAR, reducing_gap=2.0)  # fmt: skip
        whole_im = im.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
        # The burst thumbnail is the same squashed frame, so it comes from the small copy.
        thumb = np.asarray(
            whole_im.convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX), np.uint8
        )
        small = None
        if small_long:
            w, h = im.size
            tw, th = (small_long, max(8, round(small_long * h / w))) if w >= h else (
                max(8, round(small_long * w / h)), small_long)  # fmt: skip
            small = np.asarray(
                im.resize((tw, th), Image.Resampling.BOX, reducing_gap=2.0), np.float32
            )
        return Frame(
            np.asarray(whole_im, dtype=np.uint8), np.asarray(im, dtype=np.uint8), thumb, small
        )
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise load_error(exc) from exc


def load_rgb(path: str | os.PathLike[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``path`` as the whole frame squashed to ``size`` x ``size`` RGB, and a small
    grayscale thumbnail (the first pass of :func:`load_frame`, without the copy for crops).

    Raises ImageLoadError with the reason.
    """
    check_regular_file(path)
    try:
        # Asking for 3/4 of the side lets libjpeg use its 1/8 scale on 4:3 frames.
        im = open_oriented(path, size * 3 // 4)
        rgb = np.asarray(
            im.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=np.uint8
        )
        thumb = np.asarray(
            im.convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX), np.uint8
        )
        return rgb, thumb
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise load_error(exc) from exc


def check_regular_file(path: str | os.PathLike[str]) -> None:
    """Refuse anything that is not a regular file (a FIFO would block the reader for ever)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        folder = os.path.dirname(os.fspath(path)) or "."
        try:
            gone = not os.listdir(folder)
        except OSError:
            gone = True
        if gone:  # the folder (or the whole card) is gone or empty: the medium, not the file
            raise MediaUnavailableError(f"cannot be read now: {folder} is not there") from exc
        raise ImageLoadError("the file no longer exists") from exc
    except OSError as exc:
        raise load_error(exc) from exc
    if not stat.S_ISREG(mode):
        raise ImageLoadError(f"not a regular file ({file_kind(mode)})")
