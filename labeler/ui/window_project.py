"""The window's project features: learning (retrain, review, auto-accept), exports, imports,
deployments. Mixed into :class:`labeler.ui.main_window.MainWindow`."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from labeler.ui.exchange_ui import EXPORTS, DeploymentsDialog


class ProjectFeaturesMixin:
    """Learning and exchange handlers of the main window."""

    def _connect_learning(self) -> None:
        lp, lc = self.learning_panel, self.learning
        lp.retrain_requested.connect(lc.retrain)
        lp.retrain_every_changed.connect(lambda n: setattr(lc, "retrain_every", n))
        lp.imbalance_changed.connect(lambda k: setattr(lc, "imbalance", k))
        lp.review_toggled.connect(self.set_review_mode)
        lp.strategy_changed.connect(self._on_learning_strategy_changed)
        lp.fine_tune_requested.connect(lc.start_fine_tune)
        lp.cancel_requested.connect(lc.cancel_fine_tune)
        lp.preview_requested.connect(lc.preview_auto_accept)
        lp.accept_requested.connect(self._on_learning_accept_requested)
        lc.head_updated.connect(self._on_learning_head_updated)
        lc.metrics_ready.connect(lp.show_metrics)
        lc.training_progress.connect(lp.show_progress)
        lc.training_finished.connect(lp.show_finished)
        lc.auto_accept_ready.connect(self._on_learning_auto_accept_ready)
        lc.review_ready.connect(
            lambda _order: self.apply_filter() if self.spec.order == "review" else None
        )

    def _on_learning_strategy_changed(self, strategy: str) -> None:
        self.learning.strategy = strategy
        if self.spec.order == "review":
            self.learning.compute_review()

    def _on_learning_head_updated(self, summary: dict) -> None:
        self.learning_panel.show_head(summary)
        acc = summary.get("cv_accuracy")
        state = "learned" if summary.get("accepted") else "kept the current model"
        self.statusBar().showMessage(
            f"Retrained on {summary.get('labels')} labels ({state}; CV accuracy {acc})", 8000
        )

    def _on_learning_auto_accept_ready(self, decisions: dict, summary: dict) -> None:
        self._auto_accept = (decisions, summary)
        self.learning_panel.show_auto_accept(decisions, summary)

    def _on_learning_accept_requested(self) -> None:
        if self._auto_accept is None:
            return
        decisions, summary = self._auto_accept
        self._auto_accept = None
        self.learning_panel.accept.setEnabled(False)
        self.learning.apply_auto_accept(decisions, summary)

    def set_review_mode(self, on: bool) -> None:
        """Review mode: unlabeled images, most useful first; the user just keeps pressing keys."""
        self.learning_panel.review.blockSignals(True)
        self.learning_panel.review.setChecked(on)
        self.learning_panel.review.blockSignals(False)
        if on:
            if self.order_combo.findData("review") < 0:
                self.order_combo.addItem("Most useful first (review)", "review")
            self.filter_combo.blockSignals(True)
            self.filter_combo.setCurrentIndex(self.filter_combo.findData("unlabeled"))
            self.filter_combo.blockSignals(False)
            self.order_combo.setCurrentIndex(self.order_combo.findData("review"))
            self.learning.compute_review()
        else:
            self.order_combo.setCurrentIndex(self.order_combo.findData("time"))
        self.grid.setFocus()

    def choose_export(self, kind: str) -> None:
        """Ask where to write an export, then run it in the background."""
        text, pattern, name = EXPORTS[kind]
        start = os.path.join(os.path.expanduser("~"), name)
        if pattern is None:
            out = QFileDialog.getExistingDirectory(self, f"Folder for the {text.rstrip('…')}")
            if out:
                out = os.path.join(out, name)
        else:
            out, _ = QFileDialog.getSaveFileName(self, text.rstrip("…"), start, pattern)
        if out:
            self.exchange.export(kind, out)

    def choose_import(self, kind: str) -> None:
        """Ask for a file to import."""
        pattern = "CSV (*.csv)" if kind == "csv" else "JSON (*.json)"
        source, _ = QFileDialog.getOpenFileName(self, "Import", os.path.expanduser("~"), pattern)
        if source:
            self.exchange.import_file(kind, source)

    def _on_exchange_finished(self, kind: str, report: dict) -> None:
        self._on_controller_job_finished("export", "")
        problems = report.get("problems", [])
        if kind.startswith("import"):
            text = (f"Imported: {report.get('images_updated', report.get('matched', 0))} images; "
                    f"{len(report.get('unmatched', []))} rows match no image; {len(report.get('refused', []))} refused")  # fmt: skip
        else:
            text = f"Exported to {report.get('path')}: " + ", ".join(
                f"{k} {v}" for k, v in report.items() if k not in ("path", "problems"))  # fmt: skip
        self.statusBar().showMessage(text, 15000)
        if problems:
            # Not modal: the notes stay open beside the work.
            box = QMessageBox(QMessageBox.Icon.Information, "Export written, with notes", "\n\n".join(problems),
                              QMessageBox.StandardButton.Ok, self)  # fmt: skip
            box.setModal(False)
            box.show()
            self.export_notes = box
        self.last_exchange_report = report

    def locate_missing_folder(self, folder: str, db: str | None = None) -> None:
        """A catalog's folder is gone (card not inserted, or moved): offer to locate it."""
        box = QMessageBox(QMessageBox.Icon.Question, "Folder not found",
                          f"{folder} is not there. Is the card inserted? If the images moved, locate "
                          "their new folder: the catalog and every label come along.",
                          QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        locate = box.addButton("Locate…", QMessageBox.ButtonRole.AcceptRole)
        locate.clicked.connect(lambda: self._relink_to_chosen(folder, db))
        box.setModal(False)
        self.missing_folder_box = box
        box.show()

    def _relink_to_chosen(self, old: str, db: str | None) -> None:
        from labeler.core.identity import DifferentFolder, relink

        new = QFileDialog.getExistingDirectory(self, f"Where is {os.path.basename(old)} now?")
        if not new:
            return
        try:
            done = relink(old, new, db=db)
        except (DifferentFolder, OSError) as exc:
            self.statusBar().showMessage(f"Not relinked: {exc}", 20000)
            return
        self.statusBar().showMessage(f"{new}: {done.labeled} labeled images kept from {old}", 15000)
        self.open_folder(new, db)

    def edit_deployments(self) -> None:
        """Edit deployments in a table; saved through the writer."""
        if self.controller.reader is None:
            return
        dialog = DeploymentsDialog(self.controller.reader.deployments(), self)
        self.deployments_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values, problems = dialog.values()
        if problems:
            QMessageBox.warning(self, "Some values were not saved", "\n".join(problems))
        self.save_deployments(values)

    def save_deployments(self, values: dict[str, dict]) -> None:
        """Store edited deployment facts through the writer."""

        def save(store):
            for folder, facts in values.items():
                store.set_deployment(folder, **{k: v for k, v in facts.items()})
            return len(values)

        self.controller.submit(
            save, on_done=lambda n: self.statusBar().showMessage(f"Saved {n} deployments", 6000)
        )
