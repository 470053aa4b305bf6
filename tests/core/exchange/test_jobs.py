"""Exports and imports as jobs: the command line's options, warnings, and a cancel that leaves
no half-written file behind."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from labeler.core.exchange.step import Step
from labeler.core.exchange_jobs import (
    ExchangeError,
    ExportFormat,
    ExportRequest,
    ImportFormat,
    ImportRequest,
    run_export,
    run_import,
)
from labeler.core.generators import collect
from labeler.core.jobs import JobWarning


def test_csv_export_options_match_the_command_line(project, tmp_path):
    store, _card = project
    full = tmp_path / "all.csv"
    labeled = tmp_path / "labeled.csv"
    tops = tmp_path / "tops.csv"
    collect(run_export(store, ExportRequest(ExportFormat.CSV, str(full))))
    collect(run_export(store, ExportRequest(ExportFormat.CSV, str(labeled), labeled_only=True)))
    collect(run_export(store, ExportRequest(ExportFormat.CSV, str(tops), suggestions=True)))
    every, only = pd.read_csv(full), pd.read_csv(labeled)
    assert (every["observation_type"] == "unclassified").sum() > 0
    assert (only["observation_type"] == "unclassified").sum() == 0
    assert len(only) == len(every) - (every["observation_type"] == "unclassified").sum()
    assert list(pd.read_csv(tops).columns[:6]) == [
        "path", "camera_folder", "timestamp", "sequence_id", "frame", "empty_score"
    ]  # fmt: skip


def test_a_stopped_export_removes_its_partial_file_and_keeps_the_earlier_one(
    project, tmp_path, monkeypatch
):
    import labeler.core.exchange.csv_io as csv_io

    store, _card = project
    out = tmp_path / "labels.csv"
    out.write_text("an earlier export\n")
    monkeypatch.setattr(csv_io, "PROGRESS_ROWS", 1)
    calls = {"n": 0}

    def stop_after_two() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    events, report = collect(
        run_export(store, ExportRequest(ExportFormat.CSV, str(out)), should_stop=stop_after_two)
    )
    assert report["cancelled"] is True
    assert [e for e in events if isinstance(e, Step)], "rows were written before the stop"
    assert out.read_text() == "an earlier export\n"
    assert not (tmp_path / "labels.csv.partial").exists()


def test_camtrapdp_problems_arrive_as_warnings(project, tmp_path):
    store, _card = project
    request = ExportRequest(ExportFormat.CAMTRAPDP, str(tmp_path / "pkg"), allow_incomplete=True)
    events, report = collect(run_export(store, request))
    warnings = [e.message for e in events if isinstance(e, JobWarning)]
    assert warnings == report["problems"] and warnings


def test_a_deployments_file_with_unknown_folders_warns_and_sets_the_rest(project, tmp_path):
    store, _card = project
    deps = tmp_path / "deps.csv"
    deps.write_text("folder,latitude,longitude,utcOffset\nCAM_A,51.5,4.7,+02:00\nNOPE,1,2,+00:00\n")
    events, _ = collect(
        run_export(
            store,
            ExportRequest(
                ExportFormat.CAMTRAPDP,
                str(tmp_path / "pkg"),
                deployments=str(deps),
                allow_incomplete=True,
            ),
        )
    )
    assert any(isinstance(e, JobWarning) and "NOPE" in e.message for e in events)
    assert store.deployments()["CAM_A"]["latitude"] == 51.5


def test_a_suggestions_csv_without_predictions_is_refused_plainly(tmp_path):
    from labeler.core.store import Store

    with Store(tmp_path / "empty.sqlite") as store:
        with pytest.raises(ExchangeError, match="no predictions yet"):
            collect(
                run_export(
                    store,
                    ExportRequest(ExportFormat.CSV, str(tmp_path / "s.csv"), suggestions=True),
                )
            )


def test_an_import_of_unmatched_rows_warns_and_a_non_csv_is_refused(project, tmp_path):
    store, _card = project
    src = tmp_path / "in.csv"
    src.write_text(
        "path,species\nCAM_A/IMG_0004.JPG,Red fox\nnot/there.jpg,Red fox\n../evil.jpg,Red fox\n"
    )
    events, report = collect(run_import(store, ImportRequest(ImportFormat.CSV, str(src))))
    messages = [e.message for e in events if isinstance(e, JobWarning)]
    assert report.images_updated == 1
    assert any("match no image" in m for m in messages) and any("refused" in m for m in messages)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ExchangeError):
        collect(run_import(store, ImportRequest(ImportFormat.MEGADETECTOR, str(bad))))


def test_the_export_verb_prints_one_json_object_in_its_own_process(project, tmp_path):
    store, card = project
    out = tmp_path / "labels.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "labeler", "export", str(card), "--db", str(store.path), "--format", "csv",
         "--out", str(out), "--labeled-only", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["rows"] == len(pd.read_csv(out))
