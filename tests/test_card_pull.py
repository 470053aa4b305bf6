"""A card pulled out in the middle of ``labeler predict`` and put back (real processes)."""

from __future__ import annotations

from tests.card_pull import run_card_pull
from tests.gen import build_burst_tree
from tests.models import make_tiny_model


def test_a_card_pulled_mid_predict_stops_the_run_and_the_next_run_predicts_each_image_once(
    tmp_path,
):
    card = tmp_path / "card"
    build_burst_tree(card, 240, cameras=2, size=(64, 48))
    model = make_tiny_model(tmp_path / "m")
    o = run_card_pull(card, tmp_path / "c.sqlite", str(model), away_s=0.5, pull_at=0.2)
    assert o.pulled and o.first_exit == 3, o
    assert o.left_by_first > 0 and o.second_exit == 0, o
    assert o.predicted_once == o.images == 240 and o.predicted_twice_or_more == 0
    assert o.failures == 0
