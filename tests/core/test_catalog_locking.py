"""One lock-aware way to open, create, migrate and restore a catalog, checked with real processes:
locked is not corrupt, a catalog open elsewhere is never moved, parallel first opens do not fight,
and ``--db`` never renames what is not a catalog of ours."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from labeler.cli import main
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.species import ensure_default_species
from labeler.core.store import CatalogLocked, Store, StoreError, list_backups
from labeler.core.store.migrations import MIGRATIONS
from tests.conftest import ROOT
from tests.gen import build_burst_tree

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process locks are checked on POSIX")

HOLDER = """
import sys
from labeler.core.labeling import LabelSession
from labeler.core.store import Store
store = Store(sys.argv[1])
session = LabelSession(store, author="holder")
ids = sorted(store.image_ids_by_path().values())
session.set_species([ids[0]], "badger")
print("A", ids[0], "badger", flush=True)
print("ready", flush=True)
sys.stdin.readline()
for i in ids[1:6]:
    session.set_species([i], "red_fox")
    print("A", i, "red_fox", flush=True)
store.close()
print("done", flush=True)
"""

FOREIGN_READER = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("SELECT count(*) FROM images").fetchone()
print("ready", flush=True)
sys.stdin.readline()
"""

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

OPENER = """
import os, sys
from labeler.core.store import Store
sys.stdin.readline()
with Store(sys.argv[1]) as s:
    s.set_meta(f"opened-by-{os.getpid()}", 1)
print("ok", flush=True)
"""


_STARTED: list[subprocess.Popen] = []


