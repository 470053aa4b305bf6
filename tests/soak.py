"""Concurrency soak: labeling, prediction writes, head retraining, backups, rescans, exports,
restore attempts and the card pulled out now and then, at once, through the app's one writer;
counts "database is locked", label commit latency, confirmed labels that are not in the working
catalog at the end, and images wrongly marked missing."""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labeler.core.exchange.csv_io import export_csv
from labeler.core.ingest import commit_batch, finalize_scan
from labeler.core.labeling import LabelSession
from labeler.core.learning import retrain_head
from labeler.core.scan import ScanBatch, iter_scan
from labeler.core.store import (
    CatalogLocked,
    PredictionRow,
    Store,
    list_backups,
    restore_catalog,
)
from labeler.core.writer import CatalogWriter

SPECIES = ("red_fox", "blank", "roe_deer", "wild_boar")


@dataclass
class SoakReport:
    """Figures of a soak run."""

    seconds: float
    labels: int = 0
    label_p95_ms: float = 0.0
    label_max_ms: float = 0.0
    prediction_batches: int = 0
    retrains: int = 0
    backups: int = 0
    rescans: int = 0
    exports: int = 0
    locked: int = 0
    restores_attempted: int = 0
    restores_refused: int = 0
    labels_outside: int = 0
    card_pulls: int = 0
    marked_missing: int = 0
    errors: list[str] = field(default_factory=list)


