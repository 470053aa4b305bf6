"""Auto-accept in the window on a card where a species walked in that nobody labeled: only
audited species are offered, the dialog shows the audited bound before anything is written,
the accepted labels are machine decisions, and a correction re-estimates at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from labeler.core.store import Store
from labeler.ui.auto_accept_dialog import AutoAcceptDialog
from tests.core.test_audits import _card
from tests.ui.helpers import dialog_of, reactivate, search, select_rows, wait_saved


@pytest.fixture
def vehicle_card_window(qtbot, settings, tmp_path):
    """Blank frames, a red fox in 14 bursts, and 3 bursts of a vehicle that nobody labels."""
    from labeler.ui.main_window import MainWindow

    bursts = [["blank"] * 3] * 50 + [["red_fox"] * 3] * 14 + [["vehicle"] * 3] * 3
    truth = _card(tmp_path / "card", bursts)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.flows.predicted, timeout=120000):
        win.open_folder(str(tmp_path / "card"), str(tmp_path / "catalog.sqlite"))
    qtbot.waitUntil(lambda: win.grid_model.rowCount() == len(truth), timeout=10000)
    win.learning_panel.every.setValue(0)
    win.grid.setFocus()
    yield win, truth
    win.close()


def _rows_of(win, ids):
    return [win.grid_model.row_of_image(i) for i in ids]


def _label_as_the_user_would(qtbot, win, ids, truth, paths):
    """Blank by E and the red fox by searching its name; vehicles are left alone."""
    blanks = [i for i in ids if truth[paths[i]] == "blank"]
    foxes = [i for i in ids if truth[paths[i]] == "red_fox"]
    if blanks:
        win.grid.setFocus()
        select_rows(win, _rows_of(win, blanks))
        qtbot.keyClick(win.grid, Qt.Key.Key_E)
        wait_saved(qtbot, win)
    if foxes:
        select_rows(win, _rows_of(win, foxes))
        search(qtbot, win, "Red fox")
        wait_saved(qtbot, win)


def test_an_unlabeled_species_is_never_accepted_and_the_bound_is_shown_before_writing(
    qtbot, vehicle_card_window
):
    win, truth = vehicle_card_window
    with Store(win.project.db_path, readonly=True) as s:
        paths = s.image_paths()
    vehicles = {i for i, p in paths.items() if truth[p] == "vehicle"}

    # Every position of the review queue an audit; the user answers what review mode shows,
    # twelve images at a time, and the queue draws new audits as they are answered.
    win.learning.set_audit_share(1.0)
    wait_saved(qtbot, win)
    with qtbot.waitSignal(win.learning.review_ready, timeout=90000) as review:
        qtbot.keyClick(win.grid, Qt.Key.Key_R)
    for _ in range(12):
        with Store(win.project.db_path, readonly=True) as s:
            done = set(s.labeled_image_ids())
            if s.audit_counts()["answered"] >= 60:
                break
        shown = [i for i in review.args[0] if truth[paths[i]] != "vehicle" and i not in done]
        shown = shown[:12]
        with qtbot.waitSignal(win.learning.review_ready, timeout=90000) as review:
            _label_as_the_user_would(qtbot, win, shown, truth, paths)
    with Store(win.project.db_path, readonly=True) as s:
        assert s.audit_counts()["answered"] >= 60
    with qtbot.waitSignal(win.learning.head_updated, timeout=60000):
        win.learning_panel.retrain.click()

    win.learning_panel.target.setValue(90.0)
    with qtbot.waitSignal(win.learning.auto_accept_ready, timeout=60000) as blocker:
        win.learning_panel.preview.click()
    decisions, summary = blocker.args
    assert decisions, summary
    assert not vehicles & set(decisions), "a species nobody labeled is never accepted"
    blank = summary["per_species"]["blank"]
    assert blank["lower_bound"] >= 0.9 and blank["audits"] >= 29
    assert "at least" in win.learning_panel.accept_status.text()

    # Nothing is written until the person has seen the dialog and confirmed.
    win.learning_panel.accept.click()
    dialog = dialog_of(qtbot, AutoAcceptDialog)
    header = [dialog.table.horizontalHeaderItem(c).text() for c in range(6)]
    assert "Lower bound (95%)" in header and "Audits" in header
    rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    shown_bound = dialog.table.item(rows[win.project.name_of("blank")], 3).text()
    assert float(shown_bound.rstrip("%")) >= 90.0
    assert dialog.preview.count() == min(len(decisions), 200)
    with Store(win.project.db_path, readonly=True) as s:
        assert not any(s.labels(list(decisions)).values()), "written before confirmation"
    with qtbot.waitSignal(win.learning.auto_accept_ready, timeout=60000):
        dialog.accept_button.click()
        wait_saved(qtbot, win)
    with Store(win.project.db_path, readonly=True) as s:
        got = s.labels(list(decisions) + sorted(vehicles))
    assert {got[i][0].classification_method for i in decisions} == {"machine"}
    assert all(not got[i] for i in vehicles)
    right = sum(got[i][0].species_key == truth[paths[i]] for i in decisions)
    assert right / len(decisions) >= 0.9

    # One undoable action: undone and redone whole.
    reactivate(qtbot, win)
    win.grid.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    with Store(win.project.db_path, readonly=True) as s:
        assert not any(s.labels(list(decisions)).values())
    qtbot.keyClick(win, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    with Store(win.project.db_path, readonly=True) as s:
        assert all(s.labels(list(decisions)).values())

    # Correcting an auto-accepted image re-estimates that species at once.
    wrong = sorted(decisions)[0]
    before = summary["certificates"]["blank"]
    select_rows(win, [win.grid_model.row_of_image(wrong)])
    search(qtbot, win, "Red fox")
    wait_saved(qtbot, win)
    with Store(win.project.db_path, readonly=True) as s:
        fixed = s.labels([wrong])[wrong][0]
    assert fixed.species_key == "red_fox" and fixed.classification_method == "human"

    def re_estimated() -> bool:
        # The wrong acceptance counts against blank: as an error under the bound, or the
        # threshold rises above the confidence it was accepted with.
        cert = win.learning.last_plan.summary["certificates"]["blank"]
        raised = cert["threshold"] is None or cert["threshold"] > decisions[wrong][1]
        return cert["errors"] > before["errors"] or raised

    qtbot.waitUntil(re_estimated, timeout=60000)
