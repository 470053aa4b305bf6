"""What one file on a card is: its status, size, fingerprint, dimensions, EXIF and capture time.

Every file gets exactly one status (RELIABILITY.md). Only headers are read here, never the
pixels, so a scan stays fast; decoding failures surface later, per image, in prediction.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import struct
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from inference.safety import NotRegularFile, file_kind, open_regular
from labeler.core import exiftime

STATUSES = (
    "ok",
    "empty",
    "truncated",
    "corrupt",
    "unsupported_format",
    "too_large",
    "not_media",
    "video",
    "unreadable_io",
    "path_too_long",
    "duplicate_content",
)

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 64 * 1024
MAX_FILE_BYTES = 512 * 1024 * 1024
# Keep Pillow's own bomb limit: anything it would warn about is refused as too large.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255

IMAGE_EXTENSIONS = {
    ".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".mpo",
}  # fmt: skip
VIDEO_EXTENSIONS = {
    ".avi", ".mp4", ".mov", ".m4v", ".mkv", ".wmv", ".mts", ".m2ts", ".3gp", ".mpg", ".mpeg",
}  # fmt: skip
RAW_EXTENSIONS = {".cr2", ".cr3", ".nef", ".arw", ".dng", ".orf", ".rw2", ".raf", ".heic", ".heif"}

JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", ".localized", "icon\r"}
JUNK_DIRS = {
    ".spotlight-v100", ".trashes", ".fseventsd", ".temporaryitems", "system volume information",
    "$recycle.bin", ".thumbnails", "__macosx", ".git",
}  # fmt: skip


def is_junk_file(name: str) -> bool:
    """Operating-system litter that is skipped, never catalogued (AppleDouble, Thumbs.db...)."""
    low = name.lower()
    return low in JUNK_NAMES or name.startswith("._")


def is_junk_dir(name: str) -> bool:
    """Operating-system folders that are never entered."""
    return name.lower() in JUNK_DIRS


@dataclass
class FileRecord:
    """The catalog's view of one file after inspection."""

    path: str
    size: int
    mtime_ns: int
    status: str
    detail: str | None = None
    fingerprint: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    mode: str | None = None
    orientation: int | None = None
    datetime_raw: str | None = None
    datetime: str | None = None
    datetime_source: str | None = None
    datetime_flag: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    exif_error: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def folder(self) -> str:
        """Camera folder: the relative directory holding the file ("" at the root)."""
        return self.path.rpartition("/")[0]

    @property
    def name(self) -> str:
        """File name without folders."""
        return self.path.rpartition("/")[2]


