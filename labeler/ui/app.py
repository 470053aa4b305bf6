"""Starting the application: ``labeler [FOLDER]``."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from labeler.ui.main_window import MainWindow


def run_app(folder: os.PathLike | str | None = None, db: str | None = None) -> int:
    """Open the window (and the folder, when given); returns the exit code."""
    QCoreApplication.setOrganizationName("camtrap-labeler")
    QCoreApplication.setApplicationName("camtrap-labeler")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(QSettings())
    window.show()
    if folder is not None:
        window.open_folder(str(folder), db)
    return app.exec()
