"""Background jobs on their own read-only connection, writing through the one writer: the same
generators as the command line, with the same results."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest

from labeler.core.generators import run_to_end
from labeler.core.ingest import run_scan
from labeler.core.store import Store
from labeler.core.worker_store import WRITE_METHODS, WorkerStore
from labeler.core.writer import CatalogWriter, WriterClosed
from tests.ui.conftest import make_burst_card

STORE = Path(__file__).resolve().parents[2] / "labeler" / "core" / "store"


@pytest.fixture
def writer(tmp_path):
    w = CatalogWriter(str(tmp_path / "c.sqlite"))
    w.wait_open(10)
    yield w
    w.close(10)


def test_a_scan_through_the_worker_store_matches_a_direct_scan(writer, tmp_path):
    card = make_burst_card(tmp_path / "card")
    threads = set()
    with WorkerStore(
        writer.db_path, writer, on_write=lambda *a: threads.add(threading.current_thread().name)
    ) as ws:
        report = run_to_end(run_scan(ws, card))
    with Store(tmp_path / "direct.sqlite") as direct:
        expected = run_to_end(run_scan(direct, card))
    assert report.status == expected.status and report.sequences == expected.sequences == 6
    with Store(writer.db_path, readonly=True) as s:
        assert len(s.image_ids_by_path()) == 9
    # The hook runs on the job's thread, after the writer thread committed.
    assert threads == {threading.current_thread().name}


def test_writes_run_on_the_writer_thread_and_reads_see_them_at_once(writer):
    seen = []

    def on_thread(store, key):
        seen.append(threading.current_thread().name)
        store.add_species(key, "Aardwolf")

    with WorkerStore(writer.db_path, writer) as ws:
        writer.call(on_thread, "aardwolf")
        assert seen == ["catalog-writer"]
        assert any(s.key == "aardwolf" for s in ws.species())
        ws.set_species_active("aardwolf", False)
        assert not any(s.key == "aardwolf" for s in ws.species(active_only=True))


def test_a_write_method_missing_from_the_list_is_still_sent_to_the_writer(writer, monkeypatch):
    import labeler.core.worker_store as mod

    monkeypatch.setattr(mod, "WRITE_METHODS", frozenset())
    with WorkerStore(writer.db_path, writer) as ws:
        ws.set_meta("observer", "ana")
        assert ws.get_meta("observer") == "ana"
        assert "set_meta" in ws._writes


def test_the_list_of_writing_methods_covers_every_store_method_that_writes():
    writing = set()
    for path in STORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for fn in node.body:
                    if isinstance(fn, ast.FunctionDef) and "self.write()" in ast.unparse(fn):
                        writing.add(fn.name)
    assert writing, "the store's writing methods were found"
    assert writing <= WRITE_METHODS, sorted(writing - WRITE_METHODS)


def test_a_job_writing_after_the_project_closed_gets_a_clear_error(tmp_path):
    w = CatalogWriter(str(tmp_path / "c.sqlite"))
    w.wait_open(10)
    w.close(10)
    with pytest.raises(WriterClosed, match="closed"):
        w.call(lambda store: store.set_meta("x", 1))


def test_callbacks_connected_before_start_hear_an_immediate_open_failure(tmp_path):
    db = tmp_path / "c.sqlite"
    db.write_bytes(b"garbage" * 200)
    heard = []
    w = CatalogWriter(str(db), start=False)
    w.on_open_failed = heard.append
    w.start()
    w._thread.join(10)
    assert len(heard) == 1 and "left untouched" in str(heard[0])
