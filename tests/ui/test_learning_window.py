"""Learning from the window: automatic retrain after confirmations, fine-tuning with progress and
cancel while the window stays responsive, auto-accept with one-step undo, review mode."""

from __future__ import annotations

import time

from PySide6.QtCore import QItemSelectionModel, QTimer

from labeler.core.store import Store


def _select(win, rows) -> None:
    sel = win.grid.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(win.grid_model.index(r), QItemSelectionModel.SelectionFlag.Select)


def _label_two_classes(qtbot, win) -> None:
    _select(win, range(0, 5))
    win.set_species("blank")
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    _select(win, range(5, 9))
    win.set_species("red_fox")
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)


def test_the_head_retrains_by_itself_after_enough_confirmations(qtbot, window):
    win = window
    win.learning.retrain_every = 9
    with qtbot.waitSignal(win.learning.head_updated, timeout=60000) as blocker:
        _label_two_classes(qtbot, win)
    summary = blocker.args[0]
    assert summary["labels"] == 9 and summary["classes"] == ["blank", "red_fox"]
    if summary["accepted"]:
        qtbot.waitUntil(
            lambda: win.controller.reader.active_model()["kind"] == "head", timeout=20000
        )
    assert "Head on 9 confirmed labels" in win.learning_panel.status.text()


def test_fine_tuning_reports_progress_can_be_cancelled_and_keeps_the_window_responsive(
    qtbot, window
):
    win = window
    win.learning.retrain_every = 0
    _label_two_classes(qtbot, win)
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
        win.learning_panel.cancel.click()
    timer.stop()
    info = blocker.args[0]
    assert info.get("cancelled") or info.get("error") is None
    assert progress and progress[0].epoch == 1
    assert "cancelled" in win.learning_panel.train_status.text()
    assert max(ticks) < 0.5, "the event loop kept running while training"
    assert win.learning_panel.start.isEnabled()


def test_auto_accept_labels_as_machine_and_undoes_in_one_step(qtbot, window):
    win = window
    win.learning.retrain_every = 0
    _label_two_classes(qtbot, win)
    with qtbot.waitSignal(win.learning.head_updated, timeout=60000):
        win.learning.retrain()
    with qtbot.waitSignal(win.learning.auto_accept_ready, timeout=30000) as blocker:
        win.learning_panel.target.setValue(50.0)
        win.learning.preview_auto_accept(0.5)
    decisions, summary = blocker.args
    if not decisions:
        assert "accepted" in summary or "reason" in summary
        return
    win._on_learning_auto_accept_ready(decisions, summary)
    win._on_learning_accept_requested()
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    with Store(win.controller.db_path, readonly=True) as s:
        methods = {o[0].classification_method for o in s.labels(list(decisions)).values() if o}
    assert methods == {"machine"}
    win.controller.undo()
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    with Store(win.controller.db_path, readonly=True) as s:
        assert all(not o for o in s.labels(list(decisions)).values())


def test_review_mode_shows_unlabeled_images_most_useful_first(qtbot, window):
    win = window
    win.learning.retrain_every = 0
    _label_two_classes(qtbot, win)
    with qtbot.waitSignal(win.learning.review_ready, timeout=30000):
        win.set_review_mode(True)
    qtbot.waitUntil(
        lambda: win.grid_model.rowCount() == 0 or win.spec.order == "review", timeout=5000
    )
    assert win.spec.kind == "unlabeled" and win.spec.order == "review"
