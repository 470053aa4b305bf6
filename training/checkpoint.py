"""Atomic checkpoints: write to a temporary file, fsync, rename over the old one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def save_arrays_atomic(arrays: dict[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Save numpy arrays as safetensors so that ``path`` is always a whole file, old or new."""
    from safetensors.numpy import save_file

    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target
