"""Everything at once against one catalog: no "database is locked", fast label commits, and no
restore ever moves the catalog from under the writer."""

from __future__ import annotations

from labeler.core.ingest import scan_to_end
from labeler.core.species import ensure_default_species
from labeler.core.store import Store
from tests.gen import build_burst_tree
from tests.soak import run_soak


def test_concurrent_work_never_locks_the_database_and_labels_commit_fast(tmp_path):
    card = tmp_path / "card"
    build_burst_tree(card, 300, cameras=3, size=(48, 36))
    db = tmp_path / "soak.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
        ensure_default_species(store)
    report = run_soak(db, card, seconds=8)
    assert report.locked == 0, report.errors[:5]
    assert report.errors == []
    assert report.labels > 50 and report.prediction_batches > 20
    assert report.retrains > 2 and report.backups > 2 and report.exports > 2 and report.rescans >= 2
    assert report.label_p95_ms < 50, report
    assert report.restores_attempted >= 2
    assert report.restores_refused == report.restores_attempted and report.labels_outside == 0
    assert report.card_pulls >= 2 and report.marked_missing == 0
    with Store(db) as store:
        assert store.integrity_check() == "ok"
