"""Process-wide settings shared by the window and the command line."""

from __future__ import annotations

import gc

# Exports, imports and scans create millions of short-lived objects while large lists of rows
# stay alive; with CPython's default young-generation threshold (700) the collector runs
# thousands of times per export (benchmarks/export.py prints the MegaDetector export under both
# settings). Collecting young objects every 50,000 allocations keeps that cost small and full
# collections, which pause every thread, rare.
GC_THRESHOLDS = (50_000, 20, 20)


def relax_gc() -> None:
    """Collect young objects less often (for programs that hold large tables of rows)."""
    gc.set_threshold(*GC_THRESHOLDS)
