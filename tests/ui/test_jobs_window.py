"""Every job's errors and warnings reach the status bar, the log file and the tests; Cancel
stops the long ones; GPU jobs take turns on one lane."""

from __future__ import annotations

import threading

from labeler.core.applog import log_path
from labeler.core.jobs import JobKind, JobWarning, Progress
from labeler.ui.commands import Command
from labeler.ui.workers import WorkerRunner
from tests.ui.helpers import trigger


def broken_scan(store, *, should_stop):
    """A job that fails half-way (run in a child process, as scans are)."""
    yield Progress(1, 3)
    raise RuntimeError("the card was pulled out")


def test_a_failing_job_is_shown_logged_and_signalled(qtbot, window):
    win = window
    jobs = win.project.jobs
    with qtbot.waitSignal(jobs.failed, timeout=20000) as blocker:
        jobs.run(JobKind.SCAN, broken_scan)
    assert blocker.args[0] is JobKind.SCAN and "card was pulled out" in blocker.args[1]
    assert "card was pulled out" in win.statusBar().currentMessage()
    assert win.status.notices.isVisible() and win.status.notices.text().startswith("⚠")
    assert "card was pulled out" in log_path().read_text()
    assert "Traceback" in log_path().read_text()
    assert not win.status.cancel.isVisible(), "the status bar is free again"


def test_a_warning_of_a_job_is_shown_and_logged_and_the_job_goes_on(qtbot, window):
    win = window
    jobs = win.project.jobs

    def warns(store, *, should_stop):
        yield JobWarning("3 images could not be read")
        return "done"

    with qtbot.waitSignal(jobs.warned, timeout=10000) as blocker:
        jobs.run(JobKind.BACKUP, warns, on_result=lambda r: f"backup {r}")
    assert blocker.args == [JobKind.BACKUP, "3 images could not be read"]
    qtbot.waitUntil(lambda: not jobs.is_running(JobKind.BACKUP), timeout=10000)
    assert "Backing up: 3 images could not be read" in log_path().read_text()
    assert "Backing up: 3 images could not be read" in jobs.notices


def test_scan_notes_reach_the_user_as_warnings(qtbot, window, burst_card):
    from tests.gen import jpeg_bytes, write

    win = window
    write(burst_card / "C" / "no_time.jpg", jpeg_bytes((64, 48), seed=3, make=None, model=None))
    with qtbot.waitSignal(win.project.jobs.warned, timeout=30000) as blocker:
        trigger(win, Command.RESCAN)
    assert blocker.args[0] is JobKind.SCAN and "no capture time" in blocker.args[1]


def test_gpu_jobs_run_one_at_a_time_and_a_waiting_one_can_be_cancelled(qtbot):
    runner = WorkerRunner(max_threads=3)
    release = threading.Event()
    running = []
    order = []

    def gpu_job(name, *, should_stop):
        running.append(name)
        order.append((name, len(running)))
        if name == "first":
            release.wait(10)
        running.remove(name)
        return name

    first = runner.start(gpu_job, "first", gpu=True)
    qtbot.waitUntil(lambda: running == ["first"], timeout=5000)
    second = runner.start(gpu_job, "second", gpu=True)
    third = runner.start(gpu_job, "third", gpu=True)
    cpu = runner.start(gpu_job, "cpu")
    qtbot.waitUntil(cpu.done.is_set, timeout=5000)
    assert runner.waiting_for_gpu(second) and runner.waiting_for_gpu(third)
    with qtbot.waitSignal(third.signals.finished, timeout=5000):
        runner.cancel(third)
    with qtbot.waitSignal(second.signals.finished, timeout=10000):
        release.set()
    assert [n for n, _ in order] == ["first", "cpu", "second"], order
    assert all(k == 1 for n, k in order if n != "cpu"), "never two GPU jobs at once"
    assert first.done.is_set() and third.done.is_set()
    runner.shutdown(5000)


def test_the_window_queues_a_second_gpu_job_behind_the_first(qtbot, window):
    win = window
    jobs = win.project.jobs
    jobs.isolate = False  # the lane, not the child processes, is under test here
    release = threading.Event()
    ran = []

    def hold(store, *, should_stop):
        ran.append("predict")
        release.wait(10)
        return "held"

    def tune(store, *, should_stop):
        ran.append("fine-tune")
        return "tuned"

    jobs.run(JobKind.PREDICT, hold)
    qtbot.waitUntil(lambda: ran == ["predict"], timeout=5000)
    jobs.run(JobKind.FINE_TUNE, tune)
    assert "waiting for the GPU" in win.status.progress_label.text() or jobs.runner.gpu_waiting
    assert ran == ["predict"]
    with qtbot.waitSignal(
        jobs.finished, timeout=10000, check_params_cb=lambda k, m: k is JobKind.FINE_TUNE
    ):
        release.set()
    assert ran == ["predict", "fine-tune"]
