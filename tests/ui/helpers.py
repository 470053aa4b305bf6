"""What window tests do the way a user does: press keys, trigger menu actions, fill dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt
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


def go_to(win, name: str) -> None:
    """Click the tile of the image whose path ends with ``name``."""
    snap = win.project.snapshot
    image_id = next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p.endswith(name))
    row = win.grid_model.row_of_image(image_id)
    rect = win.grid.visualRect(win.grid_model.index(row))
    win.grid.scrollTo(win.grid_model.index(row))
    rect = win.grid.visualRect(win.grid_model.index(row))
    from pytestqt.qtbot import QtBot

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
