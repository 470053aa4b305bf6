"""``labeler predict``: scan if needed, then suggest species for every image."""

from __future__ import annotations

import argparse
import csv
import os

from labeler.cli.common import add_common, emit, fail, open_store, output_file, ranged, verb
from labeler.cli.progress import drive, waiting
from labeler.core.csvsafe import safe_cell
from labeler.core.exchange.atomic import atomic_output

MAX_BATCH = 1024
# Seconds a one-time ONNX export of a built-in model takes on a laptop CPU (measured: lite0
# about 18 s); the progress bar counts against it.
EXPORT_SECONDS = {"lite0": 20.0, "lite2": 40.0}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="top-5 species suggestions and empty scores")
    add_common(p)
    p.add_argument(
        "--model", action="append", default=None,
        help="built-in model (lite0, lite2) or a weights file with its card; repeat to ensemble",
    )  # fmt: skip
    p.add_argument("--backend", choices=["onnx", "torch"], default="onnx",
                   help="run the model with onnxruntime (default) or torch")  # fmt: skip
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where to run the model (auto: the GPU when there is one)")  # fmt: skip
    p.add_argument("--batch", type=ranged(int, 1, MAX_BATCH, what="--batch"), default=32,
                   help=f"images per model call, 1 to {MAX_BATCH} (default 32)")  # fmt: skip
    p.add_argument("--bursts", action="store_true", help="average suggestions over each burst")
    p.add_argument(
        "--regions", default="auto",
        help="where the animal crops come from: auto (imported or detector boxes when they cover "
        "the folder, else the built-in localizer), builtin, none (whole frame only), or the name "
        "of an imported results file or detector run",
    )  # fmt: skip
    p.add_argument("--out", type=output_file,
                   help="write predictions.csv: one row per image and rank")  # fmt: skip


def open_model(name: str, args: argparse.Namespace, *, backend: str = "onnx", device: str = "auto"):
    """Load a model; the one-time ONNX export of a built-in model shows its own progress."""
    from inference.models import is_cached, load_classifier
    from inference.weights import WeightsError

    def load():
        try:
            return load_classifier(name, backend=backend, device=device)
        except (WeightsError, ValueError, RuntimeError, OSError) as exc:
            raise fail(f"cannot open model {name}: {exc}") from None

    if backend == "onnx" and not is_cached(name):
        label = os.path.basename(name)
        return waiting(args, f"preparing {label} for first use (one-time ONNX export)",
                       EXPORT_SECONDS.get(name, 30.0), load)  # fmt: skip
    return load()


def predict_with_progress(
    store, folder, clf, args: argparse.Namespace, batch_size: int = 32, regions=None
):
    """Run one model over the unpredicted images with a progress bar; returns its report."""
    from labeler.core.prediction import predict_project

    extra = {} if regions is None else {"regions": regions}
    gen = predict_project(store, folder, clf, batch_size=batch_size, **extra)
    return drive(gen, args, f"predict ({clf.card.name})", "images")


@verb("predict")
def cmd_predict(args: argparse.Namespace) -> int:
    """Run the models over the folder and report figures (and optionally a CSV)."""
    from inference.weights import WeightsError
    from labeler.cli.scan import scan_with_progress
    from labeler.core.regions import RegionSourceError, plan_regions

    models = args.model or ["lite0"]
    with open_store(args) as store:
        scan = scan_with_progress(store, args.folder, args)
        if scan.state == "paused":
            raise fail("; ".join(scan.notes), 3)
        if scan.images == 0:
            raise fail(f"nothing to predict: no usable images in {args.folder} "
                       f"({scan.files} files scanned)")  # fmt: skip
        reports, model_ids = [], []
        for name in models:
            clf = open_model(name, args, backend=args.backend, device=args.device)
            try:
                plan = plan_regions(store, args.regions)
            except RegionSourceError as exc:
                raise fail(str(exc)) from None
            try:
                reports.append(
                    predict_with_progress(store, args.folder, clf, args, args.batch, plan)
                )
            except WeightsError as exc:
                # A broken model (NaN, wrong shapes) stops the run; its batch is not kept.
                raise fail(f"model {name} stopped the run: {exc}") from None
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
    if main.paused:
        raise fail(f"predicting stopped early: {main.paused}; {main.unavailable} images are left "
                   "for the next run", 3)  # fmt: skip
    if main.predicted == 0 and main.already_done == 0 and main.failed:
        raise fail(f"no image could be predicted ({main.failed} failed; see the list above)")
    return 0


def write_csv(store, model_ids: list[int], out: str, *, bursts: bool) -> int:
    """predictions.csv: path, rank, species, scientific name, score, empty score, model version."""
    from labeler.core.predict_job import suggestion_view

    view = suggestion_view(store, model_ids, bursts=bursts)
    species = {s.key: s for s in store.species()}
    first = model_ids[0]
    info = {image_id: (path, empty) for image_id, path, empty in store.predicted_paths(first)}
    versions = "+".join(store.model_version(m) or "" for m in model_ids)
    n = 0
    with atomic_output(out, newline="", encoding="utf-8") as f:
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
