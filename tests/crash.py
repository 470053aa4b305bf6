"""Crash-durability harness: a driver process labels through the core API and is killed.

The driver (``python -m tests.crash ...``) labels one unlabeled image at a time, appending each
acknowledged commit (after ``apply_labels`` returned) to a log that it fsyncs, while it also
rescans, writes prediction batches, writes checkpoints, takes backups or migrates, by mode.
The parent kills it with SIGKILL at a random moment and checks, after reopening the catalog as
the app would, that every acknowledged label is there and the database passes integrity_check.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODES = ("label", "rescan", "predict", "checkpoint", "backup", "migration", "restore")
SPECIES = ("red_fox", "blank", "roe_deer", "wild_boar", "badger")


def _driver(db: str, card: str, log: str, mode: str, seed: int) -> None:
    from labeler.core.ingest import scan_to_end
    from labeler.core.labeling import LabelSession
    from labeler.core.store import PredictionRow, Store
    from training.checkpoint import save_arrays_atomic

    rng = random.Random(seed)
    store = Store(db)
    session = LabelSession(store, author="driver")
    labeled = store.labeled_image_ids()
    todo = [i for i in sorted(store.image_ids_by_path().values()) if i not in labeled]
    rng.shuffle(todo)
    model = store.register_model("crash-model", "m", "test", {"labels": list(SPECIES)})
    todo += sorted(labeled)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    print("ready", flush=True)
    step = 0
    while True:
        image_id = todo[step % len(todo)]
        species = rng.choice(SPECIES)
        # The intent is durable before the commit, the acknowledgement after it returned.
        os.write(fd, f"I {image_id} {species} 0\n".encode())
        os.fsync(fd)
        record = session.set_species([image_id], species)
        os.write(fd, f"A {image_id} {species} {record.id}\n".encode())
        os.fsync(fd)
        time.sleep(0.002)
        step += 1
        if step % 3:
            continue
        if mode == "rescan":
            for p in list(Path(card).rglob("*.JPG"))[: rng.randint(1, 40)]:
                os.utime(p, ns=(time.time_ns(), time.time_ns()))
            scan_to_end(store, card)
        elif mode == "predict":
            ids = rng.sample(sorted(store.image_ids_by_path().values()), 64)
            store.write_predictions(model, [
                PredictionRow(i, topk=[(s, 0.2) for s in SPECIES], probs=np.full(5, 0.2, np.float32),
                              embedding=np.random.default_rng(i).normal(size=1280).astype(np.float32), blank_prob=0.2)
                for i in ids
            ])  # fmt: skip
        elif mode == "checkpoint":
            arrays = {"weight": np.random.default_rng(step).normal(size=(1280, 512)).astype(np.float32),
                      "step": np.array([step], np.int64)}  # fmt: skip
            save_arrays_atomic(arrays, Path(db).with_name("checkpoint.safetensors"))
        elif mode == "backup":
            store.backup(reason="drill")


@dataclass
class Outcome:
    """What one kill-and-restart iteration found."""

    mode: str
    acknowledged: int
    lost: int
    integrity: str
    checkpoint_ok: bool
    backups_ok: bool
    detail: str = ""
    restore: str = ""  # "refused" or "restored" when a restore was attempted mid-run


def prepare(folder: Path, n_images: int = 120) -> tuple[Path, Path]:
    """A card of small JPEGs and its scanned catalog."""
    from labeler.core.ingest import scan_to_end
    from labeler.core.species import ensure_default_species
    from labeler.core.store import Store
    from tests.gen import build_burst_tree

    card = folder / "card"
    build_burst_tree(card, n_images, cameras=2, size=(48, 36))
    db = folder / "crash.sqlite"
    with Store(db) as store:
        scan_to_end(store, card)
        ensure_default_species(store)
    return card, db


def downgrade_schema(db: Path) -> None:
    """Turn a catalog back to its first schema version (labels kept), for migration kills."""
    import sqlite3

    from labeler.core.store.migrations import MIGRATIONS

    dst = sqlite3.connect(db)
    later = [m.name for m in MIGRATIONS._migrations[1:]]
    dst.execute("DROP TABLE IF EXISTS deployments")
    dst.execute("DROP TABLE IF EXISTS md_images")
    dst.execute("DROP TABLE IF EXISTS detections")
    dst.execute("DROP TABLE IF EXISTS image_notes")
    dst.execute("DROP TABLE IF EXISTS clock_corrections")
    dst.execute("DROP INDEX IF EXISTS image_predictions_model")
    dst.execute("DROP INDEX IF EXISTS observations_image")
    dst.execute("ALTER TABLE image_predictions DROP COLUMN thumb")
    dst.execute("ALTER TABLE image_predictions DROP COLUMN blank_prob")
    dst.executemany("DELETE FROM _sqlite_migrations WHERE name=?", [(n,) for n in later])
    dst.commit()
    dst.close()


def run_iteration(db: Path, card: Path, mode: str, seed: int, *, max_delay: float = 0.8) -> Outcome:
    """Start a driver, SIGKILL it at a random moment, reopen and verify."""
    from labeler.core.store import Store, list_backups

    log = db.with_name(f"acks-{seed}.log")
    log.unlink(missing_ok=True)
    rng = random.Random(seed)
    if mode == "migration":
        downgrade_schema(db)
    if mode == "restore":
        with Store(db) as store:
            store.backup(reason="drill")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.crash", "--db", str(db), "--card", str(card), "--log", str(log),
         "--mode", mode, "--seed", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=str(Path(__file__).resolve().parent.parent),
    )  # fmt: skip
    if mode == "migration":
        time.sleep(rng.uniform(0.05, 1.2))  # anywhere from start-up through migrating
    else:
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep(rng.uniform(0.0, max_delay))
    restore = ""
    if mode == "restore":
        # A user restores while the driver (the window, a CLI job) still writes; labels it
        # confirms afterwards must land in the working catalog.
        restore = _try_restore(db)
        time.sleep(rng.uniform(0.05, max_delay))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stdout:
        proc.stdout.close()
    last_ack: dict[int, tuple[str, int]] = {}
    pending: dict[int, str] = {}
    n_acks = 0
    if log.exists():
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) != 4:
                continue  # a line cut by the kill
            kind, image_id, species, action = parts[0], int(parts[1]), parts[2], int(parts[3])
            if kind == "I":
                pending[image_id] = species
            else:
                last_ack[image_id] = (species, action)
                pending.pop(image_id, None)
                n_acks += 1
    with Store(db) as store:
        integrity = store.integrity_check()
        labels = store.labels(list(last_ack))
        actions = {r[0] for r in store.query("SELECT id FROM actions")}
        lost = 0
        for image_id, (species, action) in last_ack.items():
            got = labels[image_id][0].species_key if labels[image_id] else None
            # A commit may have landed after its intent without being acknowledged yet.
            allowed = {species, pending.get(image_id)}
            if got not in allowed or action not in actions:
                lost += 1
    checkpoint = db.with_name("checkpoint.safetensors")
    checkpoint_ok = True
    if checkpoint.exists():
        from safetensors.numpy import load_file

        try:
            arrays = load_file(str(checkpoint))
            checkpoint_ok = arrays["weight"].shape == (1280, 512)
        except Exception:
            checkpoint_ok = False
    backups_ok = True
    import sqlite3

    for b in list_backups(db):
        conn = sqlite3.connect(f"{b.resolve().as_uri()}?mode=ro", uri=True)
        try:
            backups_ok &= conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    return Outcome(mode, n_acks, lost, integrity, checkpoint_ok, backups_ok, restore=restore)


def _try_restore(db: Path) -> str:
    """Restore the newest backup of ``db`` now: "refused" (in use) or "restored"."""
    from labeler.core.store import CatalogLocked, restore_catalog

    try:
        restore_catalog(db)
    except CatalogLocked:
        return "refused"
    return "restored"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--card")
    ap.add_argument("--log")
    ap.add_argument("--mode", choices=MODES)
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    _driver(a.db, a.card, a.log, a.mode, a.seed)