def _spawn(code: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    _STARTED.append(proc)
    return proc


@pytest.fixture(autouse=True)
def _end_helpers():
    """Helper processes a failed test leaves behind are ended, each by its own handle."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate("\n", timeout=120)
    assert proc.returncode == 0, err[-2000:]
    return out


@pytest.fixture
def project(tmp_path):
    card = tmp_path / "card"
    build_burst_tree(card, 12, cameras=1, size=(48, 36))
    db = tmp_path / "proj.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
        ensure_default_species(store)
        store.backup(reason="drill")
    return card, db


def _acknowledged(out: str) -> dict[int, str]:
    acks = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "A":
            acks[int(parts[1])] = parts[2]
    return acks


def test_restore_while_another_process_writes_is_refused_and_no_label_leaves(project, capsys):
    card, db = project
    holder = _spawn(HOLDER, db)
    assert holder.stdout.readline().startswith("A")
    assert holder.stdout.readline().strip() == "ready"
    with pytest.raises(SystemExit) as info:
        main(["restore", str(card), "--db", str(db)])
    message = str(info.value)
    assert "in use" in message and str(holder.pid) in message and "\n" not in message
    acks = _acknowledged(_finish(holder)) | {1: "badger"}
    assert len(acks) == 6
    with Store(db, readonly=True) as store:
        labels = store.labels(list(acks))
    assert {i: labels[i][0].species_key for i in acks} == acks
    assert not list(db.parent.glob("*before-restore*"))


def test_restore_is_refused_while_another_program_reads_the_catalog(project):
    card, db = project
    reader = _spawn(FOREIGN_READER, db)
    assert reader.stdout.readline().strip() == "ready"
    with pytest.raises(SystemExit) as info:
        main(["restore", str(card), "--db", str(db)])
    assert "in use" in str(info.value) and str(reader.pid) in str(info.value)
    _finish(reader)
    assert db.exists() and not list(db.parent.glob("*before-restore*"))


def test_restore_takes_the_catalog_back_when_nobody_holds_it(project, capsys):
    card, db = project
    with Store(db) as store:
        image = sorted(store.image_ids_by_path().values())[0]
        LabelSession(store).set_species([image], "badger")
    assert main(["restore", str(card), "--db", str(db), "--json"]) == 0
    with Store(db, readonly=True) as store:
        assert store.labels([image])[image] == []
    [aside] = db.parent.glob("proj.sqlite.before-restore-*")
    with Store(aside, readonly=True) as store:
        assert store.labels([image])[image][0].species_key == "badger"


def test_a_catalog_locked_for_a_moment_is_waited_for_and_never_set_aside(project):
    _card, db = project
    locker = _spawn(LOCKER, db)
    assert locker.stdout.readline().strip() == "locked"
    waiting = threading.Event()
    opened: list = []

    def open_it() -> None:
        try:
            opened.append(Store(db, on_wait=lambda _msg: waiting.set()))
        except BaseException as exc:  # reported by the assertions below
            opened.append(exc)
            waiting.set()

    t = threading.Thread(target=open_it)
    t.start()
    assert waiting.wait(60)
    assert not opened, "the open waits while the lock is held"
    _finish(locker)
    t.join(60)
    [store] = opened
    assert isinstance(store, Store)
    store.close()
    assert not list(db.parent.glob("*unusable*"))


def test_a_catalog_locked_longer_than_the_wait_is_reported_with_its_holder(project):
    _card, db = project
    locker = _spawn(LOCKER, db)
    assert locker.stdout.readline().strip() == "locked"
    try:
        with pytest.raises(CatalogLocked) as info:
            Store(db, wait_s=0.3)
    finally:
        _finish(locker)
    assert str(locker.pid) in str(info.value)
    assert "corrupt" not in str(info.value) and not list(db.parent.glob("*unusable*"))
    with Store(db) as store:
        assert store.integrity_check() == "ok"


@pytest.mark.parametrize("outdated", [False, True])
def test_parallel_first_opens_of_one_catalog_all_succeed(tmp_path, outdated):
    for round_ in range(3):
        db = tmp_path / f"new-{round_}.sqlite"
        if outdated:
            from tests.crash import downgrade_schema

            Store(db).close()
            downgrade_schema(db)
        procs = [_spawn(OPENER, db) for _ in range(8)]
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0] * 8, [e[-500:] for _, e in outs]
        assert not list(tmp_path.glob("*unusable*"))
        with Store(db) as store:
            names = [r[0] for r in store.query("SELECT name FROM _sqlite_migrations")]
            assert sorted(names) == sorted(m.name for m in MIGRATIONS._migrations)
            assert len(store.query("SELECT key FROM meta WHERE key LIKE 'opened-by-%'")) == 8
        if outdated:
            assert len([b for b in list_backups(db) if "before-migration" in b.name]) == 1


def _cli_scan(card: Path, db: Path) -> str:
    with pytest.raises(SystemExit) as info:
        main(["scan", str(card), "--db", str(db)])
    assert info.value.code not in (0, None)
    return str(info.value)


def test_db_pointing_at_a_csv_is_refused_and_never_renamed(project):
    card, _db = project
    csv = card.parent / "labels.csv"
    csv.write_text("path,species\nA/x.jpg,badger\n")
    before = sorted(p.name for p in card.parent.iterdir())
    message = _cli_scan(card, csv)
    assert "not a catalog" in message and "\n" not in message
    assert csv.read_text() == "path,species\nA/x.jpg,badger\n"
    assert sorted(p.name for p in card.parent.iterdir()) == before


def test_db_pointing_at_a_folder_is_refused_and_left_alone(project):
    card, _db = project
    folder = card.parent / "somewhere"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    assert "folder" in _cli_scan(card, folder)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert not list(card.parent.glob("somewhere.*"))


def test_db_pointing_at_another_programs_sqlite_file_is_refused_untouched(project):
    card, _db = project
    other = card.parent / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    assert "another program" in _cli_scan(card, other)
    assert other.read_bytes() == before
    assert not list(card.parent.glob("other.sqlite?*"))


def test_restore_from_a_missing_backup_is_one_line_and_changes_nothing(project):
    card, db = project
    with Store(db) as store:
        image = sorted(store.image_ids_by_path().values())[0]
        LabelSession(store).set_species([image], "badger")
    before = sorted(p.name for p in db.parent.iterdir())
    with pytest.raises(SystemExit) as info:
        main(["restore", str(card), "--db", str(db), "--from", str(db.parent / "missing.db")])
    assert "missing.db" in str(info.value) and "\n" not in str(info.value)
    assert sorted(p.name for p in db.parent.iterdir()) == before
    with Store(db) as store:
        assert store.labels([image])[image][0].species_key == "badger"


def test_restore_checks_the_backup_before_touching_the_live_catalog(project):
    card, db = project
    bad = db.parent / "bad-backup.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x01" * 5000)
    before = db.read_bytes()
    with pytest.raises(SystemExit) as info:
        main(["restore", str(card), "--db", str(db), "--from", str(bad)])
    assert "not touched" in str(info.value)
    assert db.read_bytes() == before and not list(db.parent.glob("*before-restore*"))


def test_restore_refuses_a_backup_of_another_program(project):
    card, db = project
    other = db.parent / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(SystemExit) as info:
        main(["restore", str(card), "--db", str(db), "--from", str(other)])
    assert "not a catalog" in str(info.value)


def test_a_store_error_is_raised_not_a_set_aside_when_the_catalog_is_a_folder(tmp_path):
    with pytest.raises(StoreError, match="folder"):
        Store(tmp_path)
    assert tmp_path.is_dir()


def test_db_pointing_at_a_damaged_sqlite_file_this_app_never_used_is_refused_untouched(project):
    card, _db = project
    other = card.parent / "damaged.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with open(other, "r+b") as f:
        f.seek(100)  # the schema on page 1, right after SQLite's header
        f.write(b"\xa5" * 3000)
    before = other.read_bytes()
    assert "not a catalog" in _cli_scan(card, other)
    assert other.read_bytes() == before
    assert not list(card.parent.glob("damaged.sqlite?*"))
