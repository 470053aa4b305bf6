"""The catalog file: pragmas, migrations, unusable files set aside, backups and restores."""

from __future__ import annotations

import sqlite3

import pytest

from labeler.core.store import (
    DatabaseUnusable,
    ReadOnlyStoreError,
    Store,
    list_backups,
    restore_backup,
)
from labeler.core.store.migrations import MIGRATIONS


def test_connection_runs_wal_full_sync_and_foreign_keys_when_opened(tmp_path):
    with Store(tmp_path / "c.sqlite") as s:
        assert s.journal_mode() == "wal"
        assert s.scalar("PRAGMA synchronous") == 2  # FULL
        assert s.scalar("PRAGMA foreign_keys") == 1
        assert s.scalar("PRAGMA busy_timeout") == 5000
        assert s.scalar("PRAGMA mmap_size") == 0


def test_all_migrations_are_recorded_when_a_catalog_is_created(tmp_path):
    with Store(tmp_path / "c.sqlite") as s:
        names = [r[0] for r in s.query("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == [m.name for m in MIGRATIONS._migrations]


def test_zero_byte_database_is_set_aside_not_overwritten_when_opened(tmp_path):
    db = tmp_path / "c.sqlite"
    Store(db).close()
    db.write_bytes(b"")
    with pytest.raises(DatabaseUnusable) as info:
        Store(db)
    assert info.value.set_aside is not None and info.value.set_aside.exists()
    assert not db.exists()
    assert "empty" in str(info.value)


def test_garbage_catalog_is_set_aside_with_its_bytes_kept_when_opened(tmp_path):
    db = tmp_path / "c.sqlite"
    Store(db).close()
    junk = b"this is not sqlite" * 100
    db.write_bytes(junk)
    with pytest.raises(DatabaseUnusable) as info:
        Store(db)
    assert info.value.set_aside.read_bytes() == junk


def test_backup_is_verified_and_restorable_when_the_catalog_is_lost(tmp_path):
    db = tmp_path / "c.sqlite"
    with Store(db) as s:
        s.set_meta("answer", 42)
        b = s.backup()
    assert b in list_backups(db)
    db.write_bytes(b"corrupted")
    with pytest.raises(DatabaseUnusable) as info:
        Store(db)
    assert info.value.backups == [b]
    restore_backup(b, db)
    with Store(db) as s:
        assert s.get_meta("answer") == 42
        assert s.integrity_check() == "ok"


def test_only_the_newest_backups_are_kept_when_many_are_made(tmp_path):
    with Store(tmp_path / "c.sqlite") as s:
        for _ in range(8):
            s.backup()
        assert len(list_backups(s.path)) == 5


def test_read_only_connection_refuses_writes_when_used_by_a_worker(tmp_path):
    db = tmp_path / "c.sqlite"
    Store(db).close()
    with Store(db, readonly=True) as r:
        with pytest.raises(ReadOnlyStoreError):
            r.set_meta("x", 1)
        with pytest.raises(sqlite3.OperationalError):
            r.conn.execute("INSERT INTO meta VALUES ('a', '1')")


def test_failed_transaction_leaves_nothing_behind_when_an_error_is_raised(tmp_path):
    with Store(tmp_path / "c.sqlite") as s:
        with pytest.raises(RuntimeError):
            with s.write() as c:
                c.execute("INSERT INTO meta VALUES ('k', '1')")
                raise RuntimeError("boom")
        assert s.get_meta("k") is None
