"""Learning from the window: automatic retrain after confirmations (corrections included),
fine-tuning with progress and cancel while the window stays responsive, auto-accept with
one-step undo, review mode."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer

from labeler.ui.commands import Command
from tests.ui.helpers import go_to, label_two_classes, trigger, wait_saved


def test_the_head_retrains_by_itself_after_enough_confirmations(qtbot, window):
    win = window
    win.learning_panel.every.setValue(9)
    with qtbot.waitSignal(win.learning.head_updated, timeout=60000) as blocker:
        label_two_classes(qtbot, win)
    summary = blocker.args[0]
    assert summary["labels"] == 9 and summary["classes"] == ["blank", "red_fox"]
    assert "Head on 9 confirmed labels" in win.learning_panel.status.text()


def test_fine_tuning_reports_progress_can_be_cancelled_and_keeps_the_window_responsive(
    qtbot, window
):
    win = window
    win.learning_panel.every.setValue(0)
    label_two_classes(qtbot, win)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        ticks.append(now - last[0])
        last[0] = now

    timer.timeout.connect(beat)
    timer.start()
    progress = []
    win.learning.training_progress.connect(progress.append)
    with qtbot.waitSignal(win.learning.training_finished, timeout=120000) as blocker:
        win.learning_panel.epochs.setValue(3)
        win.learning_panel.start.click()
        qtbot.waitUntil(lambda: len(progress) >= 2, timeout=60000)
        assert win.learning_panel.cancel.isEnabled()
        assert "Fine-tuning" in win.status.progress_label.text()
        win.learning_panel.cancel.click()
    timer.stop()
    info = blocker.args[0]
    assert info.get("cancelled") or info.get("error") is None
    assert progress and progress[0].epoch == 1
    assert "cancelled" in win.learning_panel.train_status.text()
    assert max(ticks) < 0.5, "the event loop kept running while training"
    assert win.learning_panel.start.isEnabled()


def test_review_mode_shows_unlabeled_images_most_useful_first(qtbot, window):
    win = window
    win.learning_panel.every.setValue(0)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    wait_saved(qtbot, win)
    with qtbot.waitSignal(win.learning.review_ready, timeout=30000):
        qtbot.keyClick(win.grid, Qt.Key.Key_R)
    assert win.view.spec.kind == "unlabeled" and win.view.spec.order == "review"
    assert win.grid_model.rowCount() == 8
    assert win.actions_by_command[Command.REVIEW_MODE].isChecked()
    assert win.learning_panel.review.isChecked()
    trigger(win, Command.REVIEW_MODE)
    assert win.view.spec.order == "time"
