"""The real window driven by keys and clicks: burst labeling, bulk triage, undo, new species."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from labeler.core.store import Store


def _labels(win) -> dict[str, list[str]]:
    with Store(win.controller.db_path, readonly=True) as s:
        ids = dict(s.query("SELECT id, name FROM images"))
        return {ids[i]: [o.species_key for o in obs] for i, obs in s.labels(ids).items()}


def _wait_saved(qtbot, win) -> None:
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    qtbot.waitUntil(lambda: win.saved_label.text() == "All changes saved", timeout=10000)


def _go_to(win, name: str) -> None:
    snap = win.controller.snapshot
    image_id = next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p.endswith(name))
    win.set_current_row(win.grid_model.row_of_image(image_id))


def test_a_burst_is_labeled_with_the_keyboard_alone(qtbot, window):
    win = window
    _go_to(win, "A/IMG_0000.JPG")
    grid = win.grid
    qtbot.keyClick(grid, Qt.Key.Key_E)  # frame 1: blank, advance
    _wait_saved(qtbot, win)
    assert win.current_image() is not None
    assert win.grid_model.data(grid.currentIndex(), win.grid_model.PathRole) == "A/IMG_0001.JPG"
    qtbot.keyClick(grid, Qt.Key.Key_Return)  # frame 2: accept the top suggestion, advance
    _wait_saved(qtbot, win)
    qtbot.keyClick(grid, Qt.Key.Key_2)  # frame 3: accept suggestion 2
    _wait_saved(qtbot, win)
    labels = _labels(win)
    top = win.controller.reader.topk(win.controller.model_id, int(win.controller.snapshot.ids[1]))
    assert labels["IMG_0000.JPG"] == ["blank"]
    assert labels["IMG_0001.JPG"] and labels["IMG_0002.JPG"]
    # M gives the frames nobody labeled the burst's majority species; a person's labels stay.
    species = labels["IMG_0002.JPG"]
    _go_to(win, "A/IMG_0001.JPG")
    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # frame 2 back to unlabeled
    _wait_saved(qtbot, win)
    _go_to(win, "A/IMG_0002.JPG")
    qtbot.keyClick(grid, Qt.Key.Key_M)
    _wait_saved(qtbot, win)
    labels = _labels(win)
    burst = [labels[f"IMG_000{f}.JPG"] for f in range(3)]
    assert burst == [["blank"], species, species] and species != ["blank"]
    assert top  # the tiny model produced suggestions
    assert "3 labeled" in win.counts_label.text()


def test_bulk_blank_triage_of_a_selection_is_undone_in_one_step(qtbot, window):
    win = window
    win.filter_combo.setCurrentIndex(win.filter_combo.findData("unlabeled"))
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == 9)
    sel = win.grid.selectionModel()
    sel.clearSelection()
    for row in range(3, 9):
        sel.select(win.grid_model.index(row), QItemSelectionModel.SelectionFlag.Select)
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    _wait_saved(qtbot, win)
    labels = _labels(win)
    assert sum(v == ["blank"] for v in labels.values()) == 6
    assert "6 blank" in win.counts_label.text()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _wait_saved(qtbot, win)
    assert all(v == [] for v in _labels(win).values())
    assert "0 blank" in win.counts_label.text()
    qtbot.keyClick(
        win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    _wait_saved(qtbot, win)
    assert sum(v == ["blank"] for v in _labels(win).values()) == 6


def test_a_new_species_is_added_from_the_search_box_and_labels_the_image(qtbot, window):
    win = window
    _go_to(win, "B/IMG_1000.JPG")
    qtbot.keyClick(win.grid, Qt.Key.Key_Slash)
    assert win.panel.search.hasFocus()
    qtbot.keyClicks(win.panel.search, "Striped polecat")
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    assert "not in the species list" in win.panel.add_prompt.text()
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    _wait_saved(qtbot, win)
    qtbot.waitUntil(lambda: _labels(win)["IMG_1000.JPG"] == ["striped_polecat"], timeout=10000)
    assert win.controller.name_of("striped_polecat") == "Striped polecat"
    assert win.species_model.key_for_text("Striped polecat") == "striped_polecat"
    assert win.grid.hasFocus(), "focus returns to the grid after typing"


def test_an_existing_species_is_found_by_typing_part_of_its_name(qtbot, window):
    win = window
    _go_to(win, "A/IMG_010.JPG")
    win.panel.focus_search()
    qtbot.keyClicks(win.panel.search, "Red fox")
    win.panel.completer.popup().hide()
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    _wait_saved(qtbot, win)
    assert _labels(win)["IMG_010.JPG"] == ["red_fox"]


def test_history_shows_who_changed_the_image(qtbot, window):
    win = window
    _go_to(win, "A/IMG_011.JPG")
    qtbot.keyClick(win.grid, Qt.Key.Key_H, delay=0)
    _wait_saved(qtbot, win)
    _go_to(win, "A/IMG_011.JPG")
    win.show_history()
    assert win.history_model.rowCount() == 1
    assert win.history_model.index(0, 1).data() == "tester"
    assert "Human" in win.history_model.index(0, 4).data()


def test_filters_narrow_the_grid_and_keep_the_current_image(qtbot, window):
    win = window
    _go_to(win, "B/IMG_1001.JPG")
    win.folder_combo.setCurrentIndex(win._folder_choices.index("B"))
    assert win.grid_model.rowCount() == 2
    assert win.grid_model.data(win.grid.currentIndex(), win.grid_model.PathRole) == "B/IMG_1001.JPG"
    win.folder_combo.setCurrentIndex(0)
    _go_to(win, "A/IMG_0001.JPG")
    win.burst_only.setChecked(True)
    assert win.grid_model.rowCount() == 3
    win.burst_only.setChecked(False)
    win.order_combo.setCurrentIndex(win.order_combo.findData("uncertain_first"))
    scores = [
        win.grid_model.data(win.grid_model.index(r), win.grid_model.TopScoreRole) for r in range(9)
    ]
    assert scores == sorted(scores)


def test_item_models_pass_the_model_tester(qtmodeltester, window):
    win = window
    qtmodeltester.check(win.grid_model)
    qtmodeltester.check(win.strip_model)
    qtmodeltester.check(win.panel.suggestions)
    qtmodeltester.check(win.species_model)
    win.controller.label("set_species", [int(win.controller.snapshot.ids[0])], "red_fox")
    win.history_model.set_history(win.controller.history(int(win.controller.snapshot.ids[0])))
    qtmodeltester.check(win.history_model)


def test_dragging_across_tiles_selects_them_all(qtbot, window):
    win = window
    grid = win.grid
    win.grid.selectionModel().clearSelection()
    start = grid.visualRect(win.grid_model.index(0)).center()
    end = grid.visualRect(win.grid_model.index(4)).center()
    qtbot.mousePress(grid.viewport(), Qt.MouseButton.LeftButton, pos=start)
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    move = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(end), QPointF(grid.viewport().mapToGlobal(end)),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(grid.viewport(), move)
    qtbot.mouseRelease(grid.viewport(), Qt.MouseButton.LeftButton, pos=end)
    # A rubber band: every tile the rectangle from tile 0 to tile 4 touches is selected.
    selected = set(win.selected_images())
    ends = {win.grid_model.image_id(0), win.grid_model.image_id(4)}
    assert ends <= selected and len(selected) >= 3


def test_hotkeys_can_be_changed_from_the_help_overlay(qtbot, window):
    win = window
    win.show_help()
    dialog = win.help_dialog
    row = dialog.actions.index("blank")
    dialog.table.item(row, 0).setText("K")
    dialog.save()
    assert win.settings.value("hotkeys/blank") == "K"
    _go_to(win, "A/IMG_0000.JPG")
    qtbot.keyClick(win.grid, Qt.Key.Key_K)
    _wait_saved(qtbot, win)
    assert _labels(win)["IMG_0000.JPG"] == ["blank"]
    dialog.table.item(row, 0).setText("Ctrl+Nonsense+")
    dialog.save()
    assert "Not a key" in dialog.message.text()
    dialog.restore_defaults()
    assert win.settings.value("hotkeys/blank") is None
    dialog.close()


def test_suggestions_can_be_averaged_over_each_burst(qtbot, window):
    win = window
    _go_to(win, "A/IMG_0000.JPG")
    with qtbot.waitSignal(win.controller.predictions_changed, timeout=10000):
        win.burst_view_action.setChecked(True)
    snap = win.controller.snapshot
    frames = [
        snap.row_of(i)
        for i, p in zip(snap.ids, snap.paths, strict=True)
        if p.startswith("A/IMG_000")
    ]
    assert len({round(float(snap.top_score[r]), 6) for r in frames}) == 1, (
        "one burst, one averaged suggestion"
    )
    assert win.panel.suggestions.rowCount() == 5
    with qtbot.waitSignal(win.controller.snapshot_loaded, timeout=10000):
        win.burst_view_action.setChecked(False)
    assert win.controller.view_tops is None