def sniff(head: bytes) -> str | None:
    """Name the container from its magic bytes, or None when it is no media we know."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif"):
            return "heif"
        return "video"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video"  # Matroska / WebM
    if head[:4] == b"\x30\x26\xb2\x75":
        return "video"  # ASF / WMV
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video"  # MPEG program stream
    if head[:1] == b"\x47" and len(head) > 188 and head[188:189] == b"\x47":
        return "video"  # MPEG transport stream
    return None


def header_dimensions(kind: str, head: bytes) -> tuple[int, int] | None:
    """Width and height read straight from a JPEG or PNG header, before Pillow sees the file.

    Used to refuse oversized images without triggering Pillow's decompression-bomb warning.
    """
    if kind == "png" and len(head) >= 24 and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return w, h
    if kind == "jpeg":
        i = 2
        n = len(head)
        while i + 9 < n:
            if head[i] != 0xFF:
                return None
            marker = head[i + 1]
            if marker == 0xFF:
                i += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (seg_len,) = struct.unpack(">H", head[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", head[i + 5 : i + 9])
                return w, h
            if marker == 0xDA:
                return None
            i += 2 + seg_len
    return None


def _fingerprint(size: int, head: bytes, tail: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(size.to_bytes(8, "little"))
    h.update(head)
    h.update(tail)
    return h.hexdigest()


def full_hash(path: str, chunk: int = 1 << 20) -> str:
    """SHA-256 of a whole file (used only to confirm fingerprint matches)."""
    h = hashlib.sha256()
    with open_regular(path) as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def _exif_fields(im: Image.Image, rec: FileRecord) -> None:
    try:
        exif = im.getexif()
        values: dict[int, object] = {
            tag: exif.get(tag)
            for tag in (exiftime.TAG_DATETIME, exiftime.TAG_MAKE, exiftime.TAG_MODEL)
        }
        orientation = exif.get(exiftime.TAG_ORIENTATION)
        sub = exif.get_ifd(exiftime.TAG_EXIF_IFD) if exiftime.TAG_EXIF_IFD in exif else {}
        for tag in (exiftime.TAG_DATETIME_ORIGINAL, exiftime.TAG_DATETIME_DIGITIZED):
            values[tag] = sub.get(tag)
    except Exception as exc:  # broken EXIF must never make a good image unusable
        rec.exif_error = f"{type(exc).__name__}: {exc}"[:300]
        values, orientation = {}, None
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        rec.orientation = orientation
    for tag, attr in ((exiftime.TAG_MAKE, "camera_make"), (exiftime.TAG_MODEL, "camera_model")):
        text = exiftime._clean(values.get(tag))
        if text:
            setattr(rec, attr, text[:120])
    when = exiftime.capture_time(values, rec.name)
    rec.datetime_raw = when.raw[:64] if when.raw else None
    rec.datetime = when.value.isoformat() if when.value else None
    rec.datetime_source = when.source
    rec.datetime_flag = when.flag


def _jpeg_truncated(f: io.BufferedReader, size: int, scan_offset: int) -> bool:
    """True when no end-of-image marker follows the start of the entropy-coded data."""
    start = max(scan_offset, size - TAIL_BYTES)
    f.seek(start)
    tail = f.read(size - start)
    return b"\xff\xd9" not in tail


def _png_truncated(tail: bytes) -> bool:
    return b"IEND" not in tail[-32:]


def inspect_file(abs_path: str, rel_path: str, st: os.stat_result) -> FileRecord:
    """Classify one file; raises only FileNotFoundError (the file vanished meanwhile).

    Parameters
    ----------
    abs_path
        Path to open.
    rel_path
        Identity in the catalog: the path relative to the card root, with forward slashes.
    st
        ``os.stat`` result taken while walking (size and mtime decide rescans).
    """
    rec = FileRecord(rel_path, st.st_size, st.st_mtime_ns, "ok")
    ext = os.path.splitext(rel_path)[1].lower()
    if len(os.fsencode(abs_path)) >= MAX_PATH_BYTES or len(os.fsencode(rec.name)) > MAX_NAME_BYTES:
        rec.status, rec.detail = "path_too_long", "path exceeds what the file system can open"
        return rec
    if not stat.S_ISREG(st.st_mode):
        rec.status, rec.detail = "not_media", f"not a regular file ({file_kind(st.st_mode)})"
        return rec
    if st.st_size == 0:
        rec.status, rec.detail = "empty", "0 bytes (an interrupted copy?)"
        return rec
    try:
        # Checked again on the open file: a FIFO put in its place after the walk must not hang.
        with open_regular(abs_path) as f:
            head = f.read(HEAD_BYTES)
            if st.st_size > HEAD_BYTES:
                f.seek(max(HEAD_BYTES, st.st_size - TAIL_BYTES))
                tail = f.read(TAIL_BYTES)
            else:
                tail = b""
            rec.fingerprint = _fingerprint(st.st_size, head, tail)
            _classify_content(f, head, tail or head, ext, rec)
    except FileNotFoundError:
        raise  # removed while the scan ran: the caller decides
    except OSError as exc:
        if isinstance(exc, NotRegularFile):
            rec.status, rec.detail = "not_media", str(exc)
        elif exc.errno == errno.ENAMETOOLONG:
            rec.status, rec.detail = "path_too_long", str(exc)
        else:
            rec.status = "unreadable_io"
            rec.detail = f"{type(exc).__name__}: {exc.strerror or exc}"
    return rec


def _classify_content(
    f: io.BufferedReader, head: bytes, tail: bytes, ext: str, rec: FileRecord
) -> None:
    kind = sniff(head)
    if kind == "video" or (kind is None and ext in VIDEO_EXTENSIONS):
        rec.status, rec.format = "video", "video"
        rec.detail = "video file (not labeled as stills)"
        return
    if ext in RAW_EXTENSIONS and kind in (None, "tiff", "heif"):
        rec.status, rec.format = "unsupported_format", kind
        rec.detail = f"camera raw or HEIF file ({ext}); convert to JPEG to label it"
        return
    if kind == "heif":
        rec.status, rec.format = "unsupported_format", "heif"
        rec.detail = f"HEIF/AVIF image{' named ' + ext if ext else ''}; convert to JPEG to label it"
        return
    if kind is None:
        if ext in IMAGE_EXTENSIONS:
            rec.status = "not_media"
            rec.detail = f"named {ext} but its content is not an image"
        else:
            rec.status, rec.detail = "not_media", "not an image or video"
        return
    if rec.size > MAX_FILE_BYTES:
        rec.status, rec.detail = "too_large", f"{rec.size} bytes exceeds {MAX_FILE_BYTES}"
        return
    dims = header_dimensions(kind, head)
    if dims is not None and dims[0] * dims[1] > MAX_PIXELS:
        rec.width, rec.height = dims
        rec.status = "too_large"
        rec.detail = f"{dims[0]}x{dims[1]} pixels exceeds the {MAX_PIXELS} pixel limit"
        return
    f.seek(0)
    try:
        im = Image.open(f)
        im.size  # noqa: B018 - forces the header parse
    except Image.DecompressionBombError as exc:
        rec.status, rec.detail = "too_large", str(exc)[:300]
        return
    except (UnidentifiedImageError, SyntaxError, ValueError, struct.error, IndexError) as exc:
        rec.status = "corrupt"
        rec.detail = f"{kind} header cannot be parsed: {type(exc).__name__}: {exc}"[:300]
        return
    except OSError as exc:
        if exc.errno is not None:
            raise
        rec.status = "corrupt"
        rec.detail = f"{kind} header cannot be parsed: {exc}"[:300]
        return
    rec.width, rec.height = im.size
    rec.format, rec.mode = im.format, im.mode
    if rec.width * rec.height > MAX_PIXELS:
        rec.status = "too_large"
        rec.detail = f"{rec.width}x{rec.height} pixels exceeds the {MAX_PIXELS} pixel limit"
        return
    _exif_fields(im, rec)
    if kind == "jpeg":
        offset = im.tile[0][2] if im.tile else 0
        if _jpeg_truncated(f, rec.size, offset):
            rec.status, rec.detail = "truncated", "JPEG ends before its end-of-image marker"
    elif kind == "png" and _png_truncated(tail):
        rec.status, rec.detail = "truncated", "PNG ends before its IEND chunk"
