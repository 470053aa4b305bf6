"""What Timelapse and AddaxAI users reach for: repeat the last label, a note per image, a
magnifier, auto contrast and gamma for night IR frames, thumbnail size."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from labeler.core.store import Store
from labeler.ui.viewer import Adjustments, adjust
from tests.ui.helpers import go_to, labels, search, wait_saved


def test_one_key_repeats_the_last_label_and_count_on_the_next_image(qtbot, window):
    win = window
    go_to(win, "A/IMG_010.JPG", qtbot)
    search(qtbot, win, "Red fox")
    wait_saved(qtbot, win)
    go_to(win, "A/IMG_010.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_C)
    qtbot.keyClicks(win.panel.count, "2")
    qtbot.keyClick(win.panel.count, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    go_to(win, "A/IMG_011.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_L)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_011.JPG"] == ["red_fox"]
    assert win.grid_model.data(win.grid.currentIndex(), win.grid_model.PathRole) == "A/IMG_012.JPG"
    qtbot.keyClick(win.grid, Qt.Key.Key_L)
    wait_saved(qtbot, win)
    with Store(win.project.db_path, readonly=True) as s:
        image = s.image_ids_by_path()["A/IMG_012.JPG"]
        obs = s.labels([image])[image]
    assert [(o.species_key, o.count) for o in obs] == [("red_fox", 2)]


def test_a_note_is_written_per_image_and_kept(qtbot, window):
    win = window
    go_to(win, "B/IMG_1000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_T)
    assert win.panel.note.hasFocus()
    qtbot.keyClicks(win.panel.note, "collar visible, check ID")
    qtbot.keyClick(win.panel.note, Qt.Key.Key_Return)
    assert win.grid.hasFocus()
    qtbot.waitUntil(lambda: "saved" in win.statusBar().currentMessage().lower(), timeout=5000)
    with Store(win.project.db_path, readonly=True) as s:
        image = s.image_ids_by_path()["B/IMG_1000.JPG"]
        assert s.notes([image]) == {image: "collar visible, check ID"}
    go_to(win, "B/IMG_1001.JPG", qtbot)
    assert win.panel.note.text() == ""
    go_to(win, "B/IMG_1000.JPG", qtbot)
    assert win.panel.note.text() == "collar visible, check ID"
    qtbot.keyClick(win.grid, Qt.Key.Key_T)
    qtbot.keyClicks(win.panel.note, " more")
    qtbot.keyClick(win.panel.note, Qt.Key.Key_Escape)
    assert win.panel.note.text() == "collar visible, check ID" and win.grid.hasFocus()


def test_the_magnifier_follows_the_pointer_at_three_times(qtbot, window):
    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    viewer = win.pane.viewer
    qtbot.waitUntil(lambda: viewer.shown_image is not None, timeout=10000)
    qtbot.keyClick(win.grid, Qt.Key.Key_G)
    assert viewer.magnifier.isVisible()
    centre = viewer.viewport().rect().center()
    qtbot.mouseMove(viewer.viewport(), centre)
    viewer.magnifier.follow(centre)
    src = viewer.magnifier.source
    assert not src.isNull()
    px, py = viewer.image_point(centre)
    assert abs(src.center().x() - px) < 1 and abs(src.center().y() - py) < 1
    shown_px = viewer.magnifier.width() / viewer.transform().m11()
    assert abs(src.width() - shown_px / 3) < 1e-6, "three times what the viewer shows"
    qtbot.keyClick(win.grid, Qt.Key.Key_G)
    assert not viewer.magnifier.isVisible()


def test_auto_contrast_stretches_a_dark_flat_night_frame():
    night = np.full((40, 60, 3), 40, np.uint8)
    night[10:30, 20:40] = 70  # a dim animal on a dark, flat background
    out = adjust(night, Adjustments(auto=True))
    assert out.min() <= 5 and out.max() >= 250, "the frame's range is stretched to the full scale"
    brighter = adjust(night, Adjustments(gamma=2.0))
    assert brighter[0, 0, 0] > night[0, 0, 0], "gamma above 1 lifts the shadows"
    assert np.array_equal(adjust(night, Adjustments()), night)


def test_auto_contrast_and_gamma_reach_the_viewer(qtbot, window):
    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    viewer = win.pane.viewer
    qtbot.waitUntil(lambda: viewer.shown_image is not None, timeout=10000)
    plain = viewer.shown_image
    qtbot.keyClick(win.grid, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: viewer.shown_image is not plain, timeout=10000)
    assert viewer.adjustments.auto
    win.pane.gamma.setValue(200)
    qtbot.waitUntil(
        lambda: viewer.adjustments.gamma == 2.0 and viewer.shown_image is not None, timeout=10000
    )


def test_thumbnails_grow_and_shrink_and_the_size_is_remembered(qtbot, window):
    win = window
    before = win.grid.gridSize().width()
    qtbot.keyClick(win.grid, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    bigger = win.grid.gridSize().width()
    assert bigger > before
    qtbot.keyClick(win.grid, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(win.grid, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert win.grid.gridSize().width() < before
    win.save_session()
    assert int(win.settings.value("view/tile_width")) == win.grid.gridSize().width()
