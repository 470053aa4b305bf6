"""Jobs in a child process: the same generators, their store calls answered by this process,
their events, results, errors and cancel carried across."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from labeler.core.exchange_jobs import ExportFormat, ExportRequest, run_export
from labeler.core.generators import collect
from labeler.core.ingest import run_scan
from labeler.core.job_process import JobProcessError, run_in_child, target_name
from labeler.core.jobs import JobWarning, Progress
from labeler.core.store import Store
from labeler.core.worker_store import WorkerStore
from labeler.core.writer import CatalogWriter
from tests.ui.conftest import make_burst_card


@pytest.fixture
def scanned(tmp_path):
    card = make_burst_card(tmp_path / "card")
    db = tmp_path / "c.sqlite"
    with Store(db) as store:
        collect(run_scan(store, card))
    return card, db


def test_an_export_in_a_child_process_writes_what_it_writes_here(scanned, tmp_path):
    _card, db = scanned
    with Store(db) as store:
        events, report = collect(run_in_child(store, target_name(run_export),
                                              ExportRequest(ExportFormat.CSV, str(tmp_path / "a.csv"))))  # fmt: skip
        _, here = collect(
            run_export(store, ExportRequest(ExportFormat.CSV, str(tmp_path / "b.csv")))
        )
    assert report["rows"] == here["rows"] == 9
    assert events and all(isinstance(getattr(e, "done", None), int) for e in events)
    assert pd.read_csv(tmp_path / "a.csv").equals(pd.read_csv(tmp_path / "b.csv"))


def test_writes_of_a_child_job_go_through_the_one_writer(scanned, tmp_path):
    card, db = scanned
    write_card = make_burst_card(tmp_path / "card2")
    writer = CatalogWriter(str(tmp_path / "w.sqlite"))
    writer.wait_open(10)
    threads = set()
    try:
        with WorkerStore(writer.db_path, writer, on_write=lambda *a: threads.add(a[0])) as ws:
            _events, report = collect(run_in_child(ws, target_name(run_scan), str(write_card)))
    finally:
        writer.close(10)
    assert report.images == 9 and {"upsert_files", "replace_sequences", "end_scan"} <= threads


def failing_job(store, *, should_stop):
    yield JobWarning("one file was odd")
    raise ValueError(f"no such thing in {store.path.name}")


def stoppable_job(store, *, should_stop):
    n = 0
    while not should_stop():
        n += 1
        yield Progress(n)
    return n


def dying_job(store, *, should_stop):
    yield Progress(1)
    os.kill(os.getpid(), signal.SIGKILL)


def test_errors_warnings_and_a_stop_cross_to_the_parent(scanned):
    _card, db = scanned
    with Store(db) as store:
        events = []
        with pytest.raises(ValueError, match="no such thing in c.sqlite"):
            for e in run_in_child(store, target_name(failing_job)):
                events.append(e)
        assert events == [JobWarning("one file was odd")]
        seen = []
        gen = run_in_child(store, target_name(stoppable_job), should_stop=lambda: len(seen) >= 3)
        while True:
            try:
                seen.append(next(gen))
            except StopIteration as done:
                stopped_at = done.value
                break
        assert 3 <= stopped_at == len(seen) < 1000, "the job saw the stop and returned"
        with pytest.raises(JobProcessError, match="ended unexpectedly"):
            collect(run_in_child(store, target_name(dying_job)))
