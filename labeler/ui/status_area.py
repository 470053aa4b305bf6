"""The status bar: counts, selection, what is running (progress and Cancel), the device, the
saved state, and the notices of every job (warnings and errors, also in the log file)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QPushButton, QToolButton

from labeler.core.jobs import JobKind
from labeler.ui.job_controller import JobController

ERROR_STYLE = "color: #c03030; font-weight: bold"


class StatusArea:
    """Builds the status bar's widgets and keeps them current from the job signals."""

    def __init__(self, window: QMainWindow, jobs: JobController):
        self.window = window
        self.jobs = jobs
        sb = window.statusBar()
        self.counts = QLabel("")
        self.selection = QLabel("")
        self.saved = QLabel("All changes saved")
        self.device = QLabel("")
        self.progress = QProgressBar(window)
        self.progress.setFixedWidth(180)
        self.progress.setVisible(False)
        self.progress_label = QLabel("")
        self.cancel = QPushButton("Cancel", window)
        self.cancel.setVisible(False)
        self.cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel.clicked.connect(lambda: jobs.cancel())
        self.notices = QToolButton(window)
        self.notices.setAutoRaise(True)
        self.notices.setVisible(False)
        self.notices.setToolTip("Warnings and errors of the background jobs (also in the log)")
        self._progress: dict[JobKind, tuple[int, int, str]] = {}
        # Counts and the saved state stay visible while messages come and go on the left.
        for w in (self.counts, self.selection, self.progress_label, self.progress, self.cancel,
                  self.notices, self.device, self.saved):  # fmt: skip
            sb.addPermanentWidget(w)
        jobs.progress.connect(self._on_jobs_progress)
        jobs.finished.connect(self._on_jobs_finished)
        jobs.failed.connect(self._on_jobs_failed)
        jobs.warned.connect(self._on_jobs_warned)
        jobs.busy_changed.connect(self._on_jobs_busy_changed)
        jobs.status.connect(lambda m: self.message(m))

    def message(self, text: str, ms: int = 10000) -> None:
        """A passing message on the left of the status bar."""
        self.window.statusBar().showMessage(text, ms)

    def _on_jobs_progress(self, kind: JobKind, done: int, total: int, text: str) -> None:
        old = self._progress.get(kind, (0, 0, ""))
        self._progress[kind] = (done or old[0], total or old[1], text or old[2])
        self._show()

    def _show(self) -> None:
        if not self._progress:
            self.progress.setVisible(False)
            self.cancel.setVisible(False)
            self.progress_label.setText("")
            return
        kind, (done, total, text) = next(reversed(self._progress.items()))
        others = len(self._progress) - 1
        self.progress.setVisible(True)
        self.cancel.setVisible(True)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total else 0)
        figures = f" {done}/{total}" if total else ""
        extra = f" ({text})" if text else ""
        more = f" + {others} more" if others else ""
        self.progress_label.setText(f"{kind.verb}{figures}{extra}{more}")

    def _on_jobs_finished(self, kind: JobKind, message: str) -> None:
        self._progress.pop(kind, None)
        self._show()
        if message:
            self.message(message)

    def _on_jobs_failed(self, kind: JobKind, message: str) -> None:
        self._progress.pop(kind, None)
        self._show()
        self.message(message, 20000)
        self._count_notice(error=True)

    def _on_jobs_warned(self, kind: JobKind, message: str) -> None:
        self.message(f"{kind.verb}: {message}", 15000)
        self._count_notice(error=False)

    def _count_notice(self, error: bool) -> None:
        n = len(self.jobs.notices)
        self.notices.setText(f"⚠ {n}")
        self.notices.setVisible(n > 0)
        if error:
            self.notices.setStyleSheet(ERROR_STYLE)

    def _on_jobs_busy_changed(self, busy: bool) -> None:
        if not busy:
            self._progress.clear()
            self._show()

    def set_saved(self, saved: bool, text: str) -> None:
        """The saved state: red until the writer has committed everything."""
        self.saved.setText(text)
        self.saved.setStyleSheet("" if saved else ERROR_STYLE)
