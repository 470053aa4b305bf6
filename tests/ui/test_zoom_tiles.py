"""Tiles zoomed onto the animal: a small animal fills its tile, images without a region stay
whole, and the toggle is a key on the grid that the next session remembers."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from inference.localize import Region
from labeler.core.regions import store_builtin_regions
from labeler.ui.commands import Command
from tests.ui.conftest import make_burst_card
from tests.ui.helpers import in_menu, press, reopen

GREEN, RED = (40, 160, 40), (220, 30, 30)
# A 40 x 40 px animal near the corner of a 400 x 300 frame.
ANIMAL = (300, 200, 340, 240)
BOX = (300 / 400, 200 / 300, 40 / 400, 40 / 300)


def small_animal(path):
    im = Image.new("RGB", (400, 300), GREEN)
    im.paste(RED, ANIMAL)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, quality=95)


@pytest.fixture
def zoom_window(qtbot, settings, tiny_model, tmp_path):
    from labeler.ui.main_window import MainWindow

    card = make_burst_card(tmp_path / "card")
    small_animal(card / "C" / "FOX.JPG")
    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flows.predicted, timeout=60000):
        win.open_folder(str(card), str(tmp_path / "catalog.sqlite"))
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == 10, timeout=10000)
    win.grid.setFocus()
    yield win, card
    win.close()


def centre_colour(image) -> tuple[int, int, int]:
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return c.red(), c.green(), c.blue()


def thumbnail(qtbot, win, image_id: int, path: str):
    """The grid's thumbnail of an image, once decoded."""
    got = {}

    def ready() -> bool:
        got["image"] = win.thumbs.get(image_id, path, 0)
        return got["image"] is not None

    qtbot.waitUntil(ready, timeout=10000)
    return got["image"]


def test_zoomed_tiles_show_the_animal_and_the_key_turns_them_off(
    qtbot, zoom_window, settings, tiny_model
):
    win, card = zoom_window
    snap = win.project.snapshot
    fox = next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p.endswith("FOX.JPG"))
    other = next(int(i) for i in snap.ids if int(i) != fox)
    found = {fox: [Region(*BOX, score=0.9, source="builtin")], other: []}
    stored = []
    win.project.submit(store_builtin_regions, found, on_done=stored.append)
    qtbot.waitUntil(lambda: bool(stored), timeout=10000)

    assert in_menu(win, Command.ZOOM_TILES)
    fox_path = str(card / "C" / "FOX.JPG")
    whole = thumbnail(qtbot, win, fox, fox_path)
    assert centre_colour(whole)[1] > 120, "the whole frame is mostly grass"

    press(qtbot, win.grid, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: bool(win.thumbs.zoom) and fox in win.thumbs.zoom, timeout=10000)
    assert win.actions_by_command[Command.ZOOM_TILES].isChecked()
    zoomed = thumbnail(qtbot, win, fox, fox_path)
    r, g, _b = centre_colour(zoomed)
    assert r > 150 and g < 90, f"the tile is centred on the animal, not {r, g}"
    assert zoomed.width() == zoomed.height() == win.thumbs.size
    assert other not in win.thumbs.zoom, "an image without a region keeps the whole frame"
    assert "zoomed onto the animal in 1 images" in win.statusBar().currentMessage()

    win.close()
    again = reopen(qtbot, settings, tiny_model)
    assert again.actions_by_command[Command.ZOOM_TILES].isChecked(), "the next session zooms"
    qtbot.waitUntil(lambda: bool(again.thumbs.zoom) and fox in again.thumbs.zoom, timeout=10000)
    assert centre_colour(thumbnail(qtbot, again, fox, fox_path))[0] > 150

    again.grid.setFocus()
    press(qtbot, again.grid, Qt.Key.Key_W)
    assert again.thumbs.zoom is None
    assert centre_colour(thumbnail(qtbot, again, fox, fox_path))[1] > 120
    again.close()
