"""The window and a catalog another program holds: it waits and says who holds it, then opens;
a restore while the catalog is open elsewhere is refused with nothing changed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labeler.core.ingest import scan_to_end
from labeler.core.store import CatalogLocked, Store, list_backups
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
    from labeler.ui.controller import ProjectController
    from labeler.ui.main_window import MainWindow

    locker = helper(LOCKER, catalog)
    assert locker.stdout.readline().strip() == "locked"
    controller = ProjectController(model=str(tiny_model), author="tester")
    win = MainWindow(settings, controller)
    qtbot.addWidget(win)
    with qtbot.waitSignal(
        controller.status_message, timeout=60000, check_params_cb=lambda m: "waiting" in m
    ) as told:
        win.open_folder(str(burst_card), str(catalog), auto_jobs=False)
    assert str(locker.pid) in told.args[0]
    assert controller.reader is None
    with qtbot.waitSignal(controller.project_opened, timeout=60000):
        locker.communicate("\n", timeout=60)
    qtbot.waitUntil(lambda: controller.reader is not None, timeout=10000)
    assert not list(catalog.parent.glob("*unusable*"))
    win.close()


def test_a_restore_from_the_window_is_refused_while_another_process_has_the_catalog(
    qtbot, tiny_model, burst_card, catalog, helper
):
    from labeler.ui.controller import ProjectController

    holder = helper(HOLDER, catalog)
    assert holder.stdout.readline().strip() == "ready"
    controller = ProjectController(model=str(tiny_model), author="tester")
    controller.root, controller.db_path = str(burst_card), str(catalog)
    backup = list_backups(catalog)[0]
    with pytest.raises(CatalogLocked, match=str(holder.pid)):
        controller.restore_and_reopen(str(backup))
    assert catalog.exists() and not list(catalog.parent.glob("*before-restore*"))
    holder.communicate("\n", timeout=60)
    controller.close()


def test_an_open_that_fails_at_once_is_always_reported_to_the_window(
    qtbot, tiny_model, burst_card, tmp_path
):
    from labeler.ui.controller import ProjectController

    not_a_file = tmp_path / "a-folder"
    not_a_file.mkdir()
    controller = ProjectController(model=str(tiny_model), author="tester")
    for _ in range(10):
        with qtbot.waitSignal(controller.open_failed, timeout=10000) as failed:
            controller.open(str(burst_card), str(not_a_file), auto_jobs=False)
        assert "folder" in failed.args[0]
    controller.close()
    assert not_a_file.is_dir() and not list(tmp_path.glob("a-folder.*"))
