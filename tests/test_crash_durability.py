"""kill -9 at random moments while labeling, rescanning, writing predictions, checkpointing,
backing up and migrating: no acknowledged label is ever lost and the catalog stays intact."""

from __future__ import annotations

import pytest

from labeler.core.store import Store, list_backups
from labeler.core.store.migrations import MIGRATIONS
from tests.crash import MODES, prepare, run_iteration

ITERATIONS = 50


@pytest.fixture(scope="module")
def crash_project(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("crash"))


def test_no_acknowledged_label_is_lost_when_killed_fifty_times(crash_project):
    card, db = crash_project
    outcomes = [
        run_iteration(db, card, MODES[k % len(MODES)], seed=1000 + k) for k in range(ITERATIONS)
    ]
    assert sum(o.acknowledged for o in outcomes) > ITERATIONS, "the driver acknowledged labels"
    assert [o for o in outcomes if o.lost] == []
    assert {o.integrity for o in outcomes} == {"ok"}
    assert all(o.checkpoint_ok and o.backups_ok for o in outcomes)
    assert {o.mode for o in outcomes if o.acknowledged} == set(MODES)
    assert {o.restore for o in outcomes if o.mode == "restore"} == {"refused"}
    with Store(db) as store:
        names = [r[0] for r in store.query("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert set(names) == {m.name for m in MIGRATIONS._migrations}
    assert any("before-migration" in b.name for b in list_backups(db)) or any(
        "drill" in b.name for b in list_backups(db)
    )
