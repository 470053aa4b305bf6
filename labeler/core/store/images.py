"""Catalog of files: upserts from scans, missing marks, duplicates, bursts and scan reports."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable

from labeler.core.media import FileRecord
from labeler.core.scan import KnownFile
from labeler.core.sequences import Frame, Sequence
from labeler.core.store.base import StoreBase, utcnow

_FILE_COLUMNS = (
    "size", "mtime_ns", "fingerprint", "width", "height", "format", "mode", "orientation",
    "datetime_raw", "datetime", "datetime_source", "datetime_flag", "camera_make",
    "camera_model", "exif_error", "status", "status_detail",
)  # fmt: skip

_UPSERT = (
    "INSERT INTO images (path, folder, name, first_seen, last_seen, missing, sha256, "
    + ", ".join(_FILE_COLUMNS)
    + ") VALUES (?, ?, ?, ?, ?, 0, NULL, "
    + ", ".join("?" for _ in _FILE_COLUMNS)
    + ") ON CONFLICT(path) DO UPDATE SET last_seen=excluded.last_seen, missing=0, "
    "sha256=NULL, duplicate_of=NULL, " + ", ".join(f"{c}=excluded.{c}" for c in _FILE_COLUMNS)
)


def _file_row(r: FileRecord, now: str) -> tuple:
    return (
        r.path, r.folder, r.name, now, now,
        r.size, r.mtime_ns, r.fingerprint, r.width, r.height, r.format, r.mode, r.orientation,
        r.datetime_raw, r.datetime, r.datetime_source, r.datetime_flag, r.camera_make,
        r.camera_model, r.exif_error, r.status, r.detail,
    )  # fmt: skip


# The empty-frame score an image shows: the confidence of a detector the user brought (an
# imported results file or a detector run), else the model's score (which already weighs the
# built-in localizer's regions; those are not a detector's verdict).
EMPTY_SCORE_SQL = (
    "CASE WHEN EXISTS (SELECT 1 FROM md_images m LEFT JOIN region_sources r ON r.source=m.source "
    "WHERE m.image_id=i.id AND m.failure IS NULL AND coalesce(r.kind, 'imported') != 'builtin') "
    "THEN 1.0 - coalesce((SELECT max(d.conf) FROM detections d LEFT JOIN region_sources r "
    "ON r.source=d.source WHERE d.image_id=i.id AND coalesce(r.kind, 'imported') != 'builtin'), "
    "0.0) ELSE ip.empty_score END"
)


class ImagesMixin(StoreBase):
    """Reads and writes of the ``images``, ``sequences`` and ``scans`` tables."""

    def file_index(self) -> dict[str, KnownFile]:
        """Every catalogued path with the size and mtime that decide whether to re-inspect."""
        with self._lock:
            rows = self.conn.execute("SELECT path, size, mtime_ns, missing FROM images")
            return {p: KnownFile(s, m, bool(x)) for p, s, m, x in rows}

    def upsert_files(
        self,
        records: list[FileRecord],
        unchanged: Iterable[str] = (),
        renamed: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Insert or refresh inspected files, and mark unchanged ones present, in one commit.

        ``renamed`` moves rows (with their labels) from an old path text to a new one first.
        """
        now = utcnow()
        with self.write() as c:
            c.executemany(
                "UPDATE images SET path=?, folder=?, name=? WHERE path=?",
                [
                    (new, new.rpartition("/")[0], new.rpartition("/")[2], old)
                    for old, new in renamed
                ],
            )
            # A changed file's old predictions describe other pixels: drop them.
            changed = [(r.path,) for r in records]
            for table in ("predictions", "image_predictions", "embeddings"):
                c.executemany(
                    f"DELETE FROM {table} WHERE image_id=(SELECT id FROM images WHERE path=?)",
                    changed,
                )
            c.executemany(_UPSERT, [_file_row(r, now) for r in records])
            c.executemany(
                "UPDATE images SET missing=0, last_seen=? WHERE path=?",
                [(now, p) for p in unchanged],
            )

    def mark_missing(self, seen: set[str], keep_prefixes: Iterable[str] = ()) -> int:
        """Flag catalogued files that a complete scan did not see; nothing is deleted.

        Files under ``keep_prefixes`` (folders that could not be listed) are left as they were.
        """
        prefixes = tuple(p.rstrip("/") + "/" for p in keep_prefixes if p and p != ".")
        if "." in keep_prefixes:
            return 0
        present = self.query("SELECT id, path FROM images WHERE missing=0")
        gone = [
            (r["id"],)
            for r in present
            if r["path"] not in seen and not r["path"].startswith(prefixes or ("\0",))
        ]
        if gone:
            with self.write() as c:
                c.executemany("UPDATE images SET missing=1 WHERE id=?", gone)
        return len(gone)

    def resolve_duplicates(self, hash_file: Callable[[str], str | None]) -> int:
        """Mark byte-identical copies as ``duplicate_content`` of the first path.

        Candidates share the cheap fingerprint; ``hash_file(path)`` returns the full SHA-256
        (or None when the file cannot be read now), which alone decides.
        """
        rows = self.query(
            "SELECT id, path, fingerprint, sha256, status FROM images "
            "WHERE missing=0 AND status IN ('ok', 'duplicate_content') "
            "AND fingerprint IN (SELECT fingerprint FROM images WHERE missing=0 "
            "AND status IN ('ok', 'duplicate_content') GROUP BY fingerprint HAVING count(*) > 1)"
        )
        hashes: dict[int, str | None] = {}
        for r in rows:
            hashes[r["id"]] = r["sha256"] or hash_file(r["path"])
        groups: dict[str, list] = defaultdict(list)
        for r in rows:
            h = hashes[r["id"]]
            if h is not None:
                groups[h].append(r)
        updates: list[tuple] = []
        dup_ids: set[int] = set()
        for h, members in groups.items():
            members.sort(key=lambda r: r["path"])
            first = members[0]
            for m in members[1:]:
                dup_ids.add(m["id"])
                updates.append(
                    (
                        "duplicate_content",
                        f"same content as {first['path']}",
                        first["id"],
                        h,
                        m["id"],
                    )
                )
        stale = self.query("SELECT id FROM images WHERE status='duplicate_content' AND missing=0")
        with self.write() as c:
            c.executemany(
                "UPDATE images SET sha256=? WHERE id=?",
                [(h, i) for i, h in hashes.items() if h is not None],
            )
            c.executemany(
                "UPDATE images SET status='ok', status_detail=NULL, duplicate_of=NULL WHERE id=?",
                [(r["id"],) for r in stale if r["id"] not in dup_ids],
            )
            c.executemany(
                "UPDATE images SET status=?, status_detail=?, duplicate_of=? , sha256=? WHERE id=?",
                updates,
            )
        return len(updates)

    def frames(self) -> list[Frame]:
        """Usable images with their corrected capture time, for burst grouping."""
        out = []
        for r in self.query(
            "SELECT id, folder, name, datetime, time_offset_s FROM images "
            "WHERE missing=0 AND status='ok'"
        ):
            t = None
            if r["datetime"]:
                t = dt.datetime.fromisoformat(r["datetime"]) + dt.timedelta(
                    seconds=r["time_offset_s"] or 0
                )
            out.append(Frame(r["id"], r["folder"], r["name"], t))
        return out

    def replace_sequences(self, sequences: list[Sequence]) -> None:
        """Replace all bursts (ids follow folder and start time, so they are stable)."""
        with self.write() as c:
            c.execute(
                "UPDATE images SET sequence_id=NULL, frame=NULL WHERE sequence_id IS NOT NULL"
            )
            c.execute("DELETE FROM sequences")
            assign = []
            for sid, s in enumerate(sequences, start=1):
                c.execute(
                    'INSERT INTO sequences (id, folder, start, "end", n_frames) VALUES (?,?,?,?,?)',
                    (sid, s.folder, s.start.isoformat(), s.end.isoformat(), len(s.image_ids)),
                )
                assign.extend((sid, k, iid) for k, iid in enumerate(s.image_ids, start=1))
            c.executemany("UPDATE images SET sequence_id=?, frame=? WHERE id=?", assign)

    # -- scan bookkeeping and reports --------------------------------------------------------
    def begin_scan(self) -> int:
        """Record that a scan started; returns its id."""
        with self.write() as c:
            return c.execute(
                "INSERT INTO scans (started, state) VALUES (?, 'running')", (utcnow(),)
            ).lastrowid

    def end_scan(self, scan_id: int, state: str, report: dict) -> None:
        """Record how a scan ended, with its report."""
        with self.write() as c:
            c.execute(
                "UPDATE scans SET finished=?, state=?, report=? WHERE id=?",
                (utcnow(), state, json.dumps(report), scan_id),
            )

    def last_scan(self) -> dict | None:
        """The most recent scan: its state and report."""
        rows = self.query("SELECT * FROM scans ORDER BY id DESC LIMIT 1")
        if not rows:
            return None
        r = dict(rows[0])
        r["report"] = json.loads(r["report"]) if r["report"] else None
        return r

    def status_counts(self) -> dict[str, int]:
        """Files present on the card, counted by status."""
        return {
            r[0]: r[1]
            for r in self.query(
                "SELECT status, count(*) FROM images WHERE missing=0 GROUP BY status ORDER BY status"
            )
        }

    def catalog_counts(self) -> dict[str, int]:
        """Present files, usable images, bursts, duplicates, missing and untimed images."""
        r = self.query(
            "SELECT "
            "sum(missing=0), sum(missing=0 AND status='ok'), "
            "sum(missing=0 AND status='duplicate_content'), sum(missing=1), "
            "sum(missing=0 AND status='ok' AND datetime IS NULL), "
            "(SELECT count(*) FROM sequences) FROM images"
        )[0]
        return {
            "files": r[0] or 0,
            "images": r[1] or 0,
            "duplicates": r[2] or 0,
            "missing": r[3] or 0,
            "untimed": r[4] or 0,
            "sequences": r[5] or 0,
        }

    def untimed_by_folder(self) -> dict[str, int]:
        """Usable images without a capture time, counted per folder."""
        return {
            r[0]: r[1]
            for r in self.query(
                "SELECT folder, count(*) FROM images WHERE missing=0 AND status='ok' "
                "AND datetime IS NULL GROUP BY folder ORDER BY folder"
            )
        }

    def flagged_times_by_folder(self) -> dict[str, dict[str, int]]:
        """Usable images whose clock looks wrong, per folder and flag."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        for folder, flag, n in self.conn.execute(
            "SELECT folder, datetime_flag, count(*) FROM images WHERE missing=0 AND status='ok' "
            "AND datetime IS NOT NULL AND datetime_flag IS NOT NULL GROUP BY folder, datetime_flag"
        ):
            out[folder][flag] = n
        return dict(out)

    def bursts_of(self, image_ids: Iterable[int]) -> dict[int, list[int]]:
        """Frames (in order) of every burst that contains one of ``image_ids``.

        Images outside any burst form a burst of their own, keyed by their negated id.
        """
        ids = list(dict.fromkeys(image_ids))
        seqs: dict[int, int | None] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for i, s in self.query(
                f"SELECT id, sequence_id FROM images WHERE id IN ({marks})", chunk
            ):
                seqs[i] = s
        out: dict[int, list[int]] = {}
        wanted = sorted({s for s in seqs.values() if s is not None})
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for i, s in self.query(
                f"SELECT id, sequence_id FROM images WHERE sequence_id IN ({marks}) "
                "ORDER BY sequence_id, frame",
                chunk,
            ):
                out.setdefault(s, []).append(i)
        for i, s in seqs.items():
            if s is None:
                out[-i] = [i]
        return out

    def catalog_rows(self, model_id: int | None) -> list[tuple]:
        """Every present image the grid shows, with its top suggestion, empty score and label.

        Files the user must hear about (0 bytes, unreadable, path too long) are shown too, with
        their status; videos and files that are not media are left out.

        Columns: id, path, folder, datetime, status, sequence_id, frame, top label, top score,
        empty score, primary label key, label method, number of labels, mtime_ns.
        """
        return self.query(
            "SELECT i.id, i.path, i.folder, i.datetime, i.status, i.sequence_id, i.frame, "
            "p.label, p.score, "
            f"{EMPTY_SCORE_SQL}, o.species_key, o.classification_method, "
            "(SELECT count(*) FROM observations x WHERE x.image_id=i.id), i.mtime_ns "
            "FROM images i "
            "LEFT JOIN predictions p ON p.image_id=i.id AND p.model_id=? AND p.rank=1 "
            "LEFT JOIN image_predictions ip ON ip.image_id=i.id AND ip.model_id=? "
            "LEFT JOIN observations o ON o.image_id=i.id AND o.slot=0 "
            "WHERE i.missing=0 AND i.status NOT IN ('not_media', 'video') "
            "ORDER BY i.folder, i.datetime, i.path",
            (model_id if model_id is not None else -1,) * 2,
        )

    def card_sample(self, n: int) -> list[tuple[str, int]]:
        """(relative path, size) of up to ``n`` usable images, spread over the card: the
        fingerprint by which a moved or copied card is recognised."""
        return [
            (r[0], r[1])
            for r in self.query(
                "SELECT path, size FROM images WHERE missing=0 AND status='ok' AND size > 0 "
                "ORDER BY substr(fingerprint, 1, 8), path LIMIT ?",
                (n,),
            )
        ]
