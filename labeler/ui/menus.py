"""The window's actions and menus: one QAction per :class:`Command`, with its keys."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from labeler.ui.commands import Command, sequences

C = Command
MENUS: list[tuple[str, list[Command | None]]] = [
    ("&File", [C.OPEN, "recent", None, C.RESCAN, C.PREDICT, C.DETECT, None, C.EXPORT, "import",
               C.DEPLOYMENTS, None, C.BACKUP, C.RESTORE, None, C.PREFERENCES, None, C.QUIT]),
    ("&Edit", [C.UNDO, C.REDO, None, C.BLANK, C.HUMAN, C.VEHICLE, C.ACCEPT_1, C.REPEAT_LAST,
               C.LABEL_BURSTS, C.BURST_MAJORITY, C.SELECT_BURST, C.CLEAR, None, C.SEARCH,
               C.ADD_SPECIES, C.COUNT, C.NOTE, None, C.SPECIES, C.CLOCK]),
    ("&View", [C.NEXT, C.PREVIOUS, C.REVIEW_MODE, C.REFRESH_VIEW, C.HISTORY, None, C.FIT,
               C.ACTUAL_SIZE, C.MAGNIFIER, C.AUTO_CONTRAST, None, C.LARGER_THUMBNAILS,
               C.SMALLER_THUMBNAILS, C.ZOOM_TILES, C.BURST_VIEW]),
    ("&Help", [C.HELP, C.ABOUT]),
]  # fmt: skip
CHECKABLE = {C.MAGNIFIER, C.AUTO_CONTRAST, C.BURST_VIEW, C.REVIEW_MODE, C.ZOOM_TILES}
# What the viewer's toolbar shows (short: the toolbar must fit beside the grid at 1280 px).
TOOLBAR_TEXT = {C.FIT: "Fit", C.ACTUAL_SIZE: "1:1", C.PREVIOUS: "◀", C.NEXT: "▶",
                C.MAGNIFIER: "Loupe", C.AUTO_CONTRAST: "Auto contrast"}  # fmt: skip


class WindowActions:
    """Creates the actions, wires them to handlers and fills the menu bar."""

    def __init__(self, window: QMainWindow, grid: QWidget, handlers: dict[Command, Callable],
                 hotkeys: dict[Command, list[str]]):  # fmt: skip
        self.window = window
        self.actions: dict[Command, QAction] = {}
        for c in Command:
            action = QAction(c.text, window)
            action.setObjectName(c.key)
            action.setToolTip(c.description)
            action.setCheckable(c in CHECKABLE)
            if c in TOOLBAR_TEXT:
                action.setIconText(TOOLBAR_TEXT[c])
            if c.grid:
                # Single keys act only while the grid has focus, never while typing.
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                grid.addAction(action)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                window.addAction(action)
            handler = handlers.get(c)
            if handler is not None:
                if c in CHECKABLE:
                    action.toggled.connect(handler)
                else:
                    action.triggered.connect(lambda _checked=False, h=handler: h())
            self.actions[c] = action
        self.apply_hotkeys(hotkeys)
        self.recent_menu = QMenu("Open &recent", window)
        self.import_menu = QMenu("&Import", window)
        for c in (C.IMPORT_CSV, C.IMPORT_TIMELAPSE, C.IMPORT_CAMTRAPDP, C.IMPORT_MEGADETECTOR):
            self.import_menu.addAction(self.actions[c])
        self._build_menus()

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        self.menus: dict[str, QMenu] = {}
        for title, items in MENUS:
            menu = bar.addMenu(title)
            self.menus[title.replace("&", "")] = menu
            for item in items:
                if item is None:
                    menu.addSeparator()
                elif item == "recent":
                    menu.addMenu(self.recent_menu)
                elif item == "import":
                    menu.addMenu(self.import_menu)
                else:
                    menu.addAction(self.actions[item])

    def apply_hotkeys(self, hotkeys: dict[Command, list[str]]) -> None:
        """Give every action its keys."""
        for c, action in self.actions.items():
            action.setShortcuts(sequences(hotkeys.get(c, [])))

    def set_recent(self, folders: list[str], open_folder: Callable[[str], None]) -> None:
        """One item per remembered folder (newest first)."""
        self.recent_menu.clear()
        for folder in folders:
            self.recent_menu.addAction(folder, lambda f=folder: open_folder(f))
        self.recent_menu.setEnabled(bool(folders))

    def set_project_open(self, is_open: bool) -> None:
        """Commands that need a project are greyed out until one is open."""
        needs = {C.RESCAN, C.PREDICT, C.DETECT, C.EXPORT, C.IMPORT_CSV, C.IMPORT_MEGADETECTOR, C.CLOCK,
                 C.IMPORT_TIMELAPSE, C.IMPORT_CAMTRAPDP, C.DEPLOYMENTS, C.BACKUP, C.RESTORE,
                 C.SPECIES}  # fmt: skip
        for c in needs:
            self.actions[c].setEnabled(is_open)
        self.import_menu.setEnabled(is_open)
