"""The real window driven by keys and clicks: burst labeling, bulk triage, undo, new species."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from labeler.ui.commands import Command
from tests.ui.helpers import go_to, labels, search, trigger, wait_saved


def test_a_burst_is_labeled_with_the_keyboard_alone(qtbot, window):
    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    grid = win.grid
    qtbot.keyClick(grid, Qt.Key.Key_E)  # frame 1: blank, advance
    wait_saved(qtbot, win)
    assert win.grid_model.data(grid.currentIndex(), win.grid_model.PathRole) == "A/IMG_0001.JPG"
    qtbot.keyClick(grid, Qt.Key.Key_Return)  # frame 2: accept the top suggestion, advance
    wait_saved(qtbot, win)
    qtbot.keyClick(grid, Qt.Key.Key_2)  # frame 3: accept suggestion 2
    wait_saved(qtbot, win)
    got = labels(win)
    assert got["IMG_0000.JPG"] == ["blank"]
    assert got["IMG_0001.JPG"] and got["IMG_0002.JPG"]
    # M gives the frames nobody labeled the burst's majority species; a person's labels stay.
    species = got["IMG_0002.JPG"]
    go_to(win, "A/IMG_0001.JPG", qtbot)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # frame 2 back to unlabeled
    wait_saved(qtbot, win)
    go_to(win, "A/IMG_0002.JPG", qtbot)
    qtbot.keyClick(grid, Qt.Key.Key_M)
    wait_saved(qtbot, win)
    got = labels(win)
    burst = [got[f"IMG_000{f}.JPG"] for f in range(3)]
    assert burst == [["blank"], species, species] and species != ["blank"]
    assert "3 labeled" in win.status.counts.text()


def test_bulk_blank_triage_of_a_selection_is_undone_in_one_step(qtbot, window):
    win = window
    win.filter_bar.kind.setCurrentIndex(win.filter_bar.kind.findData("unlabeled"))
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == 9)
    sel = win.grid.selectionModel()
    sel.clearSelection()
    for row in range(3, 9):
        sel.select(win.grid_model.index(row), QItemSelectionModel.SelectionFlag.Select)
    assert win.status.selection.text().strip() == "6 selected"
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    wait_saved(qtbot, win)
    assert sum(v == ["blank"] for v in labels(win).values()) == 6
    assert "6 blank" in win.status.counts.text()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    assert all(v == [] for v in labels(win).values())
    assert "0 blank" in win.status.counts.text()
    qtbot.keyClick(
        win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    wait_saved(qtbot, win)
    assert sum(v == ["blank"] for v in labels(win).values()) == 6


def test_a_new_species_is_added_from_the_search_box_and_labels_the_image(qtbot, window):
    win = window
    go_to(win, "B/IMG_1000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_Slash)
    assert win.panel.search.hasFocus()
    qtbot.keyClicks(win.panel.search, "Striped polecat")
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    assert "not in the species list" in win.panel.add_prompt.text()
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    qtbot.waitUntil(lambda: labels(win)["IMG_1000.JPG"] == ["striped_polecat"], timeout=10000)
    assert win.project.name_of("striped_polecat") == "Striped polecat"
    assert win.species_model.key_for_text("Striped polecat") == "striped_polecat"
    assert win.grid.hasFocus(), "focus returns to the grid after typing"


def test_an_existing_species_is_found_by_typing_its_name(qtbot, window):
    win = window
    go_to(win, "A/IMG_010.JPG", qtbot)
    search(qtbot, win, "Red fox")
    wait_saved(qtbot, win)
    assert labels(win)["IMG_010.JPG"] == ["red_fox"]


def test_history_shows_who_changed_the_image(qtbot, window):
    win = window
    go_to(win, "A/IMG_011.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    go_to(win, "A/IMG_011.JPG", qtbot)
    qtbot.keyClick(win, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: getattr(win, "history_dialog", None) is not None and win.history_dialog.isVisible()
    )
    assert win.history_model.rowCount() == 1
    assert win.history_model.index(0, 1).data() == "tester"
    assert "Human" in win.history_model.index(0, 4).data()


def test_filters_narrow_the_grid_and_keep_the_current_image(qtbot, window):
    win = window
    bar = win.filter_bar
    go_to(win, "B/IMG_1001.JPG", qtbot)
    bar.folder.setCurrentIndex(bar.folders.index("B"))
    assert win.grid_model.rowCount() == 2
    assert win.grid_model.data(win.grid.currentIndex(), win.grid_model.PathRole) == "B/IMG_1001.JPG"
    bar.folder.setCurrentIndex(0)
    go_to(win, "A/IMG_0001.JPG", qtbot)
    bar.burst_only.setChecked(True)
    assert win.grid_model.rowCount() == 3
    bar.burst_only.setChecked(False)
    bar.order.setCurrentIndex(bar.order.findData("uncertain_first"))
    scores = [
        win.grid_model.data(win.grid_model.index(r), win.grid_model.TopScoreRole) for r in range(9)
    ]
    assert scores == sorted(scores)


def test_item_models_pass_the_model_tester(qtbot, qtmodeltester, window):
    win = window
    qtmodeltester.check(win.grid_model)
    qtmodeltester.check(win.strip_model)
    qtmodeltester.check(win.panel.suggestions)
    qtmodeltester.check(win.species_model)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    win.history_model.set_history(win.project.history(int(win.project.snapshot.ids[0])))
    qtmodeltester.check(win.history_model)


def test_dragging_across_tiles_selects_them_all(qtbot, window):
    win = window
    grid = win.grid
    grid.selectionModel().clearSelection()
    start = grid.visualRect(win.grid_model.index(0)).center()
    end = grid.visualRect(win.grid_model.index(4)).center()
    qtbot.mousePress(grid.viewport(), Qt.MouseButton.LeftButton, pos=start)
    move = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(end), QPointF(grid.viewport().mapToGlobal(end)),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(grid.viewport(), move)
    qtbot.mouseRelease(grid.viewport(), Qt.MouseButton.LeftButton, pos=end)
    selected = set(win.nav.selected_images())
    ends = {win.grid_model.image_id(0), win.grid_model.image_id(4)}
    assert ends <= selected and len(selected) >= 3
    assert win.status.selection.text().strip() == f"{len(selected)} selected"


def test_suggestions_can_be_averaged_over_each_burst(qtbot, window):
    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    with qtbot.waitSignal(win.project.predictions_changed, timeout=10000):
        trigger(win, Command.BURST_VIEW)
    snap = win.project.snapshot
    frames = [
        snap.row_of(i)
        for i, p in zip(snap.ids, snap.paths, strict=True)
        if p.startswith("A/IMG_000")
    ]
    assert len({round(float(snap.top_score[r]), 6) for r in frames}) == 1, (
        "one burst, one averaged suggestion"
    )
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=10000):
        trigger(win, Command.BURST_VIEW)
    snap = win.project.snapshot
    assert len({round(float(snap.top_score[r]), 6) for r in frames}) > 1
