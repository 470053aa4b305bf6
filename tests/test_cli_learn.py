"""``labeler train`` and ``labeler evaluate`` on a catalog with confirmed labels."""

from __future__ import annotations

import csv
import datetime as dt
import json

from labeler.cli import main
from labeler.core.labeling import LabelSession
from labeler.core.store import Store
from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model


def _card(tmp_path):
    card = tmp_path / "card"
    truth = {}
    for i in range(30):
        animal = (i // 3) % 2 == 0
        colour = (200, 100, 30) if animal else (40, 110, 50)
        when = dt.datetime(2022, 1, 1) + dt.timedelta(minutes=10 * (i // 3), seconds=i % 3)
        write(card / f"IMG_{i:03d}.JPG", jpeg_bytes((96, 72), colour, seed=i, when=when))
        truth[f"IMG_{i:03d}.JPG"] = "red_fox" if animal else "blank"
    return card, truth


def test_train_then_evaluate_reports_figures_and_never_scores_training_labels(tmp_path, capsys):
    card, truth = _card(tmp_path)
    db = tmp_path / "c.sqlite"
    model = make_tiny_model(tmp_path / "m")
    assert main(["predict", str(card), "--db", str(db), "--model", str(model), "--json"]) == 0
    capsys.readouterr()
    with Store(db) as store:
        ids = {r["name"]: r["id"] for r in store.query("SELECT id, name FROM images")}
        session = LabelSession(store)
        for name in sorted(truth)[:18]:
            session.set_species([ids[name]], truth[name])
    assert main(["train", str(card), "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["head"]["accepted"] and data["head"]["labels"] == 18
    assert data["active_model"].startswith("head-1-")
    truth_csv = tmp_path / "truth.csv"
    with open(truth_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "species"])
        for name, label in truth.items():
            w.writerow([name, "Red fox" if label == "red_fox" else "blank"])
        w.writerow(["not/there.jpg", "Red fox"])
    assert main(["evaluate", str(card), "--db", str(db), "--truth", str(truth_csv), "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["n"] == 30 and ev["unmatched"] == ["not/there.jpg"]
    assert ev["top1"] > 0.9 and ev["top5"] == 1.0
    assert {c["label"] for c in ev["per_class"] if c["support"]} == {"blank", "red_fox"}
    assert 0 <= ev["coverage_at_target"] <= 1
    assert len(ev["confusion"]) == len(ev["labels"])
