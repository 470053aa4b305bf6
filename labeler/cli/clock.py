"""``labeler clock``: correct camera clocks (a deployment or some images), list or undo corrections."""

from __future__ import annotations

import argparse
import datetime as dt

from labeler.cli.common import add_common, emit, fail, open_store, verb


def _when(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date and time like 2023-04-02T07:30:00"
        ) from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "clock", help="correct a camera's clock (reversible); without options, list corrections"
    )
    add_common(p)
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--deployment", metavar="FOLDER",
                       help="correct every image of this camera folder ('.' for the top folder)")  # fmt: skip
    scope.add_argument("--image", metavar="PATH", action="append", default=[],
                       help="correct this image (relative path; repeat for a selection)")  # fmt: skip
    how = p.add_mutually_exclusive_group()
    how.add_argument("--shift", metavar="OFFSET",
                     help="add this to the times: +1:00:00, -0:30, +3600 or -1d2h")  # fmt: skip
    how.add_argument("--true-time", metavar="WHEN", type=_when,
                     help="the --reference frame was really taken at WHEN (local time)")  # fmt: skip
    how.add_argument("--undo", metavar="ACTION", type=int,
                     help="undo the clock correction with this action number")  # fmt: skip
    p.add_argument(
        "--reference", metavar="PATH", help="with --true-time: the frame whose real time is known"
    )
    p.add_argument(
        "--author", default="user", help="who makes the correction (kept in the history)"
    )


@verb("clock")
def cmd_clock(args: argparse.Namespace) -> int:
    """Apply, undo or list clock corrections."""
    from labeler.core.clock import (
        ClockError,
        describe_shift,
        parse_shift,
        shift_folder,
        shift_images,
        true_time_shift,
        undo_clock,
    )

    scoped = args.deployment is not None or args.image
    if (args.shift or args.true_time) and not scoped:
        raise fail("say what to correct: --deployment FOLDER or --image PATH")
    if args.true_time and not args.reference:
        raise fail("--true-time needs --reference PATH, the frame whose real time you know")
    if scoped and not (args.shift or args.true_time):
        raise fail("say how to correct it: --shift OFFSET or --true-time WHEN --reference PATH")
    with open_store(args) as store:
        ids = store.image_ids_by_path()
        change = None
        try:
            if args.undo is not None:
                change = undo_clock(store, args.undo, author=args.author)
            elif scoped:
                if args.true_time:
                    if args.reference not in ids:
                        raise fail(f"no image {args.reference!r} in the catalog")
                    seconds = true_time_shift(store, ids[args.reference], args.true_time)
                else:
                    seconds = parse_shift(args.shift)
                if args.deployment is not None:
                    folder = "" if args.deployment in (".", "root") else args.deployment.strip("/")
                    change = shift_folder(store, folder, seconds, author=args.author)
                else:
                    unknown = [p for p in args.image if p not in ids]
                    if unknown:
                        raise fail(f"no image {unknown[0]!r} in the catalog")
                    change = shift_images(store, [ids[p] for p in args.image], seconds,
                                          what=f"{len(args.image)} selected image(s)", author=args.author)  # fmt: skip
        except ClockError as exc:
            raise fail(str(exc)) from None
        actions = store.clock_actions()
    data = {"change": change.to_json() if change else None, "corrections": actions}
    lines = [f"{'action':>6}  {'when':19}  {'by':12}  images  what"]
    lines += [f"{a['id']:>6}  {a['timestamp'][:19].replace('T', ' ')}  {(a['author'] or '')[:12]:12}  "
              f"{a['image_count']:>6}  {a['description']}" for a in actions]  # fmt: skip
    if change:
        lines.append(f"{change.description}: {change.images} image(s), {change.bursts} bursts after "
                     f"regrouping; undo with: labeler clock FOLDER --undo {change.action_id}")  # fmt: skip
        if change.shift_s and abs(change.shift_s) >= 86400:
            lines.append(f"note: a shift of {describe_shift(change.shift_s)} (more than a day)")
    emit(args, data, "\n".join(lines))
    return 0
