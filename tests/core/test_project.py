"""Where catalogs live: the user's data directory keyed by folder, or an explicit --db."""

from __future__ import annotations

import pytest

from labeler.core.project import default_db_path, resolve_db_path


def test_default_catalog_lives_in_the_data_dir_keyed_by_folder_when_no_db_is_given(tmp_path):
    a = tmp_path / "cardA"
    b = tmp_path / "sub" / "cardA"
    a.mkdir()
    b.mkdir(parents=True)
    pa, pb = default_db_path(a), default_db_path(b)
    assert pa != pb, "two folders with the same name get different catalogs"
    assert pa == default_db_path(a)
    assert tmp_path not in pa.parents
    assert pa.name.startswith("cardA-")


def test_db_inside_the_image_folder_is_refused_when_given(tmp_path):
    card = tmp_path / "card"
    card.mkdir()
    with pytest.raises(ValueError, match="inside the image folder"):
        resolve_db_path(card, card / "catalog.sqlite")
    assert resolve_db_path(card, tmp_path / "x.sqlite") == (tmp_path / "x.sqlite").resolve()
