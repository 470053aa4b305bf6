"""The window and a catalog another program holds: it waits and says who holds it, then opens;
a restore while the catalog is open elsewhere is refused with nothing changed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labeler.core.ingest import scan_to_end
from labeler.core.store import Store
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process locks are checked on POSIX")

LOCKER = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode=EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("SELECT count(*) FROM images").fetchone()
print("locked", flush=True)
sys.stdin.readline()
c.execute("COMMIT")
c.close()
"""

HOLDER = """
import sys
from labeler.core.store import Store
store = Store(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
store.close()
"""


@pytest.fixture
def helper():
    started = []

    def spawn(code: str, db) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        started.append(proc)
        return proc

    yield spawn
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture
def catalog(burst_card, tmp_path):
    db = tmp_path / "catalog.sqlite"
    with Store(db) as store:
        scan_to_end(store, burst_card)
        store.backup(reason="drill")
    return db


def test_the_window_waits_for_a_locked_catalog_says_who_holds_it_then_opens(
    qtbot, settings, tiny_model, burst_card, catalog, helper
):
    from labeler.ui.main_window import MainWindow

    locker = helper(LOCKER, catalog)
    assert locker.stdout.readline().strip() == "locked"
    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    jobs = win.project.jobs
    with qtbot.waitSignal(
        jobs.status, timeout=60000, check_params_cb=lambda m: "waiting" in m
    ) as told:
        win.open_folder(str(burst_card), str(catalog), auto_jobs=False)
    assert str(locker.pid) in told.args[0]
    assert win.project.reader is None
    with qtbot.waitSignal(win.project.project_opened, timeout=60000):
        locker.communicate("\n", timeout=60)
    qtbot.waitUntil(lambda: win.project.reader is not None, timeout=10000)
    assert not list(catalog.parent.glob("*unusable*"))
    win.close()


def test_a_restore_from_the_window_is_refused_while_another_process_has_the_catalog(
    qtbot, settings, tiny_model, burst_card, catalog, helper
):
    from labeler.core.jobs import JobKind
    from labeler.ui.commands import Command
    from labeler.ui.info_dialogs import RestoreDialog
    from labeler.ui.main_window import MainWindow
    from tests.ui.helpers import dialog_of, trigger

    win = MainWindow(settings, model=str(tiny_model))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=30000):
        win.open_folder(str(burst_card), str(catalog), auto_jobs=False)
    holder = helper(HOLDER, catalog)
    assert holder.stdout.readline().strip() == "ready"
    trigger(win, Command.RESTORE)
    dialog = dialog_of(qtbot, RestoreDialog)
    with qtbot.waitSignal(win.project.jobs.failed, timeout=60000,
                          check_params_cb=lambda k, m: k is JobKind.BACKUP) as refused:  # fmt: skip
        dialog.accept()
    assert str(holder.pid) in refused.args[1]
    assert catalog.exists() and not list(catalog.parent.glob("*before-restore*"))
    qtbot.waitUntil(lambda: win.project.reader is not None, timeout=20000)
    holder.communicate("\n", timeout=60)
    win.close()


def test_an_open_that_fails_at_once_is_always_reported_to_the_window(
    qtbot, tiny_model, burst_card, tmp_path
):
    from labeler.ui.project import ProjectController

    not_a_file = tmp_path / "a-folder"
    not_a_file.mkdir()
    controller = ProjectController()
    for _ in range(10):
        with qtbot.waitSignal(controller.open_failed, timeout=10000) as failed:
            controller.open(str(burst_card), str(not_a_file))
        assert "folder" in failed.args[0]
    controller.close()
    assert not_a_file.is_dir() and not list(tmp_path.glob("a-folder.*"))
