"""A sampling profiler for event-loop stalls: when the GUI heartbeat is late, note what every
thread is running, and report the places seen most often during stalls.

Used by ``ui_responsiveness.py --profile``. It samples ``sys._current_frames()`` from its own
thread every couple of milliseconds while the heartbeat is overdue; a stall caused by another
thread holding the interpreter shows as that thread's frames, one caused by the GUI thread's own
work as the GUI thread's frames.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import Counter

SAMPLE_EVERY_S = 0.002
DEPTH = 6


def _where(frame) -> tuple[str, ...]:
    """The innermost frames of a stack, as ``file:line function`` texts (innermost first)."""
    out = []
    for fs in reversed(traceback.extract_stack(frame)[-DEPTH:]):
        name = fs.filename.rsplit("/", 2)
        out.append(f"{'/'.join(name[-2:])}:{fs.lineno} {fs.name}")
    return tuple(out)


class StallSampler(threading.Thread):
    """Samples every thread while the heartbeat is more than ``late_ms`` overdue."""

    def __init__(self, heartbeat_s: callable, late_ms: float = 25.0):
        super().__init__(name="stall-sampler", daemon=True)
        # Returns the perf_counter time of the last beat, or None while nothing is measured.
        self.last_beat = heartbeat_s
        self.late_s = late_ms / 1000
        self.main = threading.main_thread().ident
        self.native_names: dict[str, str] = {}
        self.timeline: list[tuple[float, str, tuple[str, ...]]] = []
        self.samples: Counter = Counter()
        self.stalled = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(SAMPLE_EVERY_S):
            for t in threading.enumerate():
                if t.native_id is not None:
                    self.native_names[str(t.native_id)] = t.name
            beat = self.last_beat()
            if beat is None or time.perf_counter() - beat < self.late_s:
                continue
            self.stalled += 1
            names = {t.ident: t.name for t in threading.enumerate()}
            now = time.time()
            for ident, frame in sys._current_frames().items():
                if ident == self.ident:
                    continue
                who = "GUI" if ident == self.main else names.get(ident, str(ident))
                where = _where(frame)
                self.samples[(who, where)] += 1
                if who != "GUI":
                    self.timeline.append((now, who, where[:2]))

    def stop(self) -> None:
        """Stop sampling."""
        self._halt.set()
        self.join(1)

    def first_after(self, start: float, end: float) -> list[str]:
        """What the other threads were doing when sampling first caught up in a stall."""
        seen = [(t, who, where) for t, who, where in self.timeline if start <= t <= end + 0.01]
        if not seen:
            return []
        t0 = seen[0][0]
        return sorted({f"{who}: {' < '.join(where)}" for t, who, where in seen if t - t0 < 0.003})

    def report(self, top: int = 12) -> list[str]:
        """The stacks seen most often during stalls, most frequent first."""
        lines = [
            f"{self.stalled} samples while the event loop was >{self.late_s * 1000:.0f} ms late"
        ]
        for (who, where), n in self.samples.most_common(top):
            lines.append(f"{n:5d}  [{who}] " + "  <  ".join(where[:3]))
        return lines


class GcPauses:
    """Durations of the cyclic collector's passes (they pause every Python thread)."""

    def __init__(self) -> None:
        import gc

        self.gc = gc
        self.started = 0.0
        self.pauses: list[tuple[int, float]] = []
        self.census = ""
        self.long: list[tuple[float, int, float]] = []
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        ms = (time.perf_counter() - self.started) * 1000
        self.pauses.append((info["generation"], ms))
        if ms > 50:
            self.long.append((time.time(), info["generation"], ms))
        if ms > 50 and not self.census:
            # What the collector had to walk: the tracked objects by type (once).
            from collections import Counter

            kinds = Counter(type(o).__name__ for o in self.gc.get_objects())
            self.census = f"{sum(kinds.values())} tracked objects: " + ", ".join(
                f"{k} {n}" for k, n in kinds.most_common(8)
            )
            self.census += f"; frozen {self.gc.get_freeze_count()}"

    def stop(self) -> None:
        """Stop timing."""
        self.gc.callbacks.remove(self._on_gc)

    def report(self) -> str:
        """How many passes, and the longest of each generation."""
        longest: dict[int, float] = {}
        for gen, ms in self.pauses:
            longest[gen] = max(longest.get(gen, 0.0), ms)
        parts = ", ".join(f"gen {g}: longest {ms:.1f} ms" for g, ms in sorted(longest.items()))
        text = f"{len(self.pauses)} collector passes ({parts or 'none'})"
        return text + (f"\nat the first long pass: {self.census}" if self.census else "")


