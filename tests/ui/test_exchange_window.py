"""Exports and imports from the window: files written in the background, boxes in the viewer,
deployments edited."""

from __future__ import annotations

import csv
import json

from labeler.ui.exchange_ui import DeploymentsDialog


def test_csv_export_from_the_window_writes_the_labels(qtbot, window, tmp_path):
    win = window
    win.set_current_row(0)
    win.set_species("red_fox", advance=False)
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    out = tmp_path / "labels.csv"
    with qtbot.waitSignal(win.exchange.finished, timeout=20000) as blocker:
        win.exchange.export("csv", str(out))
    assert blocker.args[0] == "csv" and blocker.args[1]["rows"] == 9
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sum(r["species_key"] == "red_fox" for r in rows) == 1
    assert "Exported to" in win.statusBar().currentMessage()


def test_megadetector_boxes_show_in_the_viewer_after_import(qtbot, window, tmp_path):
    win = window
    path = "A/IMG_0001.JPG"
    src = tmp_path / "md.json"
    src.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                               "images": [{"file": path, "detections": [{"category": "1", "conf": 0.91,
                                                                          "bbox": [0.2, 0.3, 0.25, 0.2]}]}]}))  # fmt: skip
    before = win.controller.snapshot
    with qtbot.waitSignal(win.controller.snapshot_loaded, timeout=20000):
        win.exchange.import_file("megadetector", str(src))
    assert win.controller.snapshot is not before
    snap = win.controller.snapshot
    image_id = next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p == path)
    win.set_current_row(win.grid_model.row_of_image(image_id))
    qtbot.waitUntil(
        lambda: win.viewer.rgb is not None and win.viewer.box_count() == 1, timeout=10000
    )
    r = snap.row_of(image_id)
    assert abs(snap.empty_score[r] - 0.09) < 1e-6, "detector confidence drives the empty score"


def test_deployments_are_edited_and_saved(qtbot, window):
    win = window
    deps = win.controller.reader.deployments()
    dialog = DeploymentsDialog(deps)
    qtbot.addWidget(dialog)
    row = dialog.folders.index("A")
    dialog.table.item(row, 3).setText("51.5")
    dialog.table.item(row, 4).setText("4.77")
    dialog.table.item(row, 5).setText("Europe/Brussels")
    dialog.table.item(row, 6).setText("+2")
    values, problems = dialog.values()
    assert problems == ["A: UTC offset '+2' is not like +02:00 or -05:30"]
    dialog.table.item(row, 6).setText("+02:00")
    values, problems = dialog.values()
    assert not problems and values["A"]["timezone"] == "Europe/Brussels"
    win.save_deployments(values)
    qtbot.waitUntil(
        lambda: win.controller.reader.deployments()["A"]["latitude"] == 51.5, timeout=10000
    )
    assert win.controller.reader.deployments()["A"]["utc_offset"] == "+02:00"
    dialog.table.item(row, 3).setText("north")
    assert dialog.values()[1] == ["A: latitude 'north' is not a number"]


def test_a_file_with_200000_boxes_on_one_image_is_drawn_bounded(qtbot, window, tmp_path):
    import time

    from labeler.core.exchange.megadetector import MAX_BOXES
    from labeler.ui.viewer import MAX_DRAWN_BOXES

    win = window
    path = "A/IMG_0002.JPG"
    boxes = [{"category": "1", "conf": (i % 1000) / 1000, "bbox": [0.001 * (i % 900), 0.1, 0.05, 0.05]}
             for i in range(200_000)]  # fmt: skip
    src = tmp_path / "many.json"
    src.write_text(json.dumps({"info": {"format_version": "1.4"}, "detection_categories": {"1": "animal"},
                               "images": [{"file": path, "detections": boxes}]}))  # fmt: skip
    with qtbot.waitSignal(win.exchange.finished, timeout=60000) as blocker:
        win.exchange.import_file("megadetector", str(src))
    assert blocker.args[1]["detections"] == MAX_BOXES
    snap = win.controller.snapshot
    image_id = next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p == path)
    t = time.perf_counter()
    win.set_current_row(win.grid_model.row_of_image(image_id))
    qtbot.waitUntil(lambda: win.viewer.box_count() == MAX_DRAWN_BOXES, timeout=20000)
    print(f"image with {MAX_BOXES} stored boxes shown with {MAX_DRAWN_BOXES} drawn in "
          f"{time.perf_counter() - t:.2f} s")  # fmt: skip
    t = time.perf_counter()
    win.viewer.set_boxes([])
    assert win.viewer.box_count() == 0
    print(f"cleared in {time.perf_counter() - t:.3f} s")


def test_the_clock_is_corrected_from_the_menu_and_shown_in_the_panel(qtbot, window):
    from PySide6.QtWidgets import QDialogButtonBox

    win = window
    snap = win.controller.snapshot
    image_id = next(
        int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p == "A/IMG_0001.JPG"
    )
    win.set_current_row(win.grid_model.row_of_image(image_id))
    win.clock_action.trigger()
    dialog = win.clock_dialog
    dialog.shift.setText("+2:00:00")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: getattr(win, "last_clock_change", None) is not None, timeout=10000)
    assert win.last_clock_change.images == 7 and win.last_clock_change.shift_s == 7200
    qtbot.waitUntil(lambda: "corrected +2:00:00" in win.panel.title.text(), timeout=10000)
    assert "23:00:01" in win.panel.title.text()
    history = win.controller.reader.clock_history(image_id)
    assert [(h["before_s"], h["after_s"], h["author"]) for h in history] == [(0, 7200, "tester")]


def test_a_missing_folder_is_located_and_relinked_with_its_labels(
    qtbot, window, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    win = window
    win.set_current_row(0)
    win.set_species("red_fox", advance=False)
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    old, db = win.controller.root, win.controller.db_path
    moved = tmp_path / "moved-card"
    import shutil

    shutil.move(old, moved)  # the catalog lives elsewhere: the card can move under it
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))
    win.open_folder(old, db)
    box = win.missing_folder_box
    with qtbot.waitSignal(win.controller.snapshot_loaded, timeout=30000):
        next(b for b in box.buttons() if b.text() == "Locate…").click()
    assert win.controller.root == str(moved)
    assert win.controller.counts()["labeled"] == 1


def test_another_folder_opened_on_this_catalog_is_not_scanned_into_it(qtbot, window, tmp_path):
    from tests.gen import build_burst_tree

    win = window
    db = win.controller.db_path
    other = tmp_path / "other-card"
    build_burst_tree(other, 4, cameras=1)
    win.controller.close()  # the window lets go of the catalog before it is opened again
    errors: list[str] = []
    win.controller.error.connect(errors.append)
    win.open_folder(str(other), db)
    qtbot.waitUntil(lambda: any("belongs to" in e for e in errors), timeout=60000)
    qtbot.waitUntil(lambda: win.controller.reader is not None, timeout=10000)
    assert win.controller.reader.catalog_counts()["missing"] == 0
    assert "scan" not in win.controller._jobs