def run_soak(db: Path, card: Path, seconds: float) -> SoakReport:
    """Run every kind of catalog work at once for ``seconds``."""
    report = SoakReport(seconds)
    stop = threading.Event()
    latencies: list[float] = []
    lock = threading.Lock()

    def problem(where: str, exc: BaseException) -> None:
        with lock:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                report.locked += 1
            report.errors.append(f"{where}: {type(exc).__name__}: {exc}")

    writer = CatalogWriter(str(db), on_failed=lambda job, exc, tb: problem(job.kind, exc))
    store = writer.wait_open(30)
    session = LabelSession(store, author="soak")
    ids = sorted(store.image_ids_by_path().values())
    model = store.register_model(
        "soak-model", "m", "pretrained", {"labels": list(SPECIES) + ["other"]}
    )
    store.set_active_model(model)

    confirmed: dict[int, str] = {}

    def labeler() -> None:
        rng = random.Random(1)
        while not stop.is_set():
            done = threading.Event()
            t0 = time.perf_counter()
            image_id, species = rng.choice(ids), rng.choice(SPECIES)

            def job(s, image_id=image_id, species=species, t0=t0, done=done):
                record = session.set_species([image_id], species)
                latencies.append(time.perf_counter() - t0)
                confirmed[image_id] = species
                done.set()
                return record

            writer.submit(job, kind="label", retry=True)
            done.wait(10)
            time.sleep(0.02)

    def predictor() -> None:
        rng = np.random.default_rng(2)
        while not stop.is_set():
            batch = [int(i) for i in rng.choice(ids, 32, replace=False)]
            rows = [PredictionRow(i, topk=[(s, 0.25) for s in SPECIES], probs=rng.dirichlet(np.ones(5)).astype(np.float32),
                                  embedding=rng.normal(size=1280).astype(np.float32), blank_prob=0.3) for i in batch]  # fmt: skip
            writer.submit(lambda s, rows=rows: s.write_predictions(model, rows))
            with lock:
                report.prediction_batches += 1
            time.sleep(0.05)

    def reader(name: str, fn, pause: float) -> None:
        while not stop.is_set():
            try:
                with Store(db, readonly=True) as ro:
                    fn(ro)
                with lock:
                    setattr(report, name, getattr(report, name) + 1)
            except Exception as exc:
                problem(name, exc)
            time.sleep(pause)

    def export(ro: Store) -> None:
        out = Path(tempfile.gettempdir()) / f"soak-{os.getpid()}.csv"
        for _ in export_csv(ro, out):
            pass
        out.unlink(missing_ok=True)

    def rescanner() -> None:
        rng = random.Random(3)
        files = sorted(card.rglob("*.JPG"))
        while not stop.is_set():
            try:
                for p in rng.sample(files, 20):
                    try:
                        os.utime(p, ns=(time.time_ns(), time.time_ns()))
                    except FileNotFoundError:
                        pass  # the card is out just now
                with Store(db, readonly=True) as ro:
                    known = ro.file_index()
                started = time.perf_counter()
                box: dict = {}
                ready = threading.Event()

                def begin(s, box=box, ready=ready):
                    box["id"] = s.begin_scan()
                    ready.set()

                writer.submit(begin)
                ready.wait(10)
                gen = iter_scan(card, known, batch_size=50)
                while True:
                    try:
                        event = next(gen)
                    except StopIteration as end:
                        walk = end.value
                        break
                    if isinstance(event, ScanBatch):
                        writer.submit(commit_batch, event)
                finished = threading.Event()

                def finalize(s, walk=walk, box=box, started=started, finished=finished):
                    finalize_scan(s, card, walk, scan_id=box["id"], started=started)
                    finished.set()

                writer.submit(finalize)
                finished.wait(30)
                with lock:
                    report.rescans += 1
            except Exception as exc:
                problem("rescan", exc)
            time.sleep(0.5)

    def restorer() -> None:
        # A user restoring a backup while the window writes: refused every time.
        while not stop.is_set():
            if not list_backups(db):  # the backup thread has not made one yet
                time.sleep(0.1)
                continue
            try:
                restore_catalog(db, wait_s=0.2)
                with lock:
                    report.restores_attempted += 1
                    report.errors.append("restore: replaced the catalog while it was open")
            except CatalogLocked:
                with lock:
                    report.restores_attempted += 1
                    report.restores_refused += 1
            except Exception as exc:
                problem("restore", exc)
            time.sleep(0.5)

    def puller() -> None:
        # The card comes out for half a second now and then: scans pause, nothing is marked
        # missing, and the work on the catalog goes on.
        away = card.with_name(card.name + ".pulled")
        while not stop.wait(3.0):
            os.rename(card, away)
            time.sleep(0.5)
            os.rename(away, card)
            with lock:
                report.card_pulls += 1

    threads = [
        threading.Thread(target=puller, name="puller"),
        threading.Thread(target=labeler, name="labeler"),
        threading.Thread(target=restorer, name="restorer"),
        threading.Thread(target=predictor, name="predictor"),
        threading.Thread(target=reader, args=("retrains", retrain_head, 0.3), name="trainer"),
        threading.Thread(
            target=reader, args=("backups", lambda ro: ro.backup(reason="soak"), 1.0), name="backup"
        ),
        threading.Thread(target=reader, args=("exports", export, 0.5), name="export"),
        threading.Thread(target=rescanner, name="rescan"),
    ]
    # Seed labels of two classes so that the head can train from the start.
    session.set_species(ids[:20], "red_fox")
    session.set_species(ids[20:40], "blank")
    writer.submit(lambda s: s.write_predictions(model, [
        PredictionRow(i, topk=[("red_fox", 0.5)], probs=np.full(5, 0.2, np.float32),
                      embedding=np.random.default_rng(i).normal(size=1280).astype(np.float32)) for i in ids
    ]))  # fmt: skip
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    writer.close(60)
    with Store(db, readonly=True) as ro:
        stored = ro.labels(list(confirmed))
        report.marked_missing = int(ro.scalar("SELECT count(*) FROM images WHERE missing=1"))
    report.labels_outside = sum(
        1 for i, sp in confirmed.items() if not stored[i] or stored[i][0].species_key != sp
    )
    lat = np.array(latencies) * 1000
    report.labels = len(lat)
    report.label_p95_ms = round(float(np.percentile(lat, 95)), 1) if len(lat) else 0.0
    report.label_max_ms = round(float(lat.max()), 1) if len(lat) else 0.0
    return report
