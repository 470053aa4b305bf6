"""Reads and writes for exports and imports: deployments, observation rows, MegaDetector results."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from labeler.core.store.base import StoreBase, utcnow

DEPLOYMENT_FIELDS = (
    "location_id", "location_name", "latitude", "longitude", "coordinate_uncertainty",
    "deployment_start", "deployment_end", "utc_offset", "camera_id", "camera_height", "habitat",
    "feature_type", "bait_use", "setup_by", "comments", "timezone",
)  # fmt: skip


@dataclass(frozen=True)
class Detection:
    """A box from a detector: category name, confidence, normalised [x, y, w, h], classifications."""

    category: str
    conf: float
    bbox: tuple[float, float, float, float] | None
    classifications: tuple[tuple[str, float], ...] = ()


class ExchangeMixin(StoreBase):
    """Tables that exports and imports need."""

    # -- deployments -------------------------------------------------------------------------
    def deployments(self) -> dict[str, dict]:
        """Every camera folder with its deployment facts (empty values for unknown ones) and
        the capture times and camera model seen in its images."""
        known = {r["folder"]: dict(r) for r in self.query("SELECT * FROM deployments")}
        out = {}
        for r in self.query(
            "SELECT folder, min(datetime), max(datetime), count(*), max(camera_model), "
            "sum(datetime IS NULL) FROM images i WHERE (missing=0 AND status IN ('ok', 'duplicate_content')) "
            "OR EXISTS (SELECT 1 FROM observations o WHERE o.image_id=i.id) "
            "GROUP BY folder ORDER BY folder"
        ):
            d = {k: None for k in DEPLOYMENT_FIELDS}
            d.update(known.get(r[0], {}))
            d.update({"folder": r[0], "first_image": r[1], "last_image": r[2], "images": r[3],
                      "camera_model": r[4], "untimed": r[5]})  # fmt: skip
            out[r[0]] = d
        return out

    def set_deployment(self, folder: str, **values) -> None:
        """Store deployment facts of a camera folder (unknown keys are refused)."""
        bad = set(values) - set(DEPLOYMENT_FIELDS)
        if bad:
            raise ValueError(f"unknown deployment fields: {', '.join(sorted(bad))}")
        with self.write() as c:
            c.execute("INSERT OR IGNORE INTO deployments (folder) VALUES (?)", (folder,))
            for k, v in values.items():
                c.execute(f"UPDATE deployments SET {k}=? WHERE folder=?", (v, folder))

    # -- species added by imports ----------------------------------------------------------
    def add_species_many(self, rows: Iterable) -> int:
        """Add user species in one transaction (rows with a key already listed are skipped);
        returns how many were added."""
        with self.write() as c:
            before = c.total_changes
            c.executemany(
                "INSERT INTO species (key, common_name, scientific_name, observation_type, source, "
                "active) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(key) DO NOTHING",
                [
                    (r.key, r.common_name, r.scientific_name, r.observation_type, r.source)
                    for r in rows
                ],
            )
            return c.total_changes - before

    # -- export rows -------------------------------------------------------------------------
    def export_rows(self) -> list[tuple]:
        """One row per observation (and one per unlabeled usable image, with no observation).

        A labeled image stays whatever became of its file (unreadable at a rescan, missing):
        a label is data, the file's state is only a status.

        Columns: image id, path, folder, datetime, time_offset_s, mtime_ns, sequence id, frame,
        slot, observation type, species key, count, method, classified by, probability,
        decision timestamp, common name, scientific name, observation id, width, height, format.
        """
        return self.query(
            "SELECT i.id, i.path, i.folder, i.datetime, i.time_offset_s, i.mtime_ns, i.sequence_id, "
            "i.frame, o.slot, o.observation_type, o.species_key, o.count, o.classification_method, "
            "o.classified_by, o.probability, o.timestamp, s.common_name, s.scientific_name, o.id, "
            "i.width, i.height, i.format "
            "FROM images i LEFT JOIN observations o ON o.image_id=i.id "
            "LEFT JOIN species s ON s.key=o.species_key "
            "WHERE (i.missing=0 AND i.status IN ('ok', 'duplicate_content')) OR o.id IS NOT NULL "
            "ORDER BY i.path, o.slot"
        )

    def suggestion_rows(self, model_id: int) -> list[tuple]:
        """(image id, path, folder, datetime, sequence id, frame, empty score) with the top-k
        suggestions as a JSON list of [label, score], for every predicted image."""
        tops: dict[int, list[tuple[str, float]]] = {}
        with self._lock:
            for image_id, label, score in self.conn.execute(
                "SELECT image_id, label, score FROM predictions WHERE model_id=? ORDER BY image_id, rank",
                (model_id,),
            ):
                tops.setdefault(image_id, []).append((label, score))
        rows = self.query(
            "SELECT i.id, i.path, i.folder, i.datetime, i.sequence_id, i.frame, ip.empty_score "
            "FROM images i JOIN image_predictions ip ON ip.image_id=i.id AND ip.model_id=? "
            "WHERE i.missing=0 AND ip.error IS NULL ORDER BY i.path",
            (model_id,),
        )
        return [(*r, tops.get(r[0], [])) for r in rows]

    def image_ids_by_path(self) -> dict[str, int]:
        """Relative path -> image id of every catalogued file."""
        return {p: i for i, p in self.query("SELECT id, path FROM images")}

    # -- MegaDetector results ----------------------------------------------------------------
    def write_detections(
        self, source: str, results: dict[int, tuple[list[Detection] | None, str | None]]
    ) -> None:
        """Replace the detections of ``source`` for the given images (a failure keeps none)."""
        with self.write() as c:
            ids = [(i, source) for i in results]
            c.executemany("DELETE FROM detections WHERE image_id=? AND source=?", ids)
            c.executemany(
                "INSERT OR REPLACE INTO md_images (image_id, source, failure) VALUES (?,?,?)",
                [(i, source, failure) for i, (_dets, failure) in results.items()],
            )
            c.executemany(
                "INSERT INTO detections (image_id, source, category, conf, x, y, w, h, classifications) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (i, source, d.category, d.conf, *(d.bbox or (None,) * 4),
                     json.dumps([list(c) for c in d.classifications]) if d.classifications else None)
                    for i, (dets, _f) in results.items()
                    for d in (dets or [])
                ],
            )  # fmt: skip

    def detections(
        self, image_ids: Sequence[int] | None = None, source: str | None = None
    ) -> dict[int, list[Detection]]:
        """Stored detections by image (optionally of one source)."""
        sql = "SELECT image_id, category, conf, x, y, w, h, classifications FROM detections"
        params: list = []
        conds = []
        if source is not None:
            conds.append("source=?")
            params.append(source)
        if image_ids is not None:
            ids = list(image_ids)
            if not ids:
                return {}
            conds.append(f"image_id IN ({','.join('?' * len(ids))})")
            params += ids
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        out: dict[int, list[Detection]] = {}
        for r in self.query(sql + " ORDER BY image_id, conf DESC", params):
            bbox = None if r[3] is None else (r[3], r[4], r[5], r[6])
            cls = tuple((str(a), float(b)) for a, b in json.loads(r[7])) if r[7] else ()
            out.setdefault(r[0], []).append(Detection(r[1], r[2], bbox, cls))
        return out

    def detection_rows(self) -> list[tuple]:
        """Every stored box: (image id, source, category, conf, x, y, w, h, classifications as
        a list of (name, score)), by image and descending confidence."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
             [(str(a), float(b)) for a, b in json.loads(r[8])] if r[8] else [])
            for r in self.query(
                "SELECT image_id, source, category, conf, x, y, w, h, classifications "
                "FROM detections ORDER BY image_id, conf DESC, id"
            )
        ]  # fmt: skip

    def detector_failures(self) -> dict[int, str]:
        """Images a detector file reported as failed, with its reason."""
        return {
            r[0]: r[1]
            for r in self.query("SELECT image_id, failure FROM md_images WHERE failure IS NOT NULL")
        }

    def detector_looked_at(self) -> set[int]:
        """Images a detector processed (with or without boxes)."""
        return {r[0] for r in self.query("SELECT DISTINCT image_id FROM md_images")}

    def unreadable_images(self) -> list[tuple[int, str, str, str | None]]:
        """(id, path, status, detail) of present files that are not usable images."""
        return [
            tuple(r)
            for r in self.query(
                "SELECT id, path, status, status_detail FROM images WHERE missing=0 AND status IN "
                "('truncated', 'corrupt', 'unsupported_format', 'too_large', 'unreadable_io', "
                "'empty') ORDER BY path"
            )
        ]

    def detector_empty_scores(self) -> dict[int, float]:
        """1 - the highest detection confidence, for every image a detector looked at."""
        return {
            r[0]: 1.0 - (r[1] or 0.0)
            for r in self.query(
                "SELECT m.image_id, (SELECT max(conf) FROM detections d WHERE d.image_id=m.image_id) "
                "FROM md_images m WHERE m.failure IS NULL GROUP BY m.image_id"
            )
        }

    # -- animal regions ----------------------------------------------------------------------
    def register_region_source(self, source: str, kind: str, info: dict | None = None) -> None:
        """Record where a set of regions came from (``builtin``, ``detector`` or ``imported``)."""
        with self.write() as c:
            c.execute(
                "INSERT INTO region_sources (source, kind, created, info) VALUES (?,?,?,?) "
                "ON CONFLICT(source) DO UPDATE SET kind=excluded.kind, info=excluded.info",
                (source, kind, utcnow(), json.dumps(info or {})),
            )

    def region_sources(self) -> list[dict]:
        """Every source of regions with its kind and how many images it looked at, newest
        first. Results files imported before sources were recorded count as ``imported``."""
        known = {
            r[0]: (r[1], r[2], json.loads(r[3] or "{}"))
            for r in self.query("SELECT source, kind, created, info FROM region_sources")
        }
        out = []
        for source, n, failed in self.query(
            "SELECT source, count(*), sum(failure IS NOT NULL) FROM md_images GROUP BY source"
        ):
            kind, created, info = known.get(source, ("imported", "", {}))
            out.append({"source": source, "kind": kind, "created": created, "info": info,
                        "images": n, "failed": failed or 0})  # fmt: skip
        return sorted(out, key=lambda d: d["created"], reverse=True)

    def undetected_images(self, source: str) -> list[tuple[int, str]]:
        """Usable images a region source has not looked at yet (id, path), in burst order."""
        return [
            (r[0], r[1])
            for r in self.query(
                "SELECT id, path FROM images WHERE status='ok' AND missing=0 AND id NOT IN "
                "(SELECT image_id FROM md_images WHERE source=?) "
                "ORDER BY folder, sequence_id IS NULL, sequence_id, frame, path",
                (source,),
            )
        ]

    def region_image_ids(self, source: str) -> set[int]:
        """Images a region source looked at (with or without finding anything)."""
        return {
            r[0] for r in self.query("SELECT image_id FROM md_images WHERE source=?", (source,))
        }

    def detector_sources(self) -> list[str]:
        """Names of the detector files imported."""
        return [r[0] for r in self.query("SELECT DISTINCT source FROM md_images ORDER BY source")]

    def images_in(self, ids: Iterable[int]) -> list[tuple]:
        """(id, path, width, height, datetime, sequence id, frame, folder) of images."""
        ids = list(ids)
        out = []
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            out += self.query(
                "SELECT id, path, width, height, datetime, sequence_id, frame, folder FROM images "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        return out
