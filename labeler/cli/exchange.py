"""``labeler export``, ``labeler import`` and ``labeler deployments``."""

from __future__ import annotations

import argparse
from pathlib import Path

from labeler.cli.common import (
    add_common,
    emit,
    existing_file,
    fail,
    note,
    open_store,
    output_file,
    output_folder,
    verb,
)
from labeler.cli.progress import drive

FORMATS = ("csv", "camtrapdp", "megadetector", "coco", "timelapse")
IMPORTS = ("auto", "csv", "megadetector", "camtrapdp", "timelapse")
SHOWN = 20


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="write labels as CSV, Camtrap DP, MegaDetector JSON, COCO "
                                      "Camera Traps or a Timelapse CSV")  # fmt: skip
    add_common(e)
    e.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    e.add_argument("--out", required=True,
                   help="file to write (a folder for camtrapdp); its folder must exist")  # fmt: skip
    e.add_argument("--suggestions", action="store_true",
                   help="csv: one row per image with the top-5 suggestions")  # fmt: skip
    e.add_argument("--labeled-only", action="store_true",
                   help="csv, timelapse: leave out images without a decision")  # fmt: skip
    e.add_argument("--deployments", type=existing_file,
                   help="camtrapdp: CSV of deployment facts to store first (folder, latitude, ...)")  # fmt: skip
    e.add_argument("--project", type=existing_file,
                   help="camtrapdp: project settings JSON (project, contributors, licenses); kept "
                        "for later exports")  # fmt: skip
    e.add_argument("--allow-incomplete", action="store_true",
                   help="camtrapdp: write the package even when deployments lack coordinates")  # fmt: skip
    i = sub.add_parser("import", help="read labels (CSV, Timelapse CSV, Camtrap DP) or boxes "
                                      "(MegaDetector JSON)")  # fmt: skip
    add_common(i)
    i.add_argument("--format", choices=IMPORTS, default="auto",
                   help="what the file is (default: told from the file)")  # fmt: skip
    i.add_argument("--in", dest="source", required=True,
                   help="the file to read (a package folder or datapackage.json for camtrapdp)")  # fmt: skip
    i.add_argument("--dry-run", action="store_true",
                   help="show how paths and names would map, and change nothing")  # fmt: skip
    i.add_argument("--add-species", action="store_true",
                   help="add the species names that match no species of the project")  # fmt: skip
    i.add_argument("--species-column", metavar="NAME",
                   help="timelapse: the column holding the species (default: Species)")  # fmt: skip
    d = sub.add_parser(
        "deployments", help="show deployments (camera folders) or set them from a CSV"
    )
    add_common(d)
    d.add_argument("--in", dest="source", type=existing_file,
                   help="CSV with folder, latitude, longitude, timezone (or utcOffset), ...")  # fmt: skip


def _apply_deployments(store, path, args) -> int:
    from labeler.core.exchange_jobs import apply_deployments_csv

    applied, unknown = apply_deployments_csv(store, path)
    if unknown and not applied:
        raise fail(f"{Path(path).name} names no camera folder of this project "
                   f"({', '.join(unknown[:5])}); see `labeler deployments FOLDER`")  # fmt: skip
    if unknown:
        note(
            args,
            f"labeler: {Path(path).name} names folders not in the project: {', '.join(unknown[:SHOWN])}",
        )
    return applied


def _check_out(args) -> None:
    try:
        (output_folder if args.format == "camtrapdp" else output_file)(args.out)
    except argparse.ArgumentTypeError as exc:
        raise fail(f"--out: {exc}", 2) from None


@verb("export")
def cmd_export(args: argparse.Namespace) -> int:
    """Write an export and print what it contains (and what is missing)."""
    from labeler.cli.scan import scan_with_progress
    from labeler.core.exchange_jobs import ExchangeError, ExportFormat, ExportRequest, run_export
    from labeler.core.jobs import JobWarning

    _check_out(args)
    if args.format != "camtrapdp" and (args.project or args.deployments or args.allow_incomplete):
        raise fail("--project, --deployments and --allow-incomplete are for --format camtrapdp", 2)
    request = ExportRequest(ExportFormat(args.format), args.out, suggestions=args.suggestions,
                            labeled_only=args.labeled_only, deployments=args.deployments,
                            project=args.project, allow_incomplete=args.allow_incomplete)  # fmt: skip
    warnings: list[str] = []

    def warned(event) -> None:
        if isinstance(event, JobWarning):
            warnings.append(event.message)

    with open_store(args) as store:
        if store.last_scan() is None:
            scan_with_progress(store, args.folder, args)
        try:
            result = drive(
                run_export(store, request), args, f"export {args.format}", "rows", warned
            )
        except ExchangeError as exc:
            raise fail(str(exc)) from None
    for message in warnings:
        if message not in result.get("problems", []):
            note(args, f"labeler: {message}")
    shown = ("path", "problems", "cancelled", "format")
    counts = ", ".join(f"{k} {v}" for k, v in result.items() if k not in shown)
    lines = [f"wrote {args.format} to {args.out}: {counts}"]
    lines += [f"note: {p}" for p in result.get("problems", [])]
    emit(args, result, "\n".join(lines))
    if not any(v for k, v in result.items() if k in ("rows", "images", "media")):
        why = ("no image has boxes, predictions or labels yet" if args.format == "megadetector"
               else "no image has a label yet" if args.labeled_only
               else "the catalog holds no usable images")  # fmt: skip
        raise fail(f"nothing exported: {why}")
    return 0


