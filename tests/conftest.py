"""Shared fixtures: isolated data dirs, offscreen Qt, the shared real images, tiny inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """The real camera-trap images: ``$LABELER_TEST_DATA`` or ``../shared/data``."""
    env = os.environ.get("LABELER_TEST_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data")
    for c in candidates:
        if (c / "camera_traps").is_dir():
            return c / "camera_traps"
        if c.is_dir() and (c / "labels.csv").is_file():
            return c
    return None


@pytest.fixture
def shared_data() -> Path:
    """Folder of real images; the test is skipped with the reason when it is absent."""
    d = shared_data_dir()
    if d is None:
        pytest.skip(
            "real camera-trap images not found: set LABELER_TEST_DATA or place them at "
            "../shared/data/camera_traps"
        )
    return d


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own data and cache directory; nothing leaks into the user's."""
    base = tmp_path_factory.mktemp("appdirs")
    monkeypatch.setenv("LABELER_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("LABELER_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("LABELER_LOG_DIR", str(base / "logs"))
    monkeypatch.setenv("LABELER_MODEL_CACHE", str(ROOT / ".venv" / "model-cache"))
    return base
