"""Every README promise of the File menu, reached through its actions: exports in each format
with the command line's options, imports, deployments, backups and restore."""

from __future__ import annotations

import json
import os

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

from labeler.core.exchange_jobs import ExportFormat
from labeler.core.jobs import JobKind
from labeler.core.store import Store
from labeler.ui.commands import Command
from labeler.ui.deployments_dialog import DeploymentsDialog
from labeler.ui.export_dialog import ExportDialog
from labeler.ui.info_dialogs import RestoreDialog
from tests.ui.helpers import dialog_of, go_to, in_menu, labels, trigger, wait_saved


def export_through_the_menu(qtbot, win, fmt, out, **options):
    trigger(win, Command.EXPORT)
    dialog = dialog_of(qtbot, ExportDialog)
    dialog.choose(fmt)
    for name, value in options.items():
        widget = getattr(dialog, name)
        widget.setText(value) if isinstance(value, str) else widget.setChecked(value)
    dialog.out.setText(str(out))
    with qtbot.waitSignal(win.flows.exported, timeout=30000) as blocker:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    return blocker.args[0]


def test_every_promise_of_the_readme_is_in_a_menu(window):
    for c in (Command.OPEN, Command.EXPORT, Command.IMPORT_CSV, Command.IMPORT_MEGADETECTOR,
              Command.DEPLOYMENTS, Command.BACKUP, Command.RESTORE, Command.SPECIES,
              Command.PREFERENCES, Command.ABOUT, Command.HELP, Command.REVIEW_MODE):  # fmt: skip
        assert in_menu(window, c), c


def test_csv_export_from_the_menu_with_the_command_lines_options(qtbot, window, tmp_path):
    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    report = export_through_the_menu(qtbot, win, ExportFormat.CSV, tmp_path / "all.csv")
    assert report["rows"] == 9 and "Exported to" in win.statusBar().currentMessage()
    export_through_the_menu(qtbot, win, ExportFormat.CSV, tmp_path / "mine.csv", labeled_only=True)
    export_through_the_menu(qtbot, win, ExportFormat.CSV, tmp_path / "tops.csv", suggestions=True)
    assert len(pd.read_csv(tmp_path / "all.csv")) == 9
    mine = pd.read_csv(tmp_path / "mine.csv")
    assert list(mine["species_key"]) == ["human"]
    tops = pd.read_csv(tmp_path / "tops.csv")
    assert len(tops) == 9 and "suggestion_1" in tops.columns


def test_camtrapdp_megadetector_and_coco_exports_from_the_menu(qtbot, window, tmp_path):
    win = window
    deps = tmp_path / "deps.csv"
    deps.write_text("folder,latitude,longitude,utcOffset\nA,51.5,4.7,+02:00\nB,51.6,4.8,+02:00\n")
    report = export_through_the_menu(
        qtbot, win, ExportFormat.CAMTRAPDP, tmp_path / "pkg", deployments=str(deps)
    )
    assert os.path.isfile(tmp_path / "pkg" / "datapackage.json") and report["deployments"] == 2
    assert win.project.reader.deployments()["A"]["latitude"] == 51.5
    md = export_through_the_menu(qtbot, win, ExportFormat.MEGADETECTOR, tmp_path / "md.json")
    assert len(json.loads((tmp_path / "md.json").read_text())["images"]) == md["images"] == 9
    export_through_the_menu(qtbot, win, ExportFormat.COCO, tmp_path / "coco.json")
    assert len(json.loads((tmp_path / "coco.json").read_text())["images"]) == 9


