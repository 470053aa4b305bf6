"""The window stays small: no class in labeler/ui over 300 lines, and no module importing
torch or onnxruntime when the window opens."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "labeler" / "ui"
MAX_CLASS_LINES = 300


def test_no_class_of_the_window_is_over_300_lines():
    sizes = {}
    for path in UI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                sizes[f"{path.name}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert sizes, "classes were found"
    assert {k: v for k, v in sizes.items() if v > MAX_CLASS_LINES} == {}


def test_opening_the_window_imports_neither_torch_nor_onnxruntime(tmp_path):
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from PySide6.QtCore import QSettings\n"
        "app = QApplication([])\n"
        "from labeler.ui.main_window import MainWindow\n"
        f"w = MainWindow(QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat))\n"
        "w.show(); app.processEvents()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'onnxruntime', 'timm')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=UI.parents[1], env={**__import__("os").environ, "LABELER_DATA_DIR": str(tmp_path)})  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