@verb("import")
def cmd_import(args: argparse.Namespace) -> int:
    """Import labels or boxes for images already in the project."""
    from labeler.cli.scan import scan_with_progress
    from labeler.core.exchange_jobs import ExchangeError, ImportFormat, ImportRequest, run_import

    request = ImportRequest(ImportFormat(args.format), args.source, add_species=args.add_species,
                            dry_run=args.dry_run, species_column=args.species_column)  # fmt: skip
    with open_store(args) as store:
        if store.last_scan() is None:
            scan_with_progress(store, args.folder, args)
        try:
            report = drive(run_import(store, request), args, f"import {args.format}", "rows")
        except ExchangeError as exc:
            raise fail(str(exc)) from None
    data = report.to_json()
    kind = data["format"]
    emit(args, data, "\n".join(_summary(kind, data)))
    return _import_exit(kind, data)


def _summary(kind: str, data: dict) -> list[str]:
    prefix = "dry run (nothing changed): " if data.get("dry_run") else ""
    if kind == "megadetector":
        lines = [f"{prefix}{data['matched']} of {data['images']} images matched; {data['detections']} boxes, "
                 f"{data['failures']} failures recorded"]  # fmt: skip
    else:
        lines = [f"{prefix}{data['rows']} rows: {data['images_updated']} images labeled, {data['skipped']} "
                 f"without a decision, {data['unknown_species_rows']} with an unknown species"]  # fmt: skip
        mapping = data["species"]["mapping"]
        if data.get("dry_run"):
            lines += [
                f"  {name!r} -> {key or 'no species (unknown)'}"
                for name, key in list(mapping.items())[:200]
            ]
        unknown = data["species"]["unmatched"]
        if unknown:
            shown = ", ".join(f"{n} ({c})" for n, c in list(unknown.items())[:SHOWN])
            lines.append(f"names matching no species: {shown}" + ("" if data.get("species_added") else
                         "; add them with --add-species, or see every mapping with --dry-run"))  # fmt: skip
        if data.get("species_added"):
            lines.append(
                f"species {'to add' if data.get('dry_run') else 'added'}: {', '.join(data['species_added'][:SHOWN])}"
            )
    lines += [f"note: {n}" for n in data.get("notes", [])]
    lines += [f"refused: {p}" for p in data.get("problems", [])]
    lines += [f"refused: {r}" for r in data.get("refused", [])[:SHOWN]]
    lines += [f"no such image in the project: {u}" for u in data.get("unmatched", [])[:SHOWN]]
    if len(data.get("unmatched", [])) > SHOWN:
        lines.append(f"... and {len(data['unmatched']) - SHOWN} more paths matching no image")
    return lines


def _import_exit(kind: str, data: dict) -> int:
    matched = data["matched"] if kind == "megadetector" else data["images_updated"]
    if matched:
        return 0
    if kind == "megadetector":
        raise fail(f"nothing imported: 0 of {data['images']} images of the file match an image "
                   "of this project (see the paths listed)")  # fmt: skip
    if data["unknown_species_rows"]:
        raise fail(f"nothing imported: {data['unknown_species_rows']} rows name species the project "
                   "does not have; add them with --add-species")  # fmt: skip
    raise fail(f"nothing imported: none of the {data['rows']} rows sets a label on an image of "
               "this project (see the paths listed)")  # fmt: skip


@verb("deployments")
def cmd_deployments(args: argparse.Namespace) -> int:
    """Print the deployments; with --in, set their facts from a CSV first."""
    with open_store(args) as store:
        if args.source:
            _apply_deployments(store, args.source, args)
        deps = store.deployments()
    lines = [
        f"{'folder':30} {'images':>6} {'latitude':>9} {'longitude':>10} {'time zone':>16}  first image"
    ]
    for f, d in deps.items():
        zone = d.get("timezone") or d.get("utc_offset") or "-"
        lines.append(f"{(f or '.')[:30]:30} {d['images']:6d} {d['latitude'] if d['latitude'] is not None else '-':>9} "
                     f"{d['longitude'] if d['longitude'] is not None else '-':>10} {zone:>16}  "
                     f"{d['first_image'] or '-'}")  # fmt: skip
    emit(args, {"deployments": deps}, "\n".join(lines))
    if not deps:
        raise fail(f"no deployments: {args.folder} holds no usable images (scan it first)")
    return 0
