"""Thumbnails: decoded at reduced scale in their own pool, cached in memory and on disk."""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

from PIL import Image, ImageOps
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from labeler.core.regions import zoom_square
from labeler.core.safepath import open_regular

THUMB_PX = 160
MEMORY_ITEMS = 3000
_SKIPPED = "skipped"


def pil_to_qimage(im: Image.Image) -> QImage:
    """An 8-bit RGB Pillow image as a QImage that owns its pixels (safe off the GUI thread)."""
    im = im.convert("RGB")
    data = im.tobytes("raw", "RGB")
    q = QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888)
    return q.copy()


def _oriented_rgb(path: str, draft: int) -> Image.Image:
    """The image as RGB with its EXIF orientation applied; JPEGs decode at reduced scale, at
    least ``draft`` pixels a side. Raises what Pillow raises for unreadable files."""
    with open_regular(path) as f, Image.open(f) as im:
        im.draft("RGB", (draft, draft))
        try:
            im = ImageOps.exif_transpose(im)
        except Exception:
            pass
        return im.convert("RGB")


def reduced_rgb(path: str, max_side: int) -> Image.Image:
    """The image as RGB, EXIF orientation applied, at most ``max_side`` pixels on its long side.

    JPEGs decode at reduced scale first. Raises what Pillow raises for unreadable files.
    """
    im = _oriented_rgb(path, max_side)
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return im


def zoomed_rgb(path: str, box: tuple[float, float, float, float], side: int) -> Image.Image:
    """A ``side`` x ``side`` RGB view of the padded square around the region ``box``
    (normalised ``x, y, w, h`` of the oriented image): what the classifier's crop shows.

    JPEGs decode only as large as the crop needs. Raises what Pillow raises for unreadable files.
    """
    # The square covers at least a fifth of the long side, and the region padded.
    share = min(1.0, max(0.2, max(box[2], box[3]) * 1.3))
    im = _oriented_rgb(path, int(side / share) + 1)
    square = zoom_square(box, im.width, im.height)
    return im.resize((side, side), Image.Resampling.BILINEAR, box=square, reducing_gap=2.0)


def decode_thumbnail(
    path: str,
    cache_file: Path | None,
    size: int = THUMB_PX,
    box: tuple[float, float, float, float] | None = None,
) -> QImage | None:
    """Decode a small version of an image, or with ``box`` of the square around the animal
    (from the disk cache when there); None if unreadable."""
    if cache_file is not None and cache_file.is_file():
        q = QImage(str(cache_file))
        if not q.isNull():
            return q
    try:
        q = pil_to_qimage(zoomed_rgb(path, box, size) if box else reduced_rgb(path, size))
    except Exception:
        return None
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(cache_file.name + ".tmp")
            q.save(str(tmp), "JPG", 85)
            os.replace(tmp, cache_file)
        except OSError:
            pass
    return q


class _Signals(QObject):
    loaded = Signal(int, int, object)


class _ThumbTask(QRunnable):
    def __init__(
        self, loader: ThumbnailLoader, generation: int, image_id: int, path: str,
        cache: Path | None, size: int = THUMB_PX, box: tuple | None = None,
    ):  # fmt: skip
        super().__init__()
        self.loader, self.generation, self.image_id = loader, generation, image_id
        self.path, self.cache, self.size, self.box = path, cache, size, box

    def run(self) -> None:
        if self.generation != self.loader.generation:
            # The view moved on before this request started: skip the decode.
            self.loader._signals.loaded.emit(self.generation, self.image_id, _SKIPPED)
            return
        self.loader._signals.loaded.emit(
            self.generation,
            self.image_id,
            decode_thumbnail(self.path, self.cache, self.size, self.box),
        )


class ThumbnailLoader(QObject):
    """Asynchronous thumbnails by image id; ``thumbnail_ready(image_id)`` when one arrives.

    Requests from an older generation (before the view changed) are dropped when they land.
    With zoom boxes set, images that have one show the square around their animal.
    """

    thumbnail_ready = Signal(int)

    def __init__(self, cache_dir: Path | None, threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.cache_dir = cache_dir
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)
        self._memory: OrderedDict[int, QImage | None] = OrderedDict()
        self._requested: set[int] = set()
        self.generation = 0
        self.size = THUMB_PX
        self.zoom: dict[int, tuple[float, float, float, float]] | None = None

    def new_generation(self) -> None:
        """Forget queued requests (the visible images changed); they end without decoding."""
        self.generation += 1
        self._requested.clear()

    def set_size(self, px: int) -> None:
        """Decode thumbnails at ``px`` on their long side from now on."""
        if px != self.size:
            self.size = px
            self._memory.clear()
            self.new_generation()

    def set_zoom(self, boxes: dict[int, tuple[float, float, float, float]] | None) -> None:
        """Zoom tiles onto these regions (image id -> normalised box), or show whole frames."""
        self.zoom = boxes
        self._memory.clear()
        self.new_generation()

    def _box(self, image_id: int) -> tuple[float, float, float, float] | None:
        return None if self.zoom is None else self.zoom.get(image_id)

    def cache_file(self, image_id: int, path: str, mtime_ns: int) -> Path | None:
        """Disk-cache path of a thumbnail, keyed by file path, modification time, size and the
        zoom box."""
        if self.cache_dir is None:
            return None
        tag = "" if self.size == THUMB_PX else f"\0{self.size}"
        box = self._box(image_id)
        if box is not None:
            tag += "\0zoom" + ",".join(f"{v:.4f}" for v in box)
        key = hashlib.sha1(f"{path}\0{mtime_ns}{tag}".encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.jpg"

    def get(self, image_id: int, path: str, mtime_ns: int = 0) -> QImage | None:
        """The thumbnail if cached; otherwise schedules it and returns None."""
        if image_id in self._memory:
            self._memory.move_to_end(image_id)
            return self._memory[image_id]
        if image_id not in self._requested:
            self._requested.add(image_id)
            task = _ThumbTask(self, self.generation, image_id, path,
                              self.cache_file(image_id, path, mtime_ns), self.size,
                              self._box(image_id))  # fmt: skip
            self.pool.start(task)
        return None

    def failed(self, image_id: int) -> bool:
        """True when the image was tried and could not be decoded."""
        return image_id in self._memory and self._memory[image_id] is None

    def _on_loaded(self, generation: int, image_id: int, image) -> None:
        if generation == self.generation:
            self._requested.discard(image_id)
        if isinstance(image, str) or (generation != self.generation and image is None):
            return
        self._memory[image_id] = image
        self._memory.move_to_end(image_id)
        while len(self._memory) > MEMORY_ITEMS:
            self._memory.popitem(last=False)
        self.thumbnail_ready.emit(image_id)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Let queued requests end without decoding and wait for them."""
        self.new_generation()
        return self.pool.waitForDone(timeout_ms)
