"""Generated test inputs: JPEGs with EXIF, bursts, and the bad-input corpus of RELIABILITY.md."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


def jpeg_bytes(
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] | None = None,
    *,
    when: dt.datetime | str | None = None,
    make: str | None = "RECONYX",
    model: str | None = "HC600",
    orientation: int | None = None,
    seed: int = 0,
    quality: int = 85,
    mode: str = "RGB",
    exif: Image.Exif | None = None,
) -> bytes:
    """A small JPEG with optional EXIF capture time, camera and orientation."""
    rng = np.random.default_rng(seed)
    w, h = size
    if color is None:
        arr = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    else:
        arr = np.empty((h, w, 3), np.uint8)
        arr[:] = color
        arr = np.clip(arr.astype(int) + rng.integers(-6, 7, arr.shape), 0, 255).astype(np.uint8)
    im = Image.fromarray(arr, "RGB")
    if mode != "RGB":
        im = im.convert(mode)
    ex = exif if exif is not None else Image.Exif()
    if exif is None:
        if make:
            ex[0x010F] = make
        if model:
            ex[0x0110] = model
        if orientation:
            ex[0x0112] = orientation
        if when is not None:
            text = when if isinstance(when, str) else when.strftime("%Y:%m:%d %H:%M:%S")
            ex[0x0132] = text
            ex.get_ifd(0x8769)[0x9003] = text
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=ex.tobytes() if len(ex) else b"")
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    """Write bytes, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def png_header_bomb(path: Path, width: int = 30_000, height: int = 30_000) -> Path:
    """A valid 1-bit PNG of ``width`` x ``height`` written row by row (small on disk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    comp = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    idat = b"".join(parts)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return write(path, data)


@dataclass(frozen=True)
class Case:
    """One generated file and the status the scan must give it (None: skipped as OS junk)."""

    rel: str
    expected: str | None
    why: str


def _deep_path(root: Path, min_bytes: int = 4200) -> str:
    """Create nested folders whose full path exceeds PATH_MAX; return the relative path."""
    parts = []
    fd = os.open(root, os.O_RDONLY)
    try:
        total = len(os.fsencode(str(root)))
        i = 0
        while total < min_bytes:
            name = f"d{i:03d}" + "x" * 200
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
            parts.append(name)
            total += len(name) + 1
            i += 1
        leaf = os.open("deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, jpeg_bytes(seed=99))
        os.close(leaf)
    finally:
        os.close(fd)
    return "/".join(parts)


def build_bad_corpus(root: Path, *, deep: bool = True) -> list[Case]:
    """Write the bad-input folder of RELIABILITY.md under ``root``; return the expectations."""
    cases: list[Case] = []
    t0 = dt.datetime(2021, 6, 1, 22, 15, 0)

    def add(rel: str, data: bytes, expected: str | None, why: str) -> None:
        write(root / rel, data)
        cases.append(Case(rel, expected, why))

    good = jpeg_bytes((320, 240), when=t0, seed=1)
    add("DCIM/100RECNX/IMG_0001.JPG", good, "ok", "good frame")
    add("DCIM/101RECNX/IMG_0001.JPG", jpeg_bytes((320, 240), when=t0, seed=2), "ok",
        "file name reused in another DCIM folder")  # fmt: skip
    add("DCIM/100RECNX/IMG_0002.JPG", good, "duplicate_content", "byte-identical copy")
    add("bad/zero.jpg", b"", "empty", "0-byte file from an interrupted copy")
    big = jpeg_bytes((640, 480), when=t0, seed=3)
    for pct in (10, 50, 90):
        add(f"bad/cut{pct}.jpg", big[: len(big) * pct // 100], "truncated", f"cut at {pct}%")
    add("bad/blank_exif.jpg", jpeg_bytes(when="    :  :     :  :  ", seed=4), "ok",
        "blank EXIF date: image still usable")  # fmt: skip
    bogus = bytearray(jpeg_bytes(when=t0, seed=5))
    idx = bogus.find(b"Exif\x00\x00")
    bogus[idx + 6 : idx + 40] = b"\xde\xad\xbe\xef" * 8 + b"\x00\x00"
    add("bad/bogus_exif.jpg", bytes(bogus), "ok", "corrupt EXIF block: pixels still usable")
    add("bad/sentinel.jpg", jpeg_bytes(when="2002:12:08 12:00:00", seed=6), "ok", "sentinel date")
    add("bad/epoch.jpg", jpeg_bytes(when="1970:01:01 00:00:00", seed=7), "ok", "1970 clock")
    add("bad/garbage_date.jpg", jpeg_bytes(when="not a date", seed=8), "ok", "unparseable date")
    add("bad/._IMG_0001.JPG", b"\x00\x05\x16\x07" + b"\x00" * 60, None, "AppleDouble")
    add(".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 30, None, "macOS litter")
    add("bad/Thumbs.db", b"\xd0\xcf\x11\xe0" + b"\x00" * 60, None, "Windows litter")
    add("bad/notes.jpg", b"this is a text file, not a photo\n" * 4, "not_media", "text named .jpg")
    add("bad/readme.txt", b"field notes\n", "not_media", "plain text")
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    add("bad/phone.png", heic, "unsupported_format", "HEIC with a .png name")
    add("bad/raw.CR2", b"II*\x00\x10\x00\x00\x00CR\x02\x00" + b"\x00" * 100, "unsupported_format",
        "camera raw (TIFF-based)")  # fmt: skip
    cmyk = io.BytesIO()
    Image.new("CMYK", (64, 48), (0, 128, 255, 0)).save(cmyk, "JPEG")
    add("modes/cmyk.jpg", cmyk.getvalue(), "ok", "CMYK JPEG")
    gray = io.BytesIO()
    Image.new("L", (64, 48), 128).save(gray, "JPEG")
    add("modes/gray.jpg", gray.getvalue(), "ok", "grayscale JPEG")
    i16 = io.BytesIO()
    Image.fromarray(np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 20).save(i16, "PNG")
    add("modes/sixteen.png", i16.getvalue(), "ok", "16-bit PNG")
    rgba = io.BytesIO()
    Image.new("RGBA", (64, 48), (10, 200, 30, 128)).save(rgba, "PNG")
    add("modes/alpha.png", rgba.getvalue(), "ok", "RGBA PNG")
    mpo = io.BytesIO()
    a = Image.new("RGB", (64, 48), (200, 10, 10))
    a.save(mpo, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), (10, 10, 200))])
    add("modes/stereo.mpo", mpo.getvalue(), "ok", "MPO (two frames)")
    add("modes/rotated.jpg", jpeg_bytes((64, 48), when=t0, orientation=6, seed=9), "ok",
        "EXIF orientation 6")  # fmt: skip
    png_header_bomb(root / "bad/panorama.png")
    cases.append(Case("bad/panorama.png", "too_large", "30,000 x 30,000 PNG"))
    jpeg_bomb = bytearray(jpeg_bytes((64, 48), seed=10))
    sof = jpeg_bomb.find(b"\xff\xc0")
    jpeg_bomb[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    add("bad/bomb.jpg", bytes(jpeg_bomb), "too_large", "JPEG header claiming 60000x60000")
    add("bad/corrupt_header.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(64) + b"\xff\xd9",
        "corrupt", "JPEG magic, garbage after")  # fmt: skip
    add("bad/random.jpg", os.urandom(2048), "not_media", "random bytes named .jpg")
    avi = b"RIFF" + struct.pack("<I", 200) + b"AVI LIST" + b"\x00" * 200
    add("video/clip.AVI", avi, "video", "AVI video")
    mp4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\x00" * 200
    add("video/clip.mp4", mp4, "video", "MP4 video")
    add("video/garbage.avi", os.urandom(300), "video", "unreadable .avi still filed as video")
    long_name = "L" * 251 + ".jpg"
    add(f"names/{long_name}", jpeg_bytes(seed=11), "ok", "255-character name")
    nfc = unicodedata.normalize("NFC", "Café_é.jpg")
    nfd = unicodedata.normalize("NFD", "Café_é.jpg")
    add(f"names/{nfc}", jpeg_bytes(seed=12), "ok", "NFC name")
    add(f"names/{nfd}", jpeg_bytes(seed=13), "ok", "NFD name (a different file)")
    add("names/\u202eevil\u202c_\U0001f98a.jpg", jpeg_bytes(seed=14), "ok", "RTL mark and emoji")
    ro = root / "names/readonly.jpg"
    write(ro, jpeg_bytes(seed=15))
    ro.chmod(0o444)
    cases.append(Case("names/readonly.jpg", "ok", "read-only file"))
    bad_utf8 = os.fsdecode(b"names/latin1_\xe9t\xe9.jpg")
    write(root / bad_utf8, jpeg_bytes(seed=16))
    cases.append(Case("names/latin1_\\xe9t\\xe9.jpg", "ok", "name that is not UTF-8"))
    (root / "loops").mkdir()
    os.symlink("..", root / "loops/parent_link")
    os.symlink("../DCIM/100RECNX/IMG_0001.JPG", root / "loops/file_link.jpg")
    cases.append(Case("loops/file_link.jpg", "duplicate_content", "link to a file in the tree"))
    os.symlink("does_not_exist.jpg", root / "loops/broken_link.jpg")
    cases.append(Case("loops/broken_link.jpg", "unreadable_io", "broken link"))
    if deep:
        cases.append(Case(_deep_path(root), "path_too_long", "path longer than PATH_MAX"))
    tif = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(tif, "TIFF")
    add("modes/frame.tif", tif.getvalue(), "ok", "TIFF")
    return cases


def build_burst_tree(
    root: Path,
    n_files: int,
    *,
    burst: int = 3,
    cameras: int = 4,
    size: tuple[int, int] = (96, 72),
    bad_every: int = 0,
    start: dt.datetime = dt.datetime(2023, 5, 1, 6, 0, 0),
) -> dict[str, int]:
    """A card-like tree of ``n_files`` JPEGs with EXIF in bursts of ``burst`` frames.

    Frames of a burst are 1 s apart; bursts are 10 minutes apart. With ``bad_every`` > 0,
    every n-th file is replaced by a bad one (0-byte, truncated or text). Encoded images are
    reused across files (with a unique EXIF comment) to keep generation fast.
    """
    base = [jpeg_bytes(size, seed=s) for s in range(16)]
    counts = {"ok": 0, "bad": 0}
    per_cam = (n_files + cameras - 1) // cameras
    k = 0
    for cam in range(cameras):
        folder = root / f"CAM{cam:02d}" / "DCIM" / "100RECNX"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_cam):
            if k >= n_files:
                break
            when = start + dt.timedelta(minutes=10 * (i // burst), seconds=i % burst)
            path = folder / f"IMG_{i:05d}.JPG"
            if bad_every and k % bad_every == bad_every - 1:
                kind = (k // bad_every) % 3
                data = [b"", base[0][: len(base[0]) // 2], b"not an image"][kind]
                counts["bad"] += 1
            else:
                data = _with_exif(base[i % len(base)], when, f"{cam}-{i}")
                counts["ok"] += 1
            path.write_bytes(data)
            k += 1
    return counts


def _with_exif(jpeg: bytes, when: dt.datetime, tag: str) -> bytes:
    """Splice an EXIF APP1 segment (time, camera, unique description) after the SOI marker."""
    ex = Image.Exif()
    ex[0x010F] = "RECONYX"
    ex[0x0110] = "HC600"
    ex[0x010E] = tag
    stamp = when.strftime("%Y:%m:%d %H:%M:%S")
    ex[0x0132] = stamp
    ex.get_ifd(0x8769)[0x9003] = stamp
    payload = ex.tobytes()
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy a folder (symlinks kept as links)."""
    shutil.copytree(src, dst, symlinks=True)
    return dst
