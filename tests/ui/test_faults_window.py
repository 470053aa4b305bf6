"""Faults seen from the window: a full disk keeps a label visibly unsaved until it commits, and a
corrupt catalog is set aside with its newest backup offered and restored."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from labeler.core.store import Store


def test_a_label_that_cannot_be_written_stays_unsaved_and_is_retried(qtbot, window, monkeypatch):
    win = window
    store = win.controller.writer.store
    real_write = type(store).write
    disk = {"full": True}

    def write(self):
        if disk["full"]:
            # What SQLite raises when the disk fills during a commit (SQLITE_FULL).
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(self)

    monkeypatch.setattr(type(store), "write", write)
    win.set_current_row(0)
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: "NOT SAVED" in win.saved_label.text(), timeout=10000)
    assert "full" in win.saved_label.text()
    assert win.controller.writer.pending_labels == 1
    disk["full"] = False
    qtbot.waitUntil(lambda: win.saved_label.text() == "All changes saved", timeout=15000)
    with Store(win.controller.db_path, readonly=True) as s:
        assert any(
            o and o[0].species_key == "blank"
            for o in s.labels(s.image_ids_by_path().values()).values()
        )


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


def test_a_corrupt_catalog_offers_its_newest_backup_and_reopens(
    qtbot, window, burst_card, tmp_path
):
    win = window
    db = win.controller.db_path
    win.set_current_row(0)
    win.set_species("badger", advance=False)
    qtbot.waitUntil(lambda: win.controller.writer.pending_labels == 0, timeout=10000)
    with qtbot.waitSignal(win.controller.status_message, timeout=10000):
        win.controller.backup_now()
    win.controller.close()
    import os

    assert not os.path.exists(db + "-wal"), "a clean close leaves a self-contained catalog file"
    with open(db, "r+b") as f:
        f.write(b"garbage" * 200)
    asked = []
    win.confirm = lambda title, text: asked.append(text) or True
    with qtbot.waitSignal(win.controller.project_opened, timeout=20000):
        win.open_folder(str(burst_card), db)
    assert asked and "Restore the newest verified backup" in asked[0]
    qtbot.waitUntil(lambda: win.controller.reader is not None, timeout=10000)
    labels = win.controller.reader.labels(win.controller.reader.image_ids_by_path().values())
    assert any(o and o[0].species_key == "badger" for o in labels.values())
