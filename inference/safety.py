"""Checks on names and files that come from outside: card fields, cache paths, archives, file types.

Model files, their cards and the frames on a card are untrusted. Every name that becomes part of
a path goes through :func:`safe_name` and :func:`path_inside`; every archive is size-checked by
:func:`check_archive` before anything is decompressed; every image is opened through
:func:`open_regular`, which never blocks on a FIFO or a device.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import zipfile
from pathlib import Path

MAX_NAME_CHARS = 160
# Characters that separate paths, name drives or streams, or that Windows refuses in names.
_FORBIDDEN = set('/\\:*?"<>|')
# timm model names ("tf_efficientnet_lite0", "vit_base_patch16_224.augreg_in21k"); a prefix
# such as "hf-hub:" or "local-dir:" would make timm fetch or read a model from elsewhere.
_ARCHITECTURE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$")
_HEX = re.compile(r"^[0-9a-f]*$")


class UnsafeInputError(ValueError):
    """A name or a file from outside is refused: it would escape its folder or overload memory."""


def safe_name(value: object, what: str) -> str:
    """``value`` if it can be one file-name component, else raise UnsafeInputError.

    Refused: anything but a non-empty string of at most 128 characters; path separators,
    drive or stream colons, wildcards, control characters; ``.``/``..``; a leading dot, dash
    or space and a trailing dot or space.
    """
    if not isinstance(value, str) or not value:
        raise UnsafeInputError(f"{what} must be a non-empty string, not {value!r}"[:200])
    if len(value) > MAX_NAME_CHARS:
        raise UnsafeInputError(f"{what} is longer than {MAX_NAME_CHARS} characters")
    bad = sorted({c for c in value if c in _FORBIDDEN or ord(c) < 32 or ord(c) == 127})
    if bad:
        raise UnsafeInputError(f"{what} {value!r} contains {''.join(bad)!r}; refused"[:200])
    if value[0] in ".- " or value[-1] in ". ":
        raise UnsafeInputError(f"{what} {value!r} starts or ends with a dot, dash or space")
    return value


def safe_architecture(value: object) -> str:
    """A timm architecture name with no hub, URL or folder prefix, else UnsafeInputError."""
    if not isinstance(value, str) or not _ARCHITECTURE.match(value) or len(value) > 100:
        raise UnsafeInputError(
            f"architecture {value!r} is not a plain model name; models are never fetched from "
            "a hub, a URL or another folder"[:300]
        )
    return value


def safe_digest(value: object, what: str = "sha256") -> str:
    """A lowercase hexadecimal digest (possibly empty), else UnsafeInputError."""
    if not isinstance(value, str) or len(value) > 64 or not _HEX.match(value):
        raise UnsafeInputError(f"{what} {value!r} is not a hexadecimal digest"[:200])
    return value


def path_inside(folder: str | os.PathLike[str], name: str) -> Path:
    """``folder / name`` after checking that ``name`` is one safe component staying inside."""
    base = Path(folder)
    target = base / safe_name(name, "file name")
    if target.resolve().parent != base.resolve():
        raise UnsafeInputError(f"{name!r} would leave {base}; refused")
    return target


def check_archive(path: str | os.PathLike[str], *, max_bytes: int, max_ratio: float = 20.0) -> None:
    """Refuse a zip archive that would expand past ``max_bytes`` or ``max_ratio`` times its size.

    Only the central directory is read (no member is decompressed), so a zip bomb is refused
    in milliseconds. Files that are not zip archives pass unchanged.
    """
    p = Path(path)
    try:
        if not zipfile.is_zipfile(p):
            return
        with zipfile.ZipFile(p) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise UnsafeInputError(f"{p.name} is a damaged archive: {exc}"[:300]) from exc
    if len(members) > 100_000:
        raise UnsafeInputError(f"{p.name} holds {len(members)} archive members; refused")
    total = sum(m.file_size for m in members)
    size = max(p.stat().st_size, 1)
    if total > max_bytes or total > max_ratio * size + (1 << 20):
        raise UnsafeInputError(
            f"{p.name} would expand from {size:,} to {total:,} bytes; refused as an archive bomb"
        )


class NotRegularFile(OSError):
    """A path that is a FIFO, a device, a socket or a folder where a file was expected."""

    def __str__(self) -> str:
        return str(self.strerror)


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open a file for reading only if it is a regular file (never blocks on a FIFO or device).

    The file is opened without blocking and checked on the open descriptor, so a FIFO that
    replaces a file after it was listed is refused instead of hanging the reader.
    Raises OSError; a non-regular file raises :class:`NotRegularFile` naming its type.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({file_kind(mode)})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def file_kind(mode: int) -> str:
    """A word for the type of a non-regular file."""
    for test, word in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return word
    return "not a regular file"
