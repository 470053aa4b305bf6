"""Faults: a corrupt catalog on open, truncated model files, GPU memory exhausted, bombs."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest

from inference.models import load_classifier
from inference.preprocess import ImageLoadError, load_rgb
from inference.weights import WeightsError
from labeler.cli import main
from labeler.core.labeling import LabelSession
from labeler.core.media import inspect_file
from labeler.core.project import default_db_path
from labeler.core.store import DatabaseUnusable, Store
from tests.gen import build_bad_corpus, build_burst_tree, png_header_bomb
from tests.models import make_tiny_model


def test_a_corrupt_catalog_is_set_aside_and_the_newest_backup_restored(tmp_path, capsys):
    card = tmp_path / "card"
    build_burst_tree(card, 6, cameras=1)
    assert main(["scan", str(card), "--json"]) == 0
    db = default_db_path(card)
    with Store(db) as store:
        image = sorted(store.image_ids_by_path().values())[0]
        LabelSession(store).set_species([image], "badger")
        store.backup(reason="drill")
    db.write_bytes(b"\x00" * 4096)
    with pytest.raises(SystemExit) as info:
        main(["scan", str(card)])
    assert "set aside" in str(info.value) or "moved to" in str(info.value)
    assert "labeler restore" in str(info.value)
    capsys.readouterr()
    assert main(["restore", str(card), "--json"]) == 0
    restored = json.loads(capsys.readouterr().out)
    assert restored["restored"].endswith("drill.sqlite")
    with Store(db) as store:
        assert store.labels([image])[image][0].species_key == "badger"
        assert store.integrity_check() == "ok"
    aside = list(db.parent.glob(db.name + ".unusable-*"))
    assert aside and aside[0].read_bytes() == b"\x00" * 4096, (
        "the bad file is kept, not overwritten"
    )


def test_a_zero_byte_catalog_never_gets_overwritten(tmp_path):
    db = tmp_path / "c.sqlite"
    Store(db).close()
    db.write_bytes(b"")
    with pytest.raises(DatabaseUnusable):
        Store(db)
    assert list(tmp_path.glob("c.sqlite.unusable-*"))


@pytest.mark.parametrize("suffix", [".safetensors", ".onnx"])
def test_a_truncated_model_file_is_refused_with_a_clear_message(tmp_path, suffix):
    path = make_tiny_model(tmp_path / "m")
    if suffix == ".onnx":
        onnx_path = load_classifier(path).path
        target = tmp_path / "cut.onnx"
        from pathlib import Path

        data = Path(onnx_path).read_bytes()
        target.write_bytes(data[: len(data) // 2])
        (tmp_path / "cut.onnx.card.json").write_text(
            (tmp_path / "m" / "tiny.safetensors.card.json").read_text()
        )
    else:
        data = path.read_bytes()
        target = tmp_path / "cut.safetensors"
        target.write_bytes(data[: len(data) // 2])
        card = json.loads((tmp_path / "m" / "tiny.safetensors.card.json").read_text())
        card["sha256"] = ""
        (tmp_path / "cut.safetensors.card.json").write_text(json.dumps(card))
    with pytest.raises(WeightsError) as info:
        load_classifier(target)
    assert target.name in str(info.value)


def test_gpu_out_of_memory_during_training_keeps_the_previous_model(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from inference.card import load_card
    from inference.network import load_headed
    from tests.gen import jpeg_bytes, write
    from training.finetune import TrainingError, fine_tune

    path = make_tiny_model(tmp_path / "m")
    card = load_card(path)
    net = load_headed(card, str(path))
    items = [
        (str(write(tmp_path / f"{i}.jpg", jpeg_bytes(seed=i))), "blank" if i % 2 else "red_fox")
        for i in range(8)
    ]

    def boom(*_a, **_k):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(torch.nn.Linear, "forward", boom)
    gen = fine_tune(items[:6], items[6:], out_dir=tmp_path / "out", version="oom", network=net, base_card=card,
                    device="cpu", epochs=1)  # fmt: skip
    with pytest.raises(TrainingError, match="out of memory.*previous model stays"):
        for _ in gen:
            pass
    assert not list((tmp_path / "out").glob("*.safetensors"))


def test_decompression_bombs_are_refused_fast_and_without_decoding(tmp_path):
    bomb = png_header_bomb(tmp_path / "pano.png")
    import os

    tracemalloc.start()
    t = time.perf_counter()
    rec = inspect_file(str(bomb), "pano.png", os.stat(bomb))
    elapsed = time.perf_counter() - t
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rec.status == "too_large"
    assert elapsed < 1.0 and peak < 20 * 2**20
    with pytest.raises(ImageLoadError, match="too large"):
        load_rgb(bomb, 64)


def test_scan_and_predict_finish_over_the_whole_bad_corpus_with_bounded_memory(tmp_path):
    import resource
    import subprocess
    import sys

    card = tmp_path / "card"
    build_bad_corpus(card)
    model = make_tiny_model(tmp_path / "m")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-m", "labeler", "predict", str(card), "--db", str(tmp_path / "c.sqlite"),
         "--model", str(model), "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    with Store(tmp_path / "c.sqlite") as store:
        counts = store.status_counts()
        assert sum(counts.values()) == store.catalog_counts()["files"]
        assert data["predicted"] + data["failed"] == counts["ok"]
    assert peak_mb < 1500 or peak_mb <= before / 1024, f"peak {peak_mb:.0f} MB"
