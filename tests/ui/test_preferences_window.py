"""Preferences, the species list and About, reached through the menus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from labeler.core.store import Store
from labeler.ui.commands import Command
from labeler.ui.info_dialogs import AboutDialog
from labeler.ui.preferences import PreferencesDialog
from labeler.ui.species_dialog import SpeciesDialog
from tests.ui.helpers import dialog_of, go_to, labels, trigger, wait_saved


def open_preferences(qtbot, win) -> PreferencesDialog:
    qtbot.keyClick(win.grid, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    return dialog_of(qtbot, PreferencesDialog)


def save(dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_the_observer_name_goes_on_every_decision_from_then_on(qtbot, window):
    win = window
    dialog = open_preferences(qtbot, win)
    dialog.observer.setText("Ana Ruiz")
    save(dialog)
    go_to(win, "A/IMG_0000.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_H)
    wait_saved(qtbot, win)
    with Store(win.project.db_path, readonly=True) as s:
        image = s.image_ids_by_path()["A/IMG_0000.JPG"]
        assert s.labels([image])[image][0].classified_by == "Ana Ruiz"
        assert s.image_history(image)[-1]["author"] == "Ana Ruiz"
    assert win.settings.value("observer") == "Ana Ruiz"


def test_a_key_given_to_two_commands_is_refused_and_a_free_one_is_used(qtbot, window):
    win = window
    dialog = open_preferences(qtbot, win)
    dialog.set_key(Command.BLANK, "H")  # H marks human
    assert "already used" in dialog.message.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    dialog.set_key(Command.BLANK, "K")
    assert dialog.message.text() == ""
    save(dialog)
    go_to(win, "A/IMG_0001.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_K)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_0001.JPG"] == ["blank"]
    dialog = open_preferences(qtbot, win)
    dialog.restore_default_keys()
    save(dialog)
    go_to(win, "A/IMG_0002.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_E)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_0002.JPG"] == ["blank"]


def test_burst_gap_audit_share_and_target_are_kept_and_used(qtbot, window):
    win = window
    dialog = open_preferences(qtbot, win)
    dialog.gap.setValue(7200)
    dialog.audit.setValue(10)
    dialog.target.setValue(90)
    with qtbot.waitSignal(win.project.snapshot_loaded, timeout=30000):
        save(dialog)
    # Two hours: camera A's hourly frames join its first burst (7 frames in one burst).
    with Store(win.project.db_path, readonly=True) as s:
        assert s.get_meta("burst_gap_s") == 7200
    snap = win.project.snapshot
    a = [snap.row_of(i) for i, p in zip(snap.ids, snap.paths, strict=True) if p.startswith("A/")]
    assert len({int(snap.seq[r]) for r in a}) == 1 and int(snap.burst_size[a[0]]) == 7
    assert win.learning_panel.target.value() == 90
    # The audit share is the open project's (its review draws the audits).
    qtbot.waitUntil(lambda: win.project.reader.get_meta("audit_share") == 0.10, timeout=10000)


def test_species_are_renamed_merged_hidden_and_unused_ones_deleted(qtbot, window):
    win = window
    go_to(win, "A/IMG_010.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_Slash)
    qtbot.keyClicks(win.panel.search, "Jnuk")
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    qtbot.keyClick(win.panel.search, Qt.Key.Key_Return)
    wait_saved(qtbot, win)
    qtbot.waitUntil(lambda: labels(win)["IMG_010.JPG"] == ["jnuk"], timeout=10000)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    go_to(win, "A/IMG_011.JPG", qtbot)
    qtbot.keyClick(win.grid, Qt.Key.Key_V)
    wait_saved(qtbot, win)
    trigger(win, Command.SPECIES)
    dialog = dialog_of(qtbot, SpeciesDialog)
    assert "jnuk" in dialog.keys
    with qtbot.waitSignal(win.flows.species_updated, timeout=20000):
        dialog.delete_button.click()
    assert "jnuk" not in dialog.keys and "jnuk" not in win.project.names

    dialog.select("red_fox")
    row = dialog.keys.index("red_fox")
    with qtbot.waitSignal(win.flows.species_updated, timeout=20000):
        dialog.table.item(row, 0).setText("Renard roux")
    assert win.project.name_of("red_fox") == "Renard roux"

    dialog.select("vehicle")
    dialog.merge_target.setCurrentIndex(dialog.merge_target.findData("human"))
    with qtbot.waitSignal(win.flows.species_updated, timeout=20000):
        dialog.merge_button.click()
    wait_saved(qtbot, win)
    assert labels(win)["IMG_011.JPG"] == ["human"]
    assert not next(s for s in win.project.reader.species() if s.key == "vehicle").active
    dialog.close()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    qtbot.keyClick(win.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_saved(qtbot, win)
    assert labels(win)["IMG_011.JPG"] == ["vehicle"], "a merge is one step of undo"

    trigger(win, Command.SPECIES)
    dialog = dialog_of(qtbot, SpeciesDialog)
    dialog.select("aardwolf")
    with qtbot.waitSignal(win.flows.species_updated, timeout=20000):
        dialog.hide_button.click()
    assert "aardwolf" not in {k for k, _n, _s in win.species_model.items}


def test_about_names_the_version_model_data_folder_and_log(qtbot, window):
    import labeler
    from labeler.core.applog import log_path

    win = window
    trigger(win, Command.ABOUT)
    dialog = dialog_of(qtbot, AboutDialog)
    assert dialog.facts["Version"] == labeler.__version__
    assert "tiny" in dialog.facts["Model in use"]
    assert dialog.facts["Log file"] == str(log_path()) and log_path().is_file()
    assert dialog.facts["Data folder"]
