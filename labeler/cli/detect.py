"""``labeler detect``: find animals with a detector model file (ONNX) the user points at."""

from __future__ import annotations

import argparse

from labeler.cli.common import add_common, emit, open_store, verb
from labeler.cli.progress import drive


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="find animal boxes with a detector ONNX file (MegaDetector v5/v6-style exports)",
    )
    add_common(p)
    p.add_argument("--model", required=True, help="the detector's .onnx file")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where to run the detector (auto: the GPU when there is one)")  # fmt: skip
    p.add_argument(
        "--min-conf", type=float, default=0.05,
        help="keep boxes at least this confident (0-1; predictions crop from boxes >= 0.2)",
    )  # fmt: skip
    p.add_argument("--batch", type=int, default=8, help="images per detector batch (1-256)")


@verb("detect")
def cmd_detect(args: argparse.Namespace) -> int:
    """Run the detector over the folder; its boxes become the regions later predictions crop."""
    from inference.detector import Detector
    from inference.weights import WeightsError
    from labeler.cli.scan import scan_with_progress
    from labeler.core.detect_job import run_detect

    if not 0.0 <= args.min_conf <= 1.0:
        raise SystemExit(f"labeler: --min-conf must be between 0 and 1, not {args.min_conf}")
    if not 1 <= args.batch <= 256:
        raise SystemExit(f"labeler: --batch must be between 1 and 256, not {args.batch}")
    try:
        detector = Detector(args.model, device=args.device, min_conf=args.min_conf)
    except (WeightsError, RuntimeError, OSError) as exc:
        raise SystemExit(
            f"labeler: cannot use detector {args.model}: {exc}; predictions continue to use "
            "the built-in regions"
        ) from None
    with open_store(args) as store:
        scan = scan_with_progress(store, args.folder, args)
        if scan.state == "paused":
            raise SystemExit(f"labeler: {'; '.join(scan.notes)}")
        gen = run_detect(store, str(args.folder), detector, batch_size=args.batch)
        report = drive(gen, args, "detect", "images")
    lines = [
        f"{report.images} images: {report.detected} looked at now, {report.already_done} already "
        f"done, {report.failed} failed; {report.boxes} boxes; {report.seconds:.1f} s on {report.device}",
        f"regions saved as {report.source!r}; `labeler predict` crops from them when they cover "
        "the folder (or pass --regions with that name)",
    ]
    if report.paused:
        lines.append(f"stopped early: {report.paused}; {report.unavailable} images left")
    emit(args, report.to_json(), "\n".join(lines))
    return 3 if report.paused else 0
