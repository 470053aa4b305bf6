"""COCO Camera Traps export: images (with sequence, frame and time), annotations and categories."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Generator

from labeler.core.exchange.csv_io import corrected_time
from labeler.core.exchange.jsonout import write_json_streamed
from labeler.core.store import Store


def export_coco(store: Store, out: str | os.PathLike[str]) -> Generator[int, None, dict]:
    """Write a COCO Camera Traps JSON of the current decisions (category 0 is empty)."""
    rows = store.export_rows()
    seq_frames = {}
    for r in rows:
        if r[6] is not None:
            seq_frames[r[6]] = max(seq_frames.get(r[6], 0), r[7] or 0)
    categories = {"blank": 0}
    names = {"blank": "empty"}
    images, annotations, seen = [], [], set()
    n = 0
    for r in rows:
        (iid, path, folder, when, offset, _mtime, seq, frame, slot, otype, key, count, method, by, prob,
         _stamp, common, _sci, oid, width, height, _fmt) = r  # fmt: skip
        if iid not in seen:
            seen.add(iid)
            image = {"id": str(iid), "file_name": path, "width": width, "height": height, "location": folder or "root",
                     "datetime": corrected_time(when, offset).replace("T", " ") or None}  # fmt: skip
            if seq is not None:
                image.update(
                    {
                        "seq_id": f"seq{seq}",
                        "seq_num_frames": seq_frames.get(seq, 1),
                        "frame_num": (frame or 1) - 1,
                    }
                )
            images.append(image)
        if otype is None:
            continue
        cat_key = "blank" if otype == "blank" else (key or otype)
        if cat_key not in categories:
            categories[cat_key] = len(categories)
            names[cat_key] = common or cat_key
        ann = {
            "id": f"o{oid}",
            "image_id": str(iid),
            "category_id": categories[cat_key],
            "sequence_level_annotation": False,
        }
        if count:
            ann["count"] = count
        if method == "machine":
            ann["conf"] = prob
            ann["classified_by"] = by
        annotations.append(ann)
        n += 1
        if n % 20000 == 0:
            yield n
    head = {"info": {"version": "1.0", "description": "exported by camtrap-labeler",
                     "date_created": dt.date.today().isoformat()}}  # fmt: skip
    write_json_streamed(out, head, {
        "images": images,
        "categories": [{"id": cid, "name": names[k]} for k, cid in categories.items()],
        "annotations": annotations,
    })  # fmt: skip
    yield n
    return {
        "images": len(images),
        "annotations": len(annotations),
        "categories": len(categories),
        "path": os.fspath(out),
    }
