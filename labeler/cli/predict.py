"""``labeler predict``: scan if needed, then suggest species for every image."""

from __future__ import annotations

import argparse
import csv
import sys

from labeler.cli.common import add_common, emit, open_store, verb
from labeler.core.csvsafe import safe_cell


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="top-5 species suggestions and empty scores")
    add_common(p)
    p.add_argument(
        "--model", action="append", default=None,
        help="built-in model (lite0, lite2) or a weights file with its card; repeat to ensemble",
    )  # fmt: skip
    p.add_argument("--backend", choices=["onnx", "torch"], default="onnx")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--bursts", action="store_true", help="average suggestions over each burst")
    p.add_argument(
        "--regions", default="auto",
        help="where the animal crops come from: auto (imported or detector boxes when they cover "
        "the folder, else the built-in localizer), builtin, none (whole frame only), or the name "
        "of an imported results file or detector run",
    )  # fmt: skip
    p.add_argument("--out", help="write predictions.csv: one row per image and rank")


@verb("predict")
def cmd_predict(args: argparse.Namespace) -> int:
    """Run the models over the folder and report figures (and optionally a CSV)."""
    from inference.models import load_classifier
    from inference.weights import WeightsError
    from labeler.core.ingest import scan_to_end
    from labeler.core.predict_job import run_predict
    from labeler.core.regions import RegionSourceError, plan_regions

    models = args.model or ["lite0"]
    with open_store(args) as store:
        scan = scan_to_end(store, args.folder)
        if scan.state == "paused":
            raise SystemExit(f"labeler: {'; '.join(scan.notes)}")
        reports, model_ids = [], []
        for name in models:
            try:
                clf = load_classifier(name, backend=args.backend, device=args.device)
            except (WeightsError, ValueError, RuntimeError, OSError) as exc:
                raise SystemExit(f"labeler: cannot open model {name}: {exc}") from None
            try:
                plan = plan_regions(store, args.regions)
            except RegionSourceError as exc:
                raise SystemExit(f"labeler: {exc}") from None
            gen = run_predict(store, str(args.folder), clf, batch_size=args.batch, regions=plan)
            while True:
                try:
                    event = next(gen)
                except StopIteration as stop:
                    reports.append(stop.value)
                    break
                except WeightsError as exc:
                    # A broken model (NaN, wrong shapes) stops the run; its batch is not kept.
                    raise SystemExit(f"labeler: model {name} stopped the run: {exc}") from None
                if not args.json and event.total:
                    print(f"\r{event.done}/{event.total} images", end="", file=sys.stderr)
            if not args.json:
                print(file=sys.stderr)
            model_ids.append(store.model_id(reports[-1].model_version))
        if args.out:
            rows = write_csv(store, model_ids, args.out, bursts=args.bursts)
        failures = store.prediction_failures(model_ids[0])
    main = reports[0]
    data = {
        "images": main.images,
        "predicted": main.predicted,
        "failed": main.failed,
        "already_done": main.already_done,
        "seconds": round(sum(r.seconds for r in reports), 3),
        "images_per_second": main.images_per_second,
        "device": main.device,
        "model_version": "+".join(r.model_version for r in reports),
        "regions": main.regions,
        "cropped": main.cropped,
        "unavailable": main.unavailable,
        "paused": main.paused,
        "failures": [{"path": p, "reason": why} for p, why in failures],
    }
    if args.out:
        data["csv_rows"] = rows
    lines = [
        f"{main.images} images: {main.predicted} predicted now, {main.already_done} already done, "
        f"{main.failed} failed; {main.seconds:.1f} s ({main.images_per_second} images/s) on {main.device}",
        f"model {data['model_version']}; regions: {main.regions} ({main.cropped} images cropped)",
    ]
    if main.paused:
        lines.append(
            f"stopped early: {main.paused}; {main.unavailable} images left for the next run"
        )
    lines += [f"failed: {p}: {why}" for p, why in failures[:20]]
    if len(failures) > 20:
        lines.append(f"... and {len(failures) - 20} more failures")
    if args.out:
        lines.append(f"wrote {rows} rows to {args.out}")
    emit(args, data, "\n".join(lines))
    return 3 if main.paused else 0


def write_csv(store, model_ids: list[int], out: str, *, bursts: bool) -> int:
    """predictions.csv: path, rank, species, scientific name, score, empty score, model version."""
    from labeler.core.predict_job import suggestion_view

    view = suggestion_view(store, model_ids, bursts=bursts)
    species = {s.key: s for s in store.species()}
    first = model_ids[0]
    info = {image_id: (path, empty) for image_id, path, empty in store.predicted_paths(first)}
    versions = "+".join(store.model_version(m) or "" for m in model_ids)
    n = 0
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["path", "rank", "species", "scientific_name", "score", "empty_score", "model_version"]
        )
        for image_id, (path, empty) in info.items():
            for rank, (label, score) in enumerate(view.get(image_id, []), start=1):
                s = species.get(label)
                w.writerow([
                    safe_cell(path), rank, safe_cell(s.common_name if s else label),
                    safe_cell(s.scientific_name if s and s.scientific_name else ""),
                    round(score, 6), "" if empty is None else round(empty, 6), safe_cell(versions),
                ])  # fmt: skip
                n += 1
    return n