def test_cancel_stops_an_export_and_leaves_no_partial_file(qtbot, window, tmp_path, monkeypatch):
    import labeler.core.exchange.csv_io as csv_io

    win = window
    # The export runs in this process here, so that the slowed-down writer below applies
    # (a child process's cancel is tested in tests/core/test_job_process.py).
    win.project.jobs.isolate = False
    monkeypatch.setattr(csv_io, "PROGRESS_ROWS", 1)
    started = []
    real = csv_io.export_csv

    def slow(store, out, **kw):
        n = 0
        for n in real(store, out, **kw):
            started.append(n)
            if len(started) > 1:
                # The export waits for the window to press Cancel: an event, not a sleep.
                win.cancel_seen.wait(10)
            yield n
        return {"rows": n, "path": str(out)}

    import threading

    win.cancel_seen = threading.Event()
    monkeypatch.setattr(csv_io, "export_csv", slow)
    trigger(win, Command.EXPORT)
    dialog = dialog_of(qtbot, ExportDialog)
    dialog.out.setText(str(tmp_path / "labels.csv"))
    dialog.accept()
    qtbot.waitUntil(lambda: bool(started) and win.status.cancel.isVisible(), timeout=10000)
    with qtbot.waitSignal(win.flows.exported, timeout=10000) as blocker:
        win.status.cancel.click()
        win.cancel_seen.set()
    assert blocker.args[0]["cancelled"] is True
    assert not (tmp_path / "labels.csv").exists() and not (tmp_path / "labels.csv.partial").exists()


def test_labels_and_megadetector_boxes_are_imported_from_the_menu(qtbot, window, tmp_path):
    win = window
    src = tmp_path / "labels.csv"
    src.write_text("path,species\nA/IMG_010.JPG,Red fox\nnope/x.jpg,Red fox\n")
    trigger(win, Command.IMPORT_CSV)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(src))
    with qtbot.waitSignal(win.flows.imported, timeout=20000):
        picker.accept()
    wait_saved(qtbot, win)
    assert labels(win)["IMG_010.JPG"] == ["red_fox"]
    assert any("match no image" in n for n in win.project.jobs.notices)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_010.JPG"] == [], "the import is one step of undo"

    path = "A/IMG_0001.JPG"
    md = tmp_path / "md.json"
    md.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                              "images": [{"file": path, "detections": [{"category": "1", "conf": 0.91,
                                                                         "bbox": [0.2, 0.3, 0.25, 0.2]}]}]}))  # fmt: skip
    trigger(win, Command.IMPORT_MEGADETECTOR)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(md))
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=20000):
        picker.accept()
    go_to(win, path, qtbot)
    viewer = win.pane.viewer
    qtbot.waitUntil(
        lambda: viewer.rgb is not None and any(b[4].startswith("animal 91%") for b in viewer.boxes),
        timeout=10000,
    )
    assert viewer.box_count() >= 1
    snap = win.project.snapshot
    r = snap.row_of(win.nav.current_image())
    assert snap.empty_score[r] <= 0.09 + 1e-6, "the detector's confidence drives the empty score"


def test_deployments_are_edited_from_the_menu_and_saved(qtbot, window):
    win = window
    trigger(win, Command.DEPLOYMENTS)
    dialog = dialog_of(qtbot, DeploymentsDialog)
    row = dialog.folders.index("A")
    dialog.table.item(row, 3).setText("51.5")
    dialog.table.item(row, 4).setText("4.77")
    dialog.table.item(row, 5).setText("Europe/Brussels")
    dialog.table.item(row, 6).setText("+2")
    values, problems = dialog.values()
    assert problems == ["A: UTC offset '+2' is not like +02:00 or -05:30"]
    dialog.table.item(row, 6).setText("+02:00")
    dialog.accept()
    qtbot.waitUntil(
        lambda: win.project.reader.deployments()["A"]["latitude"] == 51.5, timeout=10000
    )
    deps = win.project.reader.deployments()["A"]
    assert deps["utc_offset"] == "+02:00" and deps["timezone"] == "Europe/Brussels"


def test_a_file_with_200000_boxes_on_one_image_is_drawn_bounded(qtbot, window, tmp_path):
    from labeler.core.exchange.megadetector import MAX_BOXES
    from labeler.ui.viewer import MAX_DRAWN_BOXES

    win = window
    path = "A/IMG_0002.JPG"
    boxes = [{"category": "1", "conf": (i % 1000) / 1000, "bbox": [0.001 * (i % 900), 0.1, 0.05, 0.05]}
             for i in range(200_000)]  # fmt: skip
    src = tmp_path / "many.json"
    src.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                               "images": [{"file": path, "detections": boxes}]}))  # fmt: skip
    trigger(win, Command.IMPORT_MEGADETECTOR)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(src))
    with qtbot.waitSignal(win.flows.imported, timeout=60000) as blocker:
        picker.accept()
    assert blocker.args[0]["detections"] == MAX_BOXES
    go_to(win, path, qtbot)
    qtbot.waitUntil(lambda: win.pane.viewer.box_count() == MAX_DRAWN_BOXES, timeout=20000)


