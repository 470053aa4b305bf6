"""Audits in the review queue and certified auto-accept over a real catalog."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from inference.models import load_classifier
from labeler.core.audits import plan_auto_accept, plan_review, record_audits, review_queue
from labeler.core.generators import run_to_end
from labeler.core.ingest import scan_to_end
from labeler.core.labeling import LabelSession
from labeler.core.learning import install_head, retrain_head
from labeler.core.predict_job import run_predict
from labeler.core.store import Store
from tests.inference.test_regions import scene, with_animal


def _frame(kind: str, seed: int):
    if kind == "blank":
        return scene(seed)
    if kind == "red_fox":
        return with_animal(scene(seed), 20 + (seed * 37) % 100, 30 + (seed * 11) % 60, side=40)
    out = scene(seed)
    out[20:100, 10:150] = (30, 60, 220)  # a vehicle filling much of the frame
    return out


def _card(folder, bursts, start: int = 0):
    """Frames of one camera in bursts of three (EXIF times), each burst a list of three truth
    labels: a still scene, an orange animal crossing it, or a blue vehicle."""
    from PIL import Image

    t0 = dt.datetime(2022, 1, 1)
    truth = {}
    for b, kinds in enumerate(bursts, start=start):
        for f, kind in enumerate(kinds):
            name = f"cam/B{b:03d}_{f}.JPG"
            when = (t0 + dt.timedelta(minutes=10 * b, seconds=f)).strftime("%Y:%m:%d %H:%M:%S")
            exif = Image.Exif()
            exif.get_ifd(0x8769)[0x9003] = when
            (folder / "cam").mkdir(parents=True, exist_ok=True)
            Image.fromarray(_frame(kind, 3 * b + f)).save(folder / name, quality=95, exif=exif)
            truth[name] = kind
    return truth


@pytest.fixture(scope="module")
def predicted(tmp_path_factory):
    """One scanned and predicted catalog, copied for each test (prediction is the slow part)."""
    base = tmp_path_factory.mktemp("audits")
    card = base / "card"
    bursts = [["blank"] * 3] * 40 + [["red_fox"] * 3] * 14 + [["blank", "red_fox", "blank"]] * 2
    truth = _card(card, bursts)
    # The pretrained model: its blank probability is part of the empty-frame evidence that a
    # blank needs before it is accepted.
    model = load_classifier("lite0")
    with Store(base / "c.sqlite") as store:
        scan_to_end(store, card)
        run_to_end(run_predict(store, str(card), model))
    return base / "c.sqlite", truth, card, model


@pytest.fixture
def project(predicted, tmp_path):
    db, truth, card, model = predicted
    with Store(db) as source:
        source.backup(tmp_path / "c.sqlite")
    store = Store(tmp_path / "c.sqlite")
    yield store, truth, card, model
    store.close()


def _answer(store, truth, image_ids):
    paths = store.image_paths()
    s = LabelSession(store)
    for i in image_ids:
        s.set_species([i], truth[paths[i]])
    return s


def test_the_queue_interleaves_recorded_audits_at_the_chosen_share(project):
    store, truth, _card_dir, _m = project
    _answer(store, truth, [store.image_ids_by_path()[p] for p in sorted(truth)[:6:3]])
    plan = plan_review(store, k=20, share=0.25, seed=1)
    assert len(plan.order) == 20 and len(plan.new_audits) >= 5
    audited = {a[0] for a in plan.new_audits}
    assert [i for i in plan.order if i in audited] == [plan.order[k] for k in (3, 7, 11, 15, 19)]
    assert all(0 < a[1] <= 1 for a in plan.new_audits)
    record_audits(store, plan)
    again = plan_review(store, k=20, share=0.25, seed=2)
    assert not again.new_audits and set(store.pending_audits()) == audited


def test_nothing_is_accepted_until_audits_certify_a_species(project):
    store, truth, _c, _m = project
    paths = {p: i for i, p in store.image_paths().items()}
    _answer(store, truth, [paths[p] for p in sorted(truth)[::4]])  # labels, but no audits
    install_head(store, retrain_head(store))
    plan = plan_auto_accept(store, target=0.9)
    assert plan.decisions == {} and plan.summary["accepted"] == 0
    assert plan.summary["audits_needed_per_species"] == 29
    assert plan.summary["held_back"]["species not certified by audits"] > 0


def test_audited_species_are_accepted_as_machine_decisions_at_the_target_and_undone_at_once(
    project, tmp_path
):
    store, truth, card, model = project
    paths = store.image_paths()
    for _ in range(8):
        order = review_queue(store, k=10, share=1.0, seed=len(store.labeled_image_ids()))
        _answer(store, truth, order)
    assert store.audit_counts()["answered"] >= 60
    install_head(store, retrain_head(store))
    plan = plan_auto_accept(store, target=0.9)
    assert plan.decisions, json.dumps(plan.summary)
    s = plan.summary
    blank = s["per_species"]["blank"]
    assert blank["lower_bound"] >= 0.9 and blank["audits"] >= 29
    assert s["expected_errors"] >= 0 and s["confidence"] == pytest.approx(0.95)
    confs = [plan.decisions[i][1] for i in plan.preview]
    assert confs == sorted(confs)
    right = sum(plan.decisions[i][0] == truth[paths[i]] for i in plan.decisions)
    assert right / len(plan.decisions) >= 0.9
    mixed = {i for i, p in paths.items() if p.startswith("cam/B054") or p.startswith("cam/B055")}
    assert not mixed & set(plan.decisions), "a burst is never split between labels"
    session = LabelSession(store)
    record = session.accept_machine(plan.decisions, s["model_version"], "auto-accept")
    obs = store.labels(list(plan.decisions))
    assert all(o[0].classification_method == "machine" and o[0].probability for o in obs.values())
    assert all(o[0].classified_by == s["model_version"] for o in obs.values())
    session.undo()
    assert all(not v for v in store.labels(list(record.image_ids)).values())
    # A species that walks in later, never labeled, is never accepted as another one.
    import shutil

    card = shutil.copytree(card, tmp_path / "card")
    store.set_meta("root", str(card))
    later = _card(card, [["vehicle"] * 3] * 2, start=100)
    scan_to_end(store, card)
    run_to_end(run_predict(store, str(card), model))
    install_head(store, retrain_head(store))
    new_ids = {store.image_ids_by_path()[p] for p in later}
    again = plan_auto_accept(store, target=0.9)
    assert not new_ids & set(again.decisions)
    assert again.summary["held_back"]
