"""Backups belong to one catalog file: catalogs that share a stem never share, restore or prune each
other's backups, and what a killed backup leaves behind is cleaned up safely."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from labeler.cli import main
from labeler.core.store import Store, list_backups
from labeler.core.store.backups import backup_dir_for, partial_name
from tests.conftest import ROOT
from tests.gen import build_burst_tree


def test_catalogs_sharing_a_stem_never_share_backups_when_restored(tmp_path, capsys):
    card = tmp_path / "card"
    build_burst_tree(card, 4, cameras=1, size=(32, 24))
    a, b = tmp_path / "proj.sqlite", tmp_path / "proj.db"
    for db, value in ((a, "sqlite"), (b, "db")):
        with Store(db) as store:
            store.set_meta("which", value)
            store.backup(reason="manual")
    assert backup_dir_for(a) != backup_dir_for(b)
    assert set(list_backups(a)).isdisjoint(list_backups(b))
    with Store(b) as store:
        store.set_meta("which", "changed")
    assert main(["restore", str(card), "--db", str(b)]) == 0
    with Store(b, readonly=True) as store:
        assert store.get_meta("which") == "db"
    with Store(a, readonly=True) as store:
        assert store.get_meta("which") == "sqlite"


def test_pruning_keeps_the_other_catalogs_backups_when_many_are_made(tmp_path):
    a, b = tmp_path / "proj.sqlite", tmp_path / "proj.db"
    with Store(b) as store:
        kept = [store.backup(reason="manual") for _ in range(2)]
    with Store(a) as store:
        for _ in range(8):
            store.backup(reason="auto")
    assert len(list_backups(a)) == 5
    assert all(p.exists() for p in kept) and list_backups(b) == sorted(kept, reverse=True)


def test_backups_in_the_old_shared_folder_are_offered_only_when_they_cannot_be_anothers(tmp_path):
    a = tmp_path / "proj.sqlite"
    with Store(a) as store:
        made = store.backup(reason="manual")
    legacy = tmp_path / "backups" / "proj"
    legacy.mkdir(parents=True)
    old = legacy / "20200101-000000-000000-auto.sqlite"
    os.replace(made, old)
    assert list_backups(a) == [old]
    with Store(tmp_path / "proj.db"):
        pass
    assert list_backups(a) == []
    assert old.exists(), "a backup that may be another catalog's is never deleted"


def test_a_catalog_without_a_suffix_never_takes_the_old_folder_of_its_namesake(tmp_path):
    legacy = tmp_path / "backups" / "proj"
    legacy.mkdir(parents=True)
    with Store(tmp_path / "proj.sqlite") as store:
        os.replace(store.backup(reason="manual"), legacy / "20200101-000000-000000-auto.sqlite")
    with Store(tmp_path / "proj") as store:
        for _ in range(7):
            store.backup(reason="auto")
    assert len(list_backups(tmp_path / "proj")) == 5
    assert (legacy / "20200101-000000-000000-auto.sqlite").exists()
    assert list_backups(tmp_path / "proj.sqlite") == []


def test_a_partial_left_by_a_killed_backup_is_removed_by_the_next_backup(tmp_path):
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        store.backup(reason="manual")
    folder = backup_dir_for(db)
    # A process that started a backup and died: its partial copy names its (now dead) pid.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    orphan = folder / partial_name("20240101-000000-000000-auto.sqlite", int(dead.stdout))
    orphan.write_bytes(b"\x00" * 4096)
    old_style = folder / "20240101-000000-000001-auto.sqlite.partial"
    old_style.write_bytes(b"\x00" * 4096)
    hour_ago = time.time() - 3600
    os.utime(old_style, (hour_ago, hour_ago))
    live = folder / partial_name("20240101-000000-000002-auto.sqlite", os.getpid())
    live.write_bytes(b"\x00" * 4096)
    with Store(db) as store:
        store.backup(reason="manual")
    assert not orphan.exists() and not old_style.exists()
    assert live.exists(), "a partial that a living process may still write is kept"
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial") and p != live]


def test_a_backup_killed_in_the_middle_leaves_nothing_after_the_next_one(tmp_path):
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        store.set_meta("blob", "x" * 2_000_000)
    code = (
        "import sys, signal, os\n"
        "from labeler.core.store import Store\n"
        "from labeler.core.store import backups\n"
        "def die(path):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "backups.verify_copy = die\n"
        "Store(sys.argv[1]).backup(reason='killed')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT, capture_output=True)
    assert proc.returncode == -9
    partials = list(backup_dir_for(db).glob("*.partial"))
    assert len(partials) == 1 and partials[0].stat().st_size > 1_000_000
    with Store(db) as store:
        store.backup(reason="manual")
    assert not list(backup_dir_for(db).glob("*.partial"))
