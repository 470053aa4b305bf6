"""Everything the window can be told to do: one :class:`Command` per menu item or key, with its
text, its description for the keyboard list, and its keys (defaults in resources/hotkeys.json,
the user's own in QSettings)."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence

import resources
from labeler.ui.session import settings_list


class Command(Enum):
    """A command: (menu text, description, single-key command acting on the grid)."""

    OPEN = ("&Open folder…", "Open a folder of camera-trap images", False)
    RESCAN = ("Re&scan folder", "Scan the folder again for new or changed files", False)
    PREDICT = ("&Predict new images", "Suggest species for images not predicted yet", False)
    DETECT = ("&Detect animals with a detector file…",
              "Find animal boxes with a detector model (ONNX); predictions then crop them", False)  # fmt: skip
    EXPORT = ("&Export…", "Write labels as CSV, Camtrap DP, MegaDetector JSON or COCO", False)
    IMPORT_CSV = ("Labels from a &CSV file…", "Import labels from a CSV file", False)
    IMPORT_MEGADETECTOR = ("&Boxes from a MegaDetector/AddaxAI file…",
                           "Import detector boxes from a MegaDetector or AddaxAI results file", False)  # fmt: skip
    IMPORT_TIMELAPSE = (
        "Labels from a &Timelapse CSV…",
        "Import labels from a Timelapse export",
        False,
    )
    IMPORT_CAMTRAPDP = ("Labels from a Camtrap &DP package…",
                        "Import observations from a Camtrap DP package", False)  # fmt: skip
    DEPLOYMENTS = ("&Deployments…", "Each camera's coordinates, time zone and dates", False)
    BACKUP = ("&Back up now", "Make a verified copy of the catalog", False)
    RESTORE = ("&Restore from a backup…", "Put a backup in place of the catalog", False)
    PREFERENCES = (
        "Pre&ferences…",
        "Observer name, burst gap, audits, target accuracy, keys",
        False,
    )
    QUIT = ("&Quit", "Close the window", False)
    UNDO = ("&Undo", "Undo (bulk actions too)", False)
    REDO = ("&Redo", "Redo", False)
    ACCEPT_1 = ("Accept each image's &top suggestion", "Accept suggestion 1", True)
    ACCEPT_2 = ("Accept suggestion 2", "Accept suggestion 2", True)
    ACCEPT_3 = ("Accept suggestion 3", "Accept suggestion 3", True)
    ACCEPT_4 = ("Accept suggestion 4", "Accept suggestion 4", True)
    ACCEPT_5 = ("Accept suggestion 5", "Accept suggestion 5", True)
    ACCEPT_TOP_AND_NEXT = ("Accept the top suggestion and go on",
                           "Accept the top suggestion and go to the next image", True)  # fmt: skip
    BLANK = ("Mark &blank", "Mark blank (empty frame)", True)
    HUMAN = ("Mark &human", "Mark human", True)
    VEHICLE = ("Mark &vehicle", "Mark vehicle", True)
    REPEAT_LAST = ("Repeat the &last label", "Give the image the label given last", True)
    BURST_MAJORITY = ("Burst &majority", "Give the burst its majority species", True)
    SELECT_BURST = ("Select the b&urst", "Select every frame of the current burst", True)
    LABEL_BURSTS = (
        "Give whole bursts this label",
        "Give whole bursts the current image's label",
        False,
    )
    SEARCH = (
        "&Search species",
        "Search species (type to complete; a new name adds a species)",
        True,
    )
    ADD_SPECIES = ("&Add a further species", "Add a further species to the image", True)
    COUNT = ("Edit the &count", "Edit the count (Enter saves, Escape goes back)", True)
    NOTE = ("Write a &note", "Write a note about the image (Escape goes back)", True)
    CLEAR = ("&Clear labels", "Remove the labels of the selection", True)
    SPECIES = ("Species &list…", "Rename, merge, hide and delete species", False)
    CLOCK = (
        "Correct camera c&lock…",
        "Shift the capture times of a camera or the selection",
        False,
    )
    NEXT = ("&Next image", "Next image", True)
    PREVIOUS = ("&Previous image", "Previous image", True)
    HISTORY = ("Label &history", "History of the image's labels", False)
    FIT = ("&Fit image", "Fit the image to the viewer", True)
    ACTUAL_SIZE = ("&1:1", "Show the image at 1:1", True)
    MAGNIFIER = ("&Magnifier", "A magnifying glass under the pointer", True)
    AUTO_CONTRAST = ("&Auto contrast (night IR)", "Stretch dark, flat night frames", True)
    LARGER_THUMBNAILS = ("&Larger thumbnails", "Larger thumbnails", False)
    SMALLER_THUMBNAILS = ("&Smaller thumbnails", "Smaller thumbnails", False)
    ZOOM_TILES = ("Tiles &zoomed onto the animal",
                  "Tiles zoomed onto the animal (where a region was found)", True)  # fmt: skip
    BURST_VIEW = ("Suggestions averaged over each &burst", "Average suggestions over bursts", False)
    REFRESH_VIEW = ("Re-apply &filter", "Re-apply the filter", False)
    REVIEW_MODE = ("&Review mode", "Review mode: most useful image next", True)
    HELP = ("&Keyboard shortcuts", "Show this list", False)
    ABOUT = ("&About", "Version, model, data folder and log", False)

    def __init__(self, text: str, description: str, grid: bool):
        self.text = text
        self.description = description
        # Single keys act only while the grid has focus, never while typing.
        self.grid = grid

    @property
    def key(self) -> str:
        """The command's name in resources/hotkeys.json and in the settings."""
        return self.name.lower()