def test_the_clock_is_corrected_from_the_menu_and_shown_in_the_panel(qtbot, window):
    from labeler.ui.clock_ui import ClockDialog

    win = window
    go_to(win, "A/IMG_0001.JPG", qtbot)
    image_id = win.nav.current_image()
    trigger(win, Command.CLOCK)
    dialog = dialog_of(qtbot, ClockDialog)
    dialog.shift.setText("+2:00:00")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: win.commands.last_clock_change is not None, timeout=10000)
    change = win.commands.last_clock_change
    assert change.images == 7 and change.shift_s == 7200
    qtbot.waitUntil(lambda: "corrected +2:00:00" in win.panel.title.text(), timeout=10000)
    assert "23:00:01" in win.panel.title.text()
    history = win.project.reader.clock_history(image_id)
    assert [(h["before_s"], h["after_s"], h["author"]) for h in history] == [(0, 7200, "tester")]


def test_a_missing_folder_is_located_and_relinked_with_its_labels(qtbot, window, tmp_path):
    import shutil

    from PySide6.QtWidgets import QMessageBox

    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    old, db = win.project.root, win.project.db_path
    moved = tmp_path / "moved-card"
    shutil.move(old, moved)  # the catalog lives elsewhere: the card can move under it
    win.open_folder(old, db)
    box = dialog_of(qtbot, QMessageBox)
    next(b for b in box.buttons() if b.text() == "Locate…").click()
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(moved))
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=30000):
        picker.accept()
    assert win.project.root == str(moved)
    assert win.project.counts()["labeled"] == 1


def test_another_folder_opened_on_this_catalog_is_not_scanned_into_it(qtbot, window, tmp_path):
    from tests.gen import build_burst_tree

    win = window
    db = win.project.db_path
    other = tmp_path / "other-card"
    build_burst_tree(other, 4, cameras=1)
    errors: list[str] = []
    win.project.error.connect(errors.append)
    win.open_folder(str(other), db)
    qtbot.waitUntil(lambda: any("belongs to" in e for e in errors), timeout=60000)
    qtbot.waitUntil(lambda: win.project.reader is not None, timeout=10000)
    assert win.project.reader.catalog_counts()["missing"] == 0
    assert not win.project.jobs.is_running(JobKind.SCAN)


def test_a_backup_from_the_menu_is_restored_from_the_menu(qtbot, window):
    win = window
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_V)
    wait_saved(qtbot, win)
    with qtbot.waitSignal(win.project.jobs.finished, timeout=20000,
                          check_params_cb=lambda k, m: k is JobKind.BACKUP):  # fmt: skip
        trigger(win, Command.BACKUP)
    assert "backed up to" in win.statusBar().currentMessage()
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_0000.JPG"] == ["human"]
    trigger(win, Command.RESTORE)
    dialog = dialog_of(qtbot, RestoreDialog)
    assert dialog.list.count() >= 1
    with qtbot.waitSignal(win.flows.restored, timeout=30000):
        dialog.accept()
    qtbot.waitUntil(lambda: win.project.reader is not None, timeout=20000)
    assert labels(win)["IMG_0000.JPG"] == ["vehicle"]
    assert any(".before-restore-" in f for f in os.listdir(os.path.dirname(win.project.db_path)))


def test_a_detector_file_runs_from_the_menu_and_its_boxes_reach_the_viewer(qtbot, window, tmp_path):
    from tests.models import make_tiny_detector

    win = window
    detector = make_tiny_detector(tmp_path / "det" / "md.onnx")
    trigger(win, Command.DETECT)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(detector))
    with qtbot.waitSignal(win.project.jobs.finished, timeout=60000,
                          check_params_cb=lambda k, m: k is JobKind.DETECT) as done:  # fmt: skip
        picker.accept()
    assert "detection done: 9 images looked at" in done.args[1]
    with Store(win.project.db_path, readonly=True) as s:
        assert "detector:md.onnx" in [r["source"] for r in s.region_sources()]