CONTROL = """
import sys, time
late = []
last = time.perf_counter()
while True:
    time.sleep(0.005)
    now = time.perf_counter()
    lag = (now - last - 0.005) * 1000
    last = now
    if lag > 10:
        late.append((time.time(), lag))
        print(f"{time.time():.3f} {lag:.1f}", flush=True)
"""


class SchedulerProbe:
    """A separate idle process with the same 5 ms heartbeat: how late it runs is the machine's
    own scheduling noise (other processes), which no window can do better than."""

    def __init__(self) -> None:
        import subprocess

        self.proc = subprocess.Popen([sys.executable, "-c", CONTROL], stdout=subprocess.PIPE,
                                     text=True)  # fmt: skip

    def stop(self) -> list[tuple[float, float]]:
        """Stop the probe; (wall time, lateness in ms) of each tick more than 10 ms late."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return [
            (float(a), float(b)) for a, b in (line.split() for line in out.splitlines() if line)
        ]


def worst_in(late: list[tuple[float, float]], start: float, end: float) -> float:
    """The probe's worst lateness between two wall-clock times (0 when never late)."""
    return max((lag for t, lag in late if start <= t <= end), default=0.0)


SCHED = r"""
import json, os, sys, time
from array import array
pid = int(sys.argv[1])
step = 0.005
times = array("d")
series = {}  # tid -> (runtime array, delay array), aligned with times from its first sample
first = {}
names = {}
stop_file = sys.argv[2]
while not os.path.exists(stop_file):
    now = time.time()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        break
    times.append(now)
    k = len(times) - 1
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run, delay, _ = f.read().split()
        except OSError:
            continue
        if tid not in series:
            series[tid] = (array("q"), array("q"))
            first[tid] = k
            try:
                names[tid] = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            except OSError:
                names[tid] = "?"
        r, d = series[tid]
        while first[tid] + len(r) < k:  # a missed read: repeat the last value
            r.append(r[-1] if len(r) else int(run)); d.append(d[-1] if len(d) else int(delay))
        r.append(int(run)); d.append(int(delay))
    time.sleep(step)
stalls = json.loads(sys.stdin.read() or "[]")
import bisect
out = []
for start, end in stalls:
    i, j = bisect.bisect_left(times, start), bisect.bisect_right(times, end) - 1
    if j <= i:
        continue
    per = {}
    for tid, (r, d) in series.items():
        a, b = i - first[tid], j - first[tid]
        if a < 0 or b >= len(r):
            continue
        per[tid] = ((r[b] - r[a]) / 1e6, (d[b] - d[a]) / 1e6)
    out.append({"start": start, "end": end, "threads": {t: [names.get(t, "?"), round(v[0], 1), round(v[1], 1)] for t, v in per.items() if v[0] > 1 or v[1] > 1}})
print(json.dumps(out))
"""


class ThreadCpuProbe:
    """Another process reads, every 5 ms, how long each thread of this process ran and how long
    it waited for a CPU (``/proc/<pid>/task/<tid>/schedstat``, Linux). For each stall it tells
    whether the GUI thread was waiting for a CPU (the machine was busy), running (its own work)
    or neither (blocked on the interpreter lock, while another thread ran)."""

    def __init__(self) -> None:
        import os
        import subprocess
        import tempfile

        self.available = os.path.exists(f"/proc/{os.getpid()}/task")
        self.stop_file = tempfile.mktemp(prefix="stallprobe-")
        self.proc = None
        if self.available:
            self.proc = subprocess.Popen([sys.executable, "-c", SCHED, str(os.getpid()), self.stop_file],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip

    def explain(self, stalls: list[tuple[float, float]]) -> list[dict]:
        """Stop the probe and account for each (start, end) wall-clock stall."""
        import json
        import pathlib

        if self.proc is None:
            return []
        pathlib.Path(self.stop_file).touch()
        out, _ = self.proc.communicate(json.dumps(stalls), timeout=60)
        pathlib.Path(self.stop_file).unlink(missing_ok=True)
        return json.loads(out or "[]")
