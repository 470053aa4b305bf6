"""No keyboard traps: Enter takes the one completion, partial names never become species, the
count and note boxes give the keys back with Escape, and the key list closes with Escape."""

from __future__ import annotations

from PySide6.QtCore import Qt

from labeler.ui.info_dialogs import KeysDialog
from tests.ui.helpers import dialog_of, go_to, labels, reactivate, wait_saved


def species_keys(win) -> set[str]:
    return {s.key for s in win.project.reader.species()}


def test_enter_takes_the_single_completion_of_a_partial_name(qtbot, window):
    win = window
    go_to(win, "A/IMG_010.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_Slash)
    qtbot.keyClicks(win.panel.search, "aardw")  # only the aardwolf contains this
    assert win.panel.matches("aardw") == ["aardwolf"]
    win.panel.completer.popup().hide()
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_010.JPG"] == ["aardwolf"]
    assert win.grid.hasFocus()


def test_enter_pressed_again_and_again_on_a_partial_name_adds_no_species(qtbot, window):
    win = window
    before = species_keys(win)
    go_to(win, "A/IMG_011.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_Slash)
    qtbot.keyClicks(win.panel.search, "fox")  # several species match
    for _ in range(3):
        win.panel.completer.popup().hide()
        qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    assert "species match" in win.panel.add_prompt.text()
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Escape)
    wait_saved(qtbot, win)
    assert species_keys(win) == before, "no junk species from a partial name"
    assert labels(win)["IMG_011.JPG"] == []
    assert win.grid.hasFocus()


def test_after_c_the_digits_set_the_count_and_escape_gives_the_keys_back(qtbot, window):
    win = window
    go_to(win, "A/IMG_012.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    go_to(win, "A/IMG_012.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_C)
    assert win.panel.count.hasFocus()
    qtbot.keyClicks(win.panel.count, "3")
    qtbot.keyClick(win.panel.count, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    assert win.grid.hasFocus()
    from labeler.core.store import Store

    with Store(win.project.db_path, readonly=True) as s:
        image = win.nav.current_image()
        assert s.labels([image])[image][0].count == 3
    qtbot.keyClick(win.grid, Qt.Key.Key_C)
    qtbot.keyClicks(win.panel.count, "7")
    qtbot.keyClick(win.panel.count, Qt.Key.Key_Escape)
    assert win.grid.hasFocus() and win.panel.count.value() == 3, "Escape leaves the count as it was"
    qtbot.keyClick(win.grid, Qt.Key.Key_N)  # the next key goes to the grid again
    assert win.nav.current_image() != image and win.panel.count.value() != 37


def test_the_key_list_opens_with_question_mark_and_closes_with_escape(qtbot, window):
    from PySide6.QtWidgets import QApplication

    win = window
    for open_key in ("F1", "?"):
        reactivate(qtbot, win)
        win.grid.setFocus()
        if open_key == "F1":
            qtbot.keyClick(win.grid, Qt.Key.Key_F1)
        else:
            qtbot.keyClicks(win.grid, "?")
        dialog = dialog_of(qtbot, KeysDialog)
        assert dialog.table.rowCount() > 20
        # Escape goes where the keyboard is: the list must have it, not the grid behind.
        qtbot.waitUntil(lambda d=dialog: QApplication.focusWidget() is d.table, timeout=3000)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=3000)
