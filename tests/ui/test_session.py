"""The session is remembered: recent folders (one of them too), the layout, the filter and
threshold, where the user was, the last folder, and the head in use."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog

from labeler.ui.commands import Command
from labeler.ui.main_window import MainWindow
from tests.ui.helpers import dialog_of, go_to, label_two_classes, reopen, trigger


def test_a_single_recent_folder_is_listed_as_one_folder(qtbot, tmp_path, tiny_model, burst_card):
    from PySide6.QtCore import QSettings

    # What the settings file holds after a session that opened one folder (QSettings writes a
    # one-element list as a plain value, and a new process reads it back as a string).
    ini = tmp_path / "after-restart.ini"
    ini.write_text(f"[General]\nrecent={burst_card}\nlast_folder={burst_card}\n")
    later = QSettings(str(ini), QSettings.Format.IniFormat)
    assert isinstance(later.value("recent"), str)
    win = MainWindow(later, model=str(tiny_model))
    qtbot.addWidget(win)
    texts = [a.text() for a in win.actions.recent_menu.actions()]
    assert texts == [str(burst_card)], texts
    shown = [win.hint.recent.item(i).text() for i in range(win.hint.recent.count())]
    assert shown == [str(burst_card)]
    win.close()


def test_position_filter_threshold_layout_and_size_come_back_after_a_restart(
    qtbot, window, settings, tiny_model
):
    win = window
    bar = win.filter_bar
    go_to(win, "A/IMG_012.JPG", qtbot)
    bar.blank_slider.setValue(35)
    bar.order.setCurrentIndex(bar.order.findData("path"))
    bar.kind.setCurrentIndex(bar.kind.findData("unlabeled"))
    assert win.nav.current_image() == _id(win, "A/IMG_012.JPG")
    win.resize(760, 560)
    win.split.setSizes([300, 500])
    sizes = win.split.sizes()
    win.close()
    again = reopen(qtbot, settings, tiny_model)
    assert again.filter_bar.kind.currentData() == "unlabeled"
    assert again.filter_bar.blank_slider.value() == 35
    assert again.filter_bar.order.currentData() == "path"
    assert again.size() == win.size() and again.height() == 560
    assert again.split.sizes() == sizes
    qtbot.waitUntil(lambda: again.nav.current_image() == _id(again, "A/IMG_012.JPG"), timeout=10000)
    trigger(again, Command.OPEN)
    picker = dialog_of(qtbot, QFileDialog)
    assert picker.directory().absolutePath() == str(_root(again))
    picker.reject()
    again.close()


def test_the_learning_tab_names_the_head_in_use_after_a_restart(
    qtbot, window, settings, tiny_model
):
    from labeler.core.learning import install_head, retrain_head
    from labeler.core.store import Store

    win = window
    win.learning_panel.every.setValue(0)
    label_two_classes(qtbot, win)
    db = win.project.db_path
    win.close()
    # A head in use, whatever the keep rule made of these few labels.
    with Store(db) as store:
        outcome = retrain_head(store)
        outcome.accepted = True
        install_head(store, outcome)
        version = store.active_model()["version"]
    again = reopen(qtbot, settings, tiny_model)
    text = again.learning_panel.status.text()
    assert "No head yet" not in text and "now in use" in text and "Head on 9" in text
    assert version in text
    again.close()


def _id(win, path: str) -> int:
    snap = win.project.snapshot
    return next(int(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p == path)


def _root(win):
    from pathlib import Path

    return Path(win.project.root).parent