def _standard_keys() -> dict[Command, list[str]]:
    """Keys of commands that have no entry in resources/hotkeys.json (the platform's own for
    Open and Quit; asked of Qt when needed, as it needs the application)."""
    return {
        Command.OPEN: [QKeySequence(QKeySequence.StandardKey.Open).toString()],
        Command.QUIT: [QKeySequence(QKeySequence.StandardKey.Quit).toString()],
        Command.EXPORT: ["Ctrl+E"],
        Command.PREFERENCES: ["Ctrl+,"],
    }


def default_hotkeys() -> dict[Command, list[str]]:
    """Keys of every command out of the box."""
    table = resources.read_json("hotkeys.json")
    keys = {c: list(table.get(c.key, [])) for c in Command}
    keys.update(_standard_keys())
    return keys


def load_hotkeys(settings: QSettings | None = None) -> dict[Command, list[str]]:
    """Keys of every command, the user's own applied."""
    keys = default_hotkeys()
    if settings is not None:
        for c in Command:
            if settings.contains(f"hotkeys/{c.key}"):
                keys[c] = [k for k in settings_list(settings, f"hotkeys/{c.key}") if k]
    return keys


def save_hotkeys(settings: QSettings, keys: dict[Command, list[str]]) -> None:
    """Store the keys that differ from the defaults (the others follow future defaults)."""
    defaults = default_hotkeys()
    settings.remove("hotkeys")
    for c, k in keys.items():
        if k != defaults.get(c, []):
            settings.setValue(f"hotkeys/{c.key}", list(k))


def sequences(keys: list[str]) -> list[QKeySequence]:
    """Parse portable key texts."""
    return [QKeySequence(k) for k in keys]


def conflicts(keys: dict[Command, list[str]]) -> list[str]:
    """Keys given to more than one command, as sentences (empty when there are none)."""
    owner: dict[str, Command] = {}
    found = []
    for c, texts in keys.items():
        for t in texts:
            norm = QKeySequence(t).toString(QKeySequence.SequenceFormat.PortableText)
            if not norm:
                continue
            if norm in owner and owner[norm] is not c:
                found.append(f"{norm} is already used for “{owner[norm].description}”")
            owner.setdefault(norm, c)
    return found
