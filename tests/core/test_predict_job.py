"""The prediction job over a catalog: every image predicted or failed, resumable, CLI output."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from PIL import Image

from inference.models import load_classifier
from labeler.cli import main
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.predict_job import run_predict, suggestion_view
from labeler.core.store import Store
from tests.gen import jpeg_bytes, write
from tests.models import make_tiny_model


def _broken_but_scannable(seed: int = 9) -> bytes:
    data = bytearray(jpeg_bytes((200, 150), seed=seed))
    sos = data.find(b"\xff\xda")
    for i in range(sos + 100, len(data) - 100, 7):
        data[i] = 0xFF if i % 2 else data[i]
    return bytes(data)


@pytest.fixture
def card_folder(tmp_path):
    card = tmp_path / "card"
    for i in range(6):
        write(card / "cam" / f"IMG_{i:04d}.JPG", jpeg_bytes((96, 72), seed=i))
    write(card / "cam" / "corrupt.jpg", _broken_but_scannable())
    Image.new("CMYK", (64, 48), (0, 80, 200, 10)).save(card / "cam" / "cmyk.jpg")
    Image.new("L", (64, 48), 100).save(card / "cam" / "gray.jpg")
    full = jpeg_bytes((200, 150), seed=11)
    write(card / "cam" / "truncated.jpg", full[: len(full) // 2])
    return card


def test_every_image_is_predicted_or_its_failure_recorded_when_files_are_bad(tmp_path, card_folder):
    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card_folder)
        report = run_to_end(run_predict(store, str(card_folder), clf, batch_size=4))
        assert report.predicted == 8 and report.failed == 1
        model_id = store.active_model()["id"]
        failures = dict(store.prediction_failures(model_id))
        assert list(failures) == ["cam/corrupt.jpg"]
        assert "broken data stream" in failures["cam/corrupt.jpg"]
        ok = store.scalar("SELECT count(*) FROM images WHERE status='ok'")
        assert (
            store.scalar("SELECT count(*) FROM image_predictions WHERE model_id=?", (model_id,))
            == ok
        )
        truncated = store.query("SELECT status FROM images WHERE name='truncated.jpg'")[0][0]
        assert truncated == "truncated"
        top = store.topk(model_id, store.scalar("SELECT id FROM images WHERE name='gray.jpg'"))
        assert len(top) == 5 and top[0][1] >= top[-1][1]
        ids, emb = store.embeddings(model_id)
        assert emb.shape == (8, clf.card.embedding_dim)
        scores = [r[0] for r in store.query(
            "SELECT empty_score FROM image_predictions WHERE model_id=? AND error IS NULL", (model_id,))]  # fmt: skip
        assert all(s is not None and 0 <= s <= 1 for s in scores)


def test_prediction_resumes_without_repeating_work_when_run_again(tmp_path, card_folder):
    clf = load_classifier(make_tiny_model(tmp_path / "m"))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card_folder)
        first = run_to_end(run_predict(store, str(card_folder), clf))
        again = run_to_end(run_predict(store, str(card_folder), clf))
        assert first.predicted == 8
        assert again.predicted == 0 and again.failed == 0 and again.already_done == 9
        target = card_folder / "cam" / "IMG_0000.JPG"
        target.write_bytes(jpeg_bytes((96, 72), seed=99))
        os.utime(target, ns=(10**18, 10**18))
        scan_to_end(store, card_folder)
        third = run_to_end(run_predict(store, str(card_folder), clf))
        assert third.predicted == 1, "a changed file is predicted again"


def test_burst_averaged_and_ensembled_views_cover_every_predicted_image(tmp_path, card_folder):
    a = load_classifier(make_tiny_model(tmp_path / "a", seed=1))
    b = load_classifier(make_tiny_model(tmp_path / "b", seed=2))
    with Store(tmp_path / "c.sqlite") as store:
        scan_to_end(store, card_folder)
        run_to_end(run_predict(store, str(card_folder), a))
        run_to_end(run_predict(store, str(card_folder), b))
        ids = [m["id"] for m in store.models()]
        single = suggestion_view(store, ids[:1])
        both = suggestion_view(store, ids, bursts=True)
        assert set(single) == set(both) and len(both) == 8
        assert all(len(v) == 5 for v in both.values())
        assert single != both


def test_predict_cli_prints_the_figures_and_writes_one_row_per_image_and_rank(
    tmp_path, card_folder, capsys
):
    model = make_tiny_model(tmp_path / "m")
    write(card_folder / "=HYPERLINK(evil).jpg", jpeg_bytes(seed=5))
    out = tmp_path / "predictions.csv"
    db = tmp_path / "c.sqlite"
    code = main(["predict", str(card_folder), "--db", str(db), "--model", str(model),
                 "--out", str(out), "--json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("images", "predicted", "failed", "seconds", "images_per_second", "device"):
        assert key in data
    assert data["predicted"] == 9 and data["failed"] == 1
    assert data["failures"][0]["path"] == "cam/corrupt.jpg"
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 9 * 5
    assert set(rows[0]) == {"path", "rank", "species", "scientific_name", "score", "empty_score",
                            "model_version"}  # fmt: skip
    assert any(r["path"] == "'=HYPERLINK(evil).jpg" for r in rows)
    assert {r["rank"] for r in rows} == {"1", "2", "3", "4", "5"}
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in rows)


def test_default_model_suggests_real_species_for_the_shared_test_images(
    shared_data, tmp_path, capsys
):
    folder = shared_data / "speciesnet_testdata"
    out = tmp_path / "p.csv"
    assert main(["predict", str(folder), "--db", str(tmp_path / "c.sqlite"), "--out", str(out),
                 "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] == 0 and data["predicted"] == 13
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    elephant = [r["species"] for r in rows if r["path"] == "african_elephants.jpg"]
    assert "African elephant" in elephant
    blank = {r["path"]: float(r["empty_score"]) for r in rows if r["rank"] == "1"}
    assert blank["blank.jpg"] > np.median(list(blank.values()))


def test_hiding_a_species_moves_its_mass_to_other_and_new_species_become_suggestible(
    tmp_path, card_folder, capsys
):
    model = make_tiny_model(tmp_path / "m")
    db = str(tmp_path / "c.sqlite")
    assert main(["predict", str(card_folder), "--db", db, "--model", str(model), "--json"]) == 0
    capsys.readouterr()
    with Store(db) as store:
        model_id = store.active_model()["id"]
        image = store.image_ids_by_path()["cam/IMG_0000.JPG"]
        top = store.topk(model_id, image)
    hidden = next(k for k, _ in top if k not in ("other",))
    assert (
        main(
            [
                "species",
                str(card_folder),
                "--db",
                db,
                "--hide",
                hidden,
                "--add",
                "Striped polecat",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["added"] == ["striped_polecat"] and data["suggestions_refreshed"] == 8
    with Store(db) as store:
        after = dict(store.topk(model_id, image))
        assert hidden not in after
        assert after.get("other", 0) >= dict(top).get(hidden, 0) - 1e-6
        shown = {s.key: s.active for s in store.species()}
        assert shown[hidden] is False and shown["striped_polecat"] is True
    with pytest.raises(SystemExit, match="no species with key"):
        main(["species", str(card_folder), "--db", db, "--hide", "no_such_key"])
