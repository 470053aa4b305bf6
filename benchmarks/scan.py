"""Scan throughput: first scan and rescan of a generated card of JPEGs with EXIF, and a SIGKILL resume.

Usage: python benchmarks/scan.py [--files 20000] [--keep DIR]
Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler.core.ingest import scan_to_end  # noqa: E402
from labeler.core.store import Store  # noqa: E402
from tests.gen import build_burst_tree  # noqa: E402


def kill_and_resume(card: Path, db: Path, total: int) -> dict:
    """Start a scan in a subprocess, SIGKILL it mid-way, rescan, and check the catalog."""
    cmd = [sys.executable, "-m", "labeler", "scan", str(card), "--db", str(db), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    committed = 0
    target = total // 3
    while proc.poll() is None:
        if db.exists():
            try:
                with Store(db, readonly=True) as s:
                    committed = s.scalar("SELECT count(*) FROM images") or 0
            except Exception:
                committed = 0
            if committed >= target:
                break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(db) as s:
        before = s.scalar("SELECT count(*) FROM images")
        t = time.perf_counter()
        report = scan_to_end(s, card)
        resume_s = time.perf_counter() - t
        rows = s.scalar("SELECT count(*) FROM images")
        distinct = s.scalar("SELECT count(DISTINCT path) FROM images")
        integrity = s.integrity_check()
    return {
        "committed_before_kill": before,
        "inspected_after_restart": report.inspected,
        "rescanned_committed": report.inspected - (total - before),
        "rows": rows,
        "duplicate_rows": rows - distinct,
        "integrity": integrity,
        "resume_seconds": round(resume_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="scanbench-"))
    card = work / "card"
    try:
        if not card.exists():
            t = time.perf_counter()
            counts = build_burst_tree(
                card, args.files, burst=3, cameras=8, size=(320, 240), bad_every=97
            )
            print(
                f"generated {args.files} files ({counts['bad']} bad) in {time.perf_counter() - t:.1f} s"
            )
        size_mb = sum(p.stat().st_size for p in card.rglob("*") if p.is_file()) / 1e6
        db = work / "bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        with Store(db) as s:
            first = scan_to_end(s, card)
            print(
                f"first scan: {first.files} files, {first.seconds:.2f} s, "
                f"{first.files / first.seconds:.0f} files/s; bursts {first.sequences}; "
                f"status {first.status}"
            )
            again = scan_to_end(s, card)
            print(
                f"rescan: {again.files} files, {again.seconds:.3f} s, "
                f"{again.files / again.seconds:.0f} files/s, inspected {again.inspected}"
            )
        kdb = work / "kill.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(kdb) + suffix).unlink(missing_ok=True)
        kill = kill_and_resume(card, kdb, first.files)
        print(f"SIGKILL mid-scan, then rescan: {kill}")
        result = {
            "files": first.files,
            "card_mb": round(size_mb, 1),
            "first_scan_s": first.seconds,
            "first_scan_files_per_s": round(first.files / first.seconds, 1),
            "rescan_s": again.seconds,
            "rescan_files_per_s": round(again.files / again.seconds, 1),
            "sequences": first.sequences,
            "status": first.status,
            "cpu_count": os.cpu_count(),
            "kill_resume": kill,
        }
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
