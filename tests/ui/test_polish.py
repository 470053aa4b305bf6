"""Polish found by a new user: nothing hides at the default width, the empty-score threshold is
precise, the metrics read plainly, captions and counters stay current, problem files show,
an empty start says what to do, and the Open dialog starts at home."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QToolButton

from labeler.ui.commands import Command
from labeler.ui.main_window import MainWindow
from labeler.ui.metrics_view import MetricsView
from tests.gen import jpeg_bytes, write
from tests.ui.helpers import dialog_of, go_to, select_rows, trigger, wait_saved


def overflowing(bar) -> bool:
    ext = bar.findChild(QToolButton, "qt_toolbar_ext_button")
    return ext is not None and ext.isVisible()


def test_no_toolbar_hides_its_controls_at_1280_pixels(qtbot, window):
    win = window
    win.resize(1280, 720)
    qtbot.waitUntil(lambda: win.width() == 1280)
    for bar in (win.filter_bar, win.pane.bar):
        assert not overflowing(bar)
        assert bar.sizeHint().width() <= bar.width(), f"{bar.objectName()} needs more room"
    assert win.pane.adjust.isVisible(), "brightness, contrast and gamma are one click away"


def test_the_empty_score_threshold_moves_in_small_steps_and_can_be_typed(qtbot, window):
    bar = window.filter_bar
    assert bar.blank_slider.width() / (bar.blank_slider.maximum() - bar.blank_slider.minimum()) >= 2
    bar.blank_value.setValue(67)
    assert bar.blank_slider.value() == 67 and bar.spec().blank_min == 0.67


def evaluation():
    from training.metrics import evaluate

    rng = np.random.default_rng(0)
    labels = ["blank", "red_fox", "badger"]
    truth = [labels[i % 3] for i in range(60)]
    probs = rng.dirichlet(np.ones(3), 60)
    for i, t in enumerate(truth):
        probs[i, labels.index(t)] += 0.5 if i % 4 else 0
    return evaluate(probs / probs.sum(axis=1, keepdims=True), labels, truth)


def test_the_confusion_matrix_shows_its_counts_and_no_axis_is_rescaled(qtbot):
    view = MetricsView(lambda k: k)
    qtbot.addWidget(view)
    ev = evaluation()
    view.show(ev)
    numbers = [int(t.toPlainText()) for t in view.cell_texts]
    assert len(numbers) == 9 and sum(numbers) == int(np.asarray(ev.confusion).sum()) == 60
    view.coverage_curve.setData([0.1, 0.2], [0.0001, 0.0009])
    axis = view.coverage_plot.getAxis("left")
    assert not axis.autoSIPrefix and "x0.0" not in axis.labelString()
    rows = view.table.rowCount()
    assert view.tabs.minimumHeight() >= rows * view.table.verticalHeader().defaultSectionSize()


def test_filmstrip_captions_follow_labels_after_the_catalog_is_reread(qtbot, window):
    win = window
    go_to(win, "A/IMG_0001.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=10000):
        trigger(win, Command.RESCAN)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    assert win.strip_model.snap is win.project.snapshot
    frame = win.strip_model.row_of_image(win.project.snapshot.ids[1])
    assert win.strip_model.data(win.strip_model.index(frame), win.strip_model.LabelRole) == "human"


def test_the_selection_counter_clears_when_the_filter_changes(qtbot, window):
    win = window
    select_rows(win, range(0, 4))
    assert win.status.selection.text().strip() == "4 selected"
    win.filter_bar.kind.setCurrentIndex(win.filter_bar.kind.findData("labeled"))
    assert win.status.selection.text() == ""


def test_a_zero_byte_file_is_listed_under_problems(
    qtbot, settings, tiny_model, burst_card, tmp_path
):
    write(burst_card / "B" / "IMG_1002.JPG", b"")
    write(burst_card / "B" / "IMG_1003.JPG", jpeg_bytes((120, 90), seed=7)[:300])
    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flows.predicted, timeout=60000):
        win.open_folder(str(burst_card), str(tmp_path / "c.sqlite"))
    win.filter_bar.kind.setCurrentIndex(win.filter_bar.kind.findData("problems"))
    shown = {win.grid_model.data(win.grid_model.index(r), win.grid_model.PathRole): win.grid_model.data(
        win.grid_model.index(r), win.grid_model.StatusRole) for r in range(win.grid_model.rowCount())}  # fmt: skip
    assert shown == {"B/IMG_1002.JPG": "empty", "B/IMG_1003.JPG": "corrupt"}
    assert "2 problem files" in win.status.counts.text()
    win.close()


def test_an_empty_start_says_how_to_begin_and_the_open_dialog_starts_at_home(qtbot, settings):
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    assert win.stack.currentWidget() is win.hint
    assert "Open a folder" in win.hint.findChild(type(win.hint.recent_title)).text()
    assert not win.actions_by_command[Command.EXPORT].isEnabled()
    win.hint.button.click()
    picker = dialog_of(qtbot, QFileDialog)
    assert picker.directory().absolutePath() == str(Path.home())
    picker.reject()
    win.close()
