"""The README's Quickstart, step by step, through the window's menus and keys only."""

from __future__ import annotations

import json
import os

import pandas as pd
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog

from labeler.core.jobs import JobKind
from labeler.ui.commands import Command
from labeler.ui.deployments_dialog import DeploymentsDialog
from labeler.ui.export_dialog import ExportDialog
from labeler.ui.info_dialogs import KeysDialog
from labeler.ui.main_window import MainWindow
from tests.gen import jpeg_bytes, write
from tests.ui.helpers import (
    dialog_of,
    go_to,
    labels,
    reactivate,
    search,
    select_rows,
    trigger,
    wait_saved,
)


def listing(folder) -> list[tuple[str, int, float]]:
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime) for p in folder.rglob("*"))


def new_window(qtbot, settings, tiny_model):
    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    win.show()
    return win


def test_step1_a_folder_opens_from_the_menu_or_by_dropping_it_and_stays_untouched(
    qtbot, settings, tiny_model, burst_card
):
    before = listing(burst_card)
    win = new_window(qtbot, settings, tiny_model)
    reactivate(qtbot, win)
    qtbot.keyClick(win.hint.button, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(burst_card))
    with qtbot.waitSignal(win.flows.predicted, timeout=60000):
        picker.accept()
    assert win.grid_model.rowCount() == 9
    assert not str(win.project.db_path).startswith(str(burst_card)), (
        "the catalog is not in the folder"
    )
    win.close()
    other = new_window(qtbot, settings, tiny_model)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(burst_card))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(other, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPoint(50, 50).toPointF(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    with qtbot.waitSignal(other.project.project_opened, timeout=20000):
        QApplication.sendEvent(other, drop)
    qtbot.waitUntil(lambda: other.grid_model.rowCount() == 9, timeout=30000)
    other.close()
    assert listing(burst_card) == before, "nothing was written into the folder"


def test_step2_scan_and_predictions_run_in_the_background_with_progress_and_cancel(
    qtbot, settings, tiny_model, tmp_path
):
    card = tmp_path / "big"
    for i in range(70):
        write(card / "C" / f"IMG_{i:04d}.JPG", jpeg_bytes((96, 72), seed=i))
    win = new_window(qtbot, settings, tiny_model)
    seen = []
    win.project.jobs.progress.connect(
        lambda kind, done, total, text: seen.append((kind, win.status.cancel.isVisible()))
    )
    cancelled = []

    def cancel_predict(kind, done, total, text):
        if kind is JobKind.PREDICT and total and not cancelled:
            cancelled.append(done)
            win.status.cancel.click()

    win.project.jobs.progress.connect(cancel_predict)
    with qtbot.waitSignal(win.flows.predicted, timeout=60000):
        win.open_folder(str(card), str(tmp_path / "c.sqlite"))
    kinds = {k for k, _ in seen}
    assert {JobKind.SCAN, JobKind.PREDICT} <= kinds and all(visible for _, visible in seen)
    assert (
        "prediction cancelled"
        in " ".join(win.project.jobs.notices) + win.statusBar().currentMessage()
    )
    with qtbot.waitSignal(win.flows.predicted, timeout=60000):
        trigger(win, Command.PREDICT)  # the rest, later
    model = win.grid_model
    text = model.data(model.index(0), Qt.ItemDataRole.DisplayRole)
    assert text.endswith("%") and text[-2].isdigit(), text
    qtbot.waitUntil(
        lambda: isinstance(model.data(model.index(0), Qt.ItemDataRole.DecorationRole), QImage),
        timeout=10000,
    )
    win.close()


def test_step2_frames_of_one_burst_are_banded_together(window):
    model = window.grid_model
    bursts = {model.data(model.index(r), model.PathRole): (model.data(model.index(r), model.BurstRole),
              model.data(model.index(r), model.BurstSizeRole)) for r in range(model.rowCount())}  # fmt: skip
    a = {bursts[f"A/IMG_000{f}.JPG"] for f in range(3)}
    assert len(a) == 1 and next(iter(a))[1] == 3
    assert bursts["A/IMG_010.JPG"][1] == 1


def test_step3_every_labeling_key_does_what_the_readme_says(qtbot, window):
    win = window
    grid = win.grid
    snap = win.project.snapshot
    top2 = {int(i): win.project.reader.topk(win.project.model_id, int(i)) for i in snap.ids}
    go_to(win, "A/IMG_010.JPG", qtbot)
    qtbot.keyClick(grid, Qt.Key.Key_3)  # accept suggestion 3, move on
    wait_saved(qtbot, win)
    image = win.grid_model.image_id(win.grid_model.row_of_image(_id(win, "A/IMG_010.JPG")))
    assert labels(win)["IMG_010.JPG"] == [top2[image][2][0]]
    assert win.nav.current_image() == _id(win, "A/IMG_011.JPG")
    qtbot.keyClick(grid, Qt.Key.Key_Enter)  # the top one, and on
    wait_saved(qtbot, win)
    assert labels(win)["IMG_011.JPG"] == [top2[_id(win, "A/IMG_011.JPG")][0][0]]
    qtbot.keyClick(grid, Qt.Key.Key_0)  # blank
    wait_saved(qtbot, win)
    qtbot.keyClick(grid, Qt.Key.Key_V)  # vehicle
    wait_saved(qtbot, win)
    got = labels(win)
    assert got["IMG_012.JPG"] == ["blank"] and got["IMG_013.JPG"] == ["vehicle"]
    go_to(win, "B/IMG_1000.JPG", qtbot)
    search(qtbot, win, "Red fox")
    wait_saved(qtbot, win)
    go_to(win, "B/IMG_1000.JPG", qtbot)
    qtbot.keyClick(grid, Qt.Key.Key_A)  # a second species
    assert win.panel.search.hasFocus()
    win.panel.search.setFocus()
    qtbot.keyClicks(win.panel.search, "Aardwolf")
    win.panel.completer.popup().hide()
    reactivate(qtbot, win)
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    assert (
        labels(win)["IMG_1000.JPG"] == ["red_fox", "european_badger"]
        or labels(win)["IMG_1000.JPG"][0] == "red_fox"
    )
    go_to(win, "B/IMG_1000.JPG", qtbot)
    qtbot.keyClick(grid, Qt.Key.Key_C)
    qtbot.keyClicks(win.panel.count, "2")
    qtbot.keyClick(win.panel.count, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    qtbot.keyClick(grid, Qt.Key.Key_S)  # select the burst
    assert len(win.nav.selected_images()) == 2
    qtbot.keyClick(grid, Qt.Key.Key_M)  # its majority species
    wait_saved(qtbot, win)
    assert labels(win)["IMG_1001.JPG"][0] == "red_fox"
    qtbot.keyClicks(grid, "?")
    keys = dialog_of(qtbot, KeysDialog)
    qtbot.keyClick(keys.table, Qt.Key.Key_Escape)


def test_step4_empties_are_triaged_in_bulk_and_undone(qtbot, window):
    win = window
    bar = win.filter_bar
    bar.kind.setCurrentIndex(bar.kind.findData("predicted_blank"))
    bar.blank_slider.setValue(0)
    assert win.grid_model.rowCount() == 9
    bar.blank_value.setValue(100)
    assert win.grid_model.rowCount() <= 9
    bar.blank_slider.setValue(0)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    last = win.grid.visualRect(win.grid_model.index(3)).center()
    qtbot.mouseClick(
        win.grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, last
    )
    assert win.status.selection.text().strip() == "4 selected"
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    wait_saved(qtbot, win)
    assert sum(v == ["blank"] for v in labels(win).values()) == 4
    assert win.grid_model.rowCount() == 9, "the view holds still while the user works"
    qtbot.keyClick(win.grid, Qt.Key.Key_F5)
    assert win.grid_model.rowCount() == 5, "F5: labeled frames leave the predicted-blank view"
    qtbot.keyClick(win.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    assert all(v == [] for v in labels(win).values())
    qtbot.keyClick(win.grid, Qt.Key.Key_F5)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.history_dialog.isVisible(), timeout=3000)
    assert win.history_model.rowCount() == 2  # blank, then its undo


def test_step5_the_learning_tab_retrains_after_ten_confirmations_and_measures_itself(qtbot, window):
    win = window
    assert win.learning_panel.every.value() == 10
    with qtbot.waitSignal(win.learning.metrics_ready, timeout=60000):
        select_rows(win, range(0, 5))
        qtbot.keyClick(win.grid, Qt.Key.Key_E)
        wait_saved(qtbot, win)
        select_rows(win, range(5, 9))
        search(qtbot, win, "Red fox")
        wait_saved(qtbot, win)
        go_to(win, "A/IMG_0000.JPG", qtbot)  # a correction is a confirmation too
        qtbot.keyClick(win.grid, Qt.Key.Key_H)
    lp = win.learning_panel
    assert "Head on 9 confirmed labels" in lp.status.text()
    assert lp.metrics.table.rowCount() >= 2 and lp.metrics.cell_texts
    assert "Cross-validated on 9" in lp.metrics.note.text()
    assert lp.target.value() == 96.6
    with qtbot.waitSignal(win.learning.review_ready, timeout=30000):
        qtbot.keyClick(win.grid, Qt.Key.Key_R)
    assert win.view.spec.order == "review"
    with qtbot.waitSignal(win.learning.auto_accept_ready, timeout=30000):
        lp.preview.click()
    assert lp.accept_status.text()


def test_step6_export_deployments_and_imports_from_the_file_menu(qtbot, window, tmp_path):
    win = window
    trigger(win, Command.DEPLOYMENTS)
    deps = dialog_of(qtbot, DeploymentsDialog)
    for folder, lat in (("A", "51.5"), ("B", "51.6")):
        row = deps.folders.index(folder)
        deps.table.item(row, 3).setText(lat)
        deps.table.item(row, 4).setText("4.7")
        deps.table.item(row, 5).setText("Europe/Brussels")
    deps.accept()
    qtbot.waitUntil(
        lambda: win.project.reader.deployments()["B"]["latitude"] == 51.6, timeout=10000
    )
    reactivate(qtbot, win)
    qtbot.keyClick(win.grid, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    export = dialog_of(qtbot, ExportDialog)
    from labeler.core.exchange_jobs import ExportFormat

    export.choose(ExportFormat.CAMTRAPDP)
    export.out.setText(str(tmp_path / "package"))
    with qtbot.waitSignal(win.flows.exported, timeout=30000) as blocker:
        export.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert not any("coordinates" in p for p in blocker.args[0]["problems"])
    assert len(pd.read_csv(tmp_path / "package" / "deployments.csv")) == 2

    src = tmp_path / "labels.csv"
    src.write_text("path,species\nA/IMG_013.JPG,Red fox\n")
    trigger(win, Command.IMPORT_CSV)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(src))
    with qtbot.waitSignal(win.flows.imported, timeout=20000):
        picker.accept()
    wait_saved(qtbot, win)
    assert labels(win)["IMG_013.JPG"] == ["red_fox"]
    md = tmp_path / "md.json"
    md.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                              "images": [{"file": "B/IMG_1001.JPG", "detections": [{"category": "1", "conf": 0.8,
                                                                                   "bbox": [0.1, 0.1, 0.5, 0.5]}]}]}))  # fmt: skip
    trigger(win, Command.IMPORT_MEGADETECTOR)
    picker = dialog_of(qtbot, QFileDialog)
    picker.selectFile(str(md))
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=20000):
        picker.accept()
    go_to(win, "B/IMG_1001.JPG", qtbot)
    viewer = win.pane.viewer
    qtbot.waitUntil(lambda: any(b[4].startswith("animal 80%") for b in viewer.boxes), timeout=10000)
    snap = win.project.snapshot
    assert snap.empty_score[snap.row_of(win.nav.current_image())] <= 0.2 + 1e-6
    assert os.path.isdir(tmp_path / "package")


def _id(win, path: str) -> int:
    snap = win.project.snapshot
    return next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p == path)
