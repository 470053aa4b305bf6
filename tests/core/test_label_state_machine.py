"""A stateful property test: random sequences of label, relabel, bulk label, undo, redo, CSV
import, rescan and restart, checked after every step against an in-memory model of the labels."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from labeler.core.exchange.csv_io import import_csv
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.species import ensure_default_species
from labeler.core.store import Store
from tests.gen import jpeg_bytes, write

SPECIES = ["red_fox", "blank", "roe_deer", "wild_boar"]
N = 8
_TEMPLATE: dict = {}


def template() -> tuple[Path, Path]:
    """One scanned card shared by all runs (copied per run)."""
    if not _TEMPLATE:
        base = Path(tempfile.mkdtemp(prefix="lsm-"))
        card = base / "card"
        for i in range(N):
            write(card / f"IMG_{i:02d}.JPG", jpeg_bytes(seed=i, when=dt.datetime(2022, 1, 1, 0, i)))
        db = base / "t.sqlite"
        with Store(db) as store:
            scan_to_end(store, card)
            ensure_default_species(store)
        _TEMPLATE.update(card=card, db=db)
    return _TEMPLATE["card"], _TEMPLATE["db"]


class LabelMachine(RuleBasedStateMachine):
    """The model: image index -> species (or None); an undo stack and a redo stack of snapshots."""

    @initialize()
    def setup(self) -> None:
        card, db = template()
        self.tmp = Path(tempfile.mkdtemp(prefix="lsm-run-"))
        self.db = self.tmp / "c.sqlite"
        shutil.copy(db, self.db)
        self.card = card
        self.store = Store(self.db)
        self.session = LabelSession(self.store)
        paths = self.store.image_ids_by_path()
        self.ids = [paths[f"IMG_{i:02d}.JPG"] for i in range(N)]
        self.model: dict[int, str | None] = dict.fromkeys(range(N))
        self.undo: list[dict] = []
        self.redo: list[dict] = []

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _did(self, before: dict) -> None:
        self.undo.append(before)
        self.redo.clear()

    @rule(i=st.integers(0, N - 1), species=st.sampled_from(SPECIES))
    def label(self, i: int, species: str) -> None:
        before = dict(self.model)
        self.session.set_species([self.ids[i]], species)
        self.model[i] = species
        self._did(before)

    @rule(
        idx=st.sets(st.integers(0, N - 1), min_size=2, max_size=N), species=st.sampled_from(SPECIES)
    )
    def bulk_label(self, idx: set[int], species: str) -> None:
        before = dict(self.model)
        self.session.set_species([self.ids[i] for i in idx], species)
        self.model.update(dict.fromkeys(idx, species))
        self._did(before)

    @rule()
    def undo_last(self) -> None:
        record = self.session.undo()
        if self.undo:
            assert record is not None
            self.redo.append(dict(self.model))
            self.model = self.undo.pop()
        else:
            assert record is None

    @rule()
    def redo_last(self) -> None:
        record = self.session.redo()
        if self.redo:
            assert record is not None
            self.undo.append(dict(self.model))
            self.model = self.redo.pop()
        else:
            assert record is None

    @rule(
        rows=st.dictionaries(
            st.integers(0, N - 1), st.sampled_from(SPECIES), min_size=1, max_size=4
        )
    )
    def import_labels(self, rows: dict[int, str]) -> None:
        path = self.tmp / "in.csv"
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path", "species_key"])
            for i, species in rows.items():
                w.writerow([f"IMG_{i:02d}.JPG", species])
            w.writerow(["../escape.jpg", "red_fox"])
        before = dict(self.model)
        report = run_to_end(import_csv(self.store, path, session=self.session))
        assert len(report.refused) == 1
        self.model.update(rows)
        self._did(before)

    @rule()
    def rescan(self) -> None:
        report = scan_to_end(self.store, self.card)
        assert report.images == N

    @rule()
    def restart(self) -> None:
        self.store.close()
        self.store = Store(self.db)
        self.session = LabelSession(self.store)
        self.undo.clear()
        self.redo.clear()

    @invariant()
    def labels_match_the_model(self) -> None:
        if not hasattr(self, "store"):
            return
        got = self.store.labels(self.ids)
        for i, image_id in enumerate(self.ids):
            obs = got[image_id]
            assert (obs[0].species_key if obs else None) == self.model[i], (i, obs, self.model[i])
        assert len(self.store.history_ids()) >= 0


LabelMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestLabelStateMachine = LabelMachine.TestCase
