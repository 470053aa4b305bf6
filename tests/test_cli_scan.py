"""``labeler scan``: the summary, the JSON object, and the shared real folder."""

from __future__ import annotations

import json
import subprocess
import sys

from labeler.cli import main
from labeler.core.project import default_db_path
from tests.gen import build_bad_corpus


def test_scan_json_prints_one_object_whose_status_counts_sum_to_files(tmp_path, capsys):
    card = tmp_path / "card"
    build_bad_corpus(card, deep=False)
    assert main(["scan", str(card), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    data = json.loads(out[0])
    for key in ("files", "status", "images", "sequences", "duplicates", "seconds"):
        assert key in data
    assert sum(data["status"].values()) == data["files"]
    assert default_db_path(card).exists()


def test_scan_prints_a_readable_summary_when_json_is_not_asked(tmp_path, capsys):
    card = tmp_path / "card"
    build_bad_corpus(card, deep=False)
    main(["scan", str(card), "--db", str(tmp_path / "c.sqlite")])
    text = capsys.readouterr().out
    assert "files in" in text and "status:" in text and "files/s" in text


def test_scan_of_a_missing_folder_fails_with_a_clear_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "labeler", "scan", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "is not a folder" in proc.stderr


def test_shared_folder_scan_meets_the_acceptance_when_the_real_images_are_present(
    shared_data, tmp_path, capsys
):
    assert main(["scan", str(shared_data), "--db", str(tmp_path / "c.sqlite"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(data["status"].values()) == data["files"]
    from labeler.core.store import Store

    with Store(tmp_path / "c.sqlite") as s:
        st = {r["path"]: r["status"] for r in s.query("SELECT path, status FROM images")}
        assert st["animl_southwest/error_img.JPG"] == "empty"
        assert st["speciesnet_testdata/african_elephants_truncated_file.jpg"] == "truncated"
        carp = {p: v for p, v in st.items() if p.startswith("carpathia_sequence/wild_boar/")}
        assert sorted(carp.values()) == ["duplicate_content", "ok", "ok"]
        burst = s.query(
            "SELECT path, sequence_id, datetime FROM images WHERE path LIKE 'carpathia_sequence/%' "
            "AND name LIKE '100002_%'"
        )
        assert len(burst) == 5
        if all(r["datetime"] is None for r in burst):
            notes = " ".join(data["notes"])
            assert "carpathia_sequence/bear (2)" in notes and "no capture time" in notes
        else:
            assert len({r["sequence_id"] for r in burst}) == 1
        # The Reconyx tunnel cameras record their own burst numbering: our bursts must match.
        meta = shared_data / "smallmammal_tunnels" / "camera_metadata"
        for site in ("vj_ga_hu_1", "vj_ga_hu_2"):
            rows = [
                line.split("\t")
                for line in (meta / f"metadata_{site}_2020.txt").read_text().splitlines()[1:]
            ]
            events: dict[str, set] = {}
            for r in rows:
                name, trigger, event = r[1].strip('"'), r[5].strip('"'), r[7]
                if trigger != "M":
                    continue
                seq = s.scalar(
                    "SELECT sequence_id FROM images WHERE path=?",
                    (f"smallmammal_tunnels/{site}/{name}",),
                )
                if seq is not None:
                    events.setdefault(event, set()).add(seq)
            assert events and all(len(v) == 1 for v in events.values()), site
