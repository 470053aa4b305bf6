"""Writing an output file whole or not at all: a ``.partial`` beside it, renamed when complete.

Whatever stops the writing (a full disk, a pulled drive, Ctrl-C, a cancelled job) removes the
``.partial`` file, and an existing file of the same name is left as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


class OutputError(OSError):
    """An output file could not be written (the reason is in the message)."""


def partial_path(target: str | os.PathLike[str]) -> Path:
    """The temporary name an output is written under."""
    target = Path(target)
    return target.with_name(target.name + ".partial")


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str], mode: str = "w", **open_kw: Any) -> Iterator[IO]:
    """Open ``target.partial`` for writing; on success it replaces ``target``.

    On any failure the partial file is removed; operating-system errors come out as
    :class:`OutputError` naming the file and the reason.
    """
    target = Path(target)
    tmp = partial_path(target)
    try:
        with open(tmp, mode, **open_kw) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
