"""Faults seen from the window: a full disk keeps a label visibly unsaved until it commits, and a
corrupt catalog is set aside with its newest backup offered and restored."""

from __future__ import annotations

import os
import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from labeler.core.jobs import JobKind
from labeler.core.store import Store
from labeler.ui.commands import Command
from tests.ui.helpers import dialog_of, go_to, labels, trigger, wait_saved


def test_a_label_that_cannot_be_written_stays_unsaved_and_is_retried(qtbot, window, monkeypatch):
    win = window
    store = win.project.writer.store
    real_write = type(store).write
    disk = {"full": True}

    def write(self):
        if disk["full"]:
            # What SQLite raises when the disk fills during a commit (SQLITE_FULL).
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(self)

    monkeypatch.setattr(type(store), "write", write)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: "NOT SAVED" in win.status.saved.text(), timeout=10000)
    assert "full" in win.status.saved.text()
    assert win.project.writer.pending_labels == 1
    disk["full"] = False
    qtbot.waitUntil(lambda: win.status.saved.text() == "All changes saved", timeout=15000)
    assert labels(win)["IMG_0000.JPG"] == ["blank"]


def test_sqlite_reports_a_full_database_as_an_operational_error(tmp_path):
    from labeler.core.labeling import LabelSession
    from labeler.core.media import FileRecord

    with Store(tmp_path / "c.sqlite") as s:
        s.upsert_files([FileRecord(f"a{i}.jpg", 1, 1, "ok") for i in range(50)])
        s.conn.execute(f"PRAGMA max_page_count={s.scalar('PRAGMA page_count')}")
        try:
            LabelSession(s).set_species(list(range(1, 51)), "blank")
        except sqlite3.OperationalError as exc:
            assert "full" in str(exc)
        else:
            raise AssertionError("a capped database accepted a bulk label")
        s.conn.execute("PRAGMA max_page_count=1073741823")
        assert s.labels([1])[1] == [] and s.integrity_check() == "ok"


def test_a_corrupt_catalog_offers_its_newest_backup_and_reopens(qtbot, window, burst_card):
    win = window
    db = win.project.db_path
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_V)
    wait_saved(qtbot, win)
    with qtbot.waitSignal(win.project.jobs.finished, timeout=20000,
                          check_params_cb=lambda k, m: k is JobKind.BACKUP):  # fmt: skip
        trigger(win, Command.BACKUP)
    win.project.close()
    assert not os.path.exists(db + "-wal"), "a clean close leaves a self-contained catalog file"
    with open(db, "r+b") as f:
        f.write(b"garbage" * 200)
    # Each step waits on the event it needs: the refusal, the question, the reopened catalog.
    with qtbot.waitSignal(win.project.open_failed, timeout=20000):
        win.open_folder(str(burst_card), db)
    box = dialog_of(qtbot, QMessageBox)
    assert "Restore the newest verified backup" in box.text()
    with qtbot.waitSignal(win.project.project_opened, timeout=20000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert labels(win)["IMG_0000.JPG"] == ["vehicle"]


def test_the_window_hears_a_catalog_that_fails_at_once(
    qtbot, settings, tiny_model, burst_card, tmp_path, monkeypatch
):
    """The writer may fail to open before the window has connected to it: it must still hear."""
    import labeler.ui.dbwriter as dbwriter
    from labeler.ui.main_window import MainWindow

    real = dbwriter.CatalogWriter

    class Instant(real):
        def start(self):
            # The open (and its failure) completes before start() returns.
            super().start()
            self._thread.join(10)

    monkeypatch.setattr(dbwriter, "CatalogWriter", Instant)
    db = tmp_path / "bad.sqlite"
    db.write_bytes(b"garbage" * 200)
    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.project.open_failed, timeout=5000):
        win.open_folder(str(burst_card), str(db))
    box = dialog_of(qtbot, QMessageBox)
    assert "not a catalog" in box.text() and "left untouched" in box.text()
    box.close()
    win.close()
