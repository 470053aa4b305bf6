"""Fixtures for window tests: isolated settings, a small card with bursts, a tiny model."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings

from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model

T0 = dt.datetime(2023, 7, 1, 21, 0, 0)


@pytest.fixture
def settings(tmp_path):
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    s.setValue("observer", "tester")
    return s


@pytest.fixture
def tiny_model(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("model"))


def make_burst_card(card):
    """Camera A: a 3-frame burst, then 4 lone frames; camera B: a 2-frame burst."""
    for f in range(3):
        write(
            card / "A" / f"IMG_000{f}.JPG",
            jpeg_bytes((120, 90), seed=f, when=T0 + dt.timedelta(seconds=f)),
        )
    for k in range(4):
        when = T0 + dt.timedelta(hours=k + 1)
        write(card / "A" / f"IMG_01{k}.JPG", jpeg_bytes((120, 90), seed=20 + k, when=when))
    for f in range(2):
        write(
            card / "B" / f"IMG_100{f}.JPG",
            jpeg_bytes((120, 90), seed=40 + f, when=T0 + dt.timedelta(seconds=f)),
        )
    return card


@pytest.fixture
def burst_card(tmp_path):
    """Camera A: a 3-frame burst, then 4 lone frames; camera B: a 2-frame burst."""
    return make_burst_card(tmp_path / "card")


@pytest.fixture
def window(qtbot, settings, tiny_model, burst_card, tmp_path):
    from labeler.ui.main_window import MainWindow

    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flows.predicted, timeout=60000):
        win.open_folder(str(burst_card), str(tmp_path / "catalog.sqlite"))
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == 9, timeout=10000)
    win.grid.setFocus()
    yield win
    win.close()
