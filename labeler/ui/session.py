"""What the window remembers between sessions (QSettings): recent folders, the layout, the
filter, and where the user was in each project."""

from __future__ import annotations

import hashlib
from typing import Any

from PySide6.QtCore import QSettings

MAX_RECENT = 8


def settings_list(settings: QSettings, key: str) -> list[str]:
    """A list of strings from the settings.

    QSettings gives a one-element list back as a plain string (and an empty one as None or an
    empty string, by format): iterating that would yield its characters.
    """
    value = settings.value(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def settings_value(settings: QSettings, key: str, default: Any, kind: type) -> Any:
    """A typed value from the settings (INI files give every value back as a string)."""
    value = settings.value(key)
    if value is None or value == "":
        return default
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
        return kind(value)
    except (TypeError, ValueError):
        return default


class SessionMemory:
    """Reads and writes the remembered state; the window decides what to do with it."""

    def __init__(self, settings: QSettings):
        self.settings = settings

    # -- folders -----------------------------------------------------------------------------
    def recent(self) -> list[str]:
        """Recently opened folders, newest first."""
        return settings_list(self.settings, "recent")

    def remember_folder(self, folder: str, db: str | None = None) -> None:
        """Put ``folder`` first in the recent list, remember it as the last folder, and the
        catalog it was opened with (when not the default one)."""
        recent = [f for f in self.recent() if f != folder]
        self.settings.setValue("recent", [folder, *recent][:MAX_RECENT])
        self.settings.setValue("last_folder", folder)
        key = f"{self._project_key(folder)}/catalog"
        if db:
            self.settings.setValue(key, db)
        else:
            self.settings.remove(key)

    def catalog_for(self, folder: str) -> str | None:
        """The catalog a recent folder was opened with, when it was not the default."""
        value = self.settings.value(f"{self._project_key(folder)}/catalog")
        return str(value) if value else None

    def last_folder(self) -> str | None:
        """The folder opened last (where the Open dialog starts)."""
        value = self.settings.value("last_folder")
        return str(value) if value else None

    # -- per project -------------------------------------------------------------------------
    @staticmethod
    def _project_key(db_path: str) -> str:
        return "projects/" + hashlib.sha1(db_path.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def current_image(self, db_path: str) -> int | None:
        """The image that was current when this project was last left."""
        v = settings_value(self.settings, f"{self._project_key(db_path)}/current", None, int)
        return v

    def set_current_image(self, db_path: str, image_id: int | None) -> None:
        """Remember the current image of a project."""
        if image_id is not None:
            self.settings.setValue(f"{self._project_key(db_path)}/current", int(image_id))

    # -- plain values ------------------------------------------------------------------------
    def get(self, key: str, default: Any, kind: type = str) -> Any:
        """A remembered value of ``kind``."""
        return settings_value(self.settings, key, default, kind)

    def set(self, key: str, value: Any) -> None:
        """Remember a value."""
        self.settings.setValue(key, value)
