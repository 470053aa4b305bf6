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
        self.names = {}
        self.samples: Counter = Counter()
        self.stalled = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(SAMPLE_EVERY_S):
            beat = self.last_beat()
            if beat is None or time.perf_counter() - beat < self.late_s:
                continue
            self.stalled += 1
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == self.ident:
                    continue
                who = "GUI" if ident == self.main else names.get(ident, str(ident))
                self.samples[(who, _where(frame))] += 1

    def stop(self) -> None:
        """Stop sampling."""
        self._halt.set()
        self.join(1)

    def report(self, top: int = 12) -> list[str]:
        """The stacks seen most often during stalls, most frequent first."""
        lines = [
            f"{self.stalled} samples while the event loop was >{self.late_s * 1000:.0f} ms late"
        ]
        for (who, where), n in self.samples.most_common(top):
            lines.append(f"{n:5d}  [{who}] " + "  <  ".join(where[:3]))
        return lines
