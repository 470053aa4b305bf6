"""What window tests do the way a user does: press keys, trigger menu actions, fill dialogs."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QWidget

from labeler.core.store import Store
from labeler.ui.commands import Command


def labels(win) -> dict[str, list[str]]:
    """File name -> species keys, read from the catalog on disk."""
    with Store(win.project.db_path, readonly=True) as s:
        ids = dict(s.query("SELECT id, name FROM images"))
        return {ids[i]: [o.species_key for o in obs] for i, obs in s.labels(ids).items()}


def wait_saved(qtbot, win) -> None:
    """Until every label job has committed and the window says so."""
    qtbot.waitUntil(lambda: win.project.writer.pending_labels == 0, timeout=10000)
    qtbot.waitUntil(lambda: win.status.saved.text() == "All changes saved", timeout=10000)


def go_to(win, name: str, qtbot=None) -> None:
    """Click the tile of the image whose path ends with ``name``."""
    snap = win.project.snapshot
    image_id = next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p.endswith(name))
    row = win.grid_model.row_of_image(image_id)
    rect = win.grid.visualRect(win.grid_model.index(row))
    win.grid.scrollTo(win.grid_model.index(row))
    rect = win.grid.visualRect(win.grid_model.index(row))
    from pytestqt.qtbot import QtBot

    if qtbot is not None:
        reactivate(qtbot, win)
    QtBot.mouseClick(win.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    win.grid.setFocus()
    assert win.nav.current_image() == image_id


def trigger(win, command: Command) -> None:
    """Trigger the window's action for a command (a menu click)."""
    action = win.actions_by_command[command]
    assert action.isEnabled(), f"{command.name} is greyed out"
    action.trigger()


def in_menu(win, command: Command) -> bool:
    """True when a menu (or submenu) of the menu bar holds the command's action."""
    action = win.actions_by_command[command]

    def walk(menu) -> bool:
        for a in menu.actions():
            if a is action or (a.menu() is not None and walk(a.menu())):
                return True
        return False

    return any(walk(a.menu()) for a in win.menuBar().actions() if a.menu() is not None)


def dialog_of(qtbot, cls: type[QWidget]):
    """The visible window of class ``cls`` (waits for it to open)."""
    found: list = []

    def visible() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, cls) and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(visible, timeout=5000)
    return found[-1]


def press(qtbot, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """One key press on a widget."""
    qtbot.keyClick(widget, key, modifier)


def search(qtbot, win, text: str, *, enter: int = 1) -> None:
    """Press / and type ``text`` into the species search, then Enter (``enter`` times)."""
    qtbot.keyClick(win.grid, Qt.Key.Key_Slash)
    qtbot.keyClicks(win.panel.search, text)
    for _ in range(enter):
        win.panel.completer.popup().hide()
        reactivate(qtbot, win)
        qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    reactivate(qtbot, win)


def reactivate(qtbot, win) -> None:
    """Make the window the active one again after a popup or dialog.

    The offscreen platform delivers a popup's activation late (even after the popup closed);
    a desktop gives the window back at once. Requests are handled in order, so asking again
    and waiting settles it.
    """
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)


def select_rows(win, rows) -> None:
    sel = win.grid.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(win.grid_model.index(r), QItemSelectionModel.SelectionFlag.Select)


def label_two_classes(qtbot, win) -> None:
    """Five frames blank, four red fox, by keys."""
    select_rows(win, range(0, 5))
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    wait_saved(qtbot, win)
    select_rows(win, range(5, 9))
    search(qtbot, win, "Red fox")
    wait_saved(qtbot, win)


def reopen(qtbot, settings, tiny_model):
    """A new window on the same settings, opening the folder from File → Open recent."""
    from labeler.ui.main_window import MainWindow

    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    win.show()
    recent = win.actions.recent_menu.actions()
    assert recent, "the recent folders are listed"
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=30000):
        recent[0].trigger()
    return win
