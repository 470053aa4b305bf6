"""Reads that active learning and the window need: training rows, review candidates, image facts."""

from __future__ import annotations

import json

import numpy as np

from labeler.core.store.base import StoreBase, utcnow
from labeler.core.store.images import EMPTY_SCORE_SQL


class LearningMixin(StoreBase):
    """Queries joining labels, embeddings and predictions."""

    def human_labeled_embeddings(
        self, backbone_id: int
    ) -> list[tuple[int, str, int | None, np.ndarray]]:
        """(image id, primary species, burst id, embedding) of images a person labeled."""
        return [
            (r[0], r[1], r[2], np.frombuffer(r[3], np.float16).astype(np.float32))
            for r in self.query(
                "SELECT o.image_id, o.species_key, i.sequence_id, e.vector FROM observations o "
                "JOIN images i ON i.id=o.image_id "
                "JOIN embeddings e ON e.image_id=o.image_id AND e.model_id=? "
                "WHERE o.slot=0 AND o.classification_method='human' AND o.species_key IS NOT NULL "
                "AND i.missing=0 ORDER BY o.image_id",
                (backbone_id,),
            )
        ]

    def unlabeled_probabilities(self, model_id: int) -> list[tuple[int, np.ndarray, int | None]]:
        """(image id, stored probabilities, burst id) of usable images nobody labeled yet."""
        return [
            (r[0], np.frombuffer(r[1], np.float16).astype(np.float32), r[2])
            for r in self.query(
                "SELECT p.image_id, p.probs, i.sequence_id FROM image_predictions p "
                "JOIN images i ON i.id=p.image_id WHERE p.model_id=? AND p.probs IS NOT NULL "
                "AND i.missing=0 AND i.status='ok' AND NOT EXISTS "
                "(SELECT 1 FROM observations o WHERE o.image_id=p.image_id) ORDER BY p.image_id",
                (model_id,),
            )
        ]

    def labeled_image_ids(self) -> set[int]:
        """Images with at least one observation."""
        return {int(r[0]) for r in self.query("SELECT DISTINCT image_id FROM observations")}

    def count_models(self, kind: str) -> int:
        """Registered models of a kind (head, finetuned, pretrained)."""
        return int(self.scalar("SELECT count(*) FROM models WHERE kind=?", (kind,)))

    def model_id(self, version: str) -> int | None:
        """Id of a model version."""
        v = self.scalar("SELECT id FROM models WHERE version=?", (version,))
        return None if v is None else int(v)

    def model_version(self, model_id: int) -> str | None:
        """Version string of a model id."""
        return self.scalar("SELECT version FROM models WHERE id=?", (model_id,))

    def image_facts(self, image_id: int, model_id: int | None) -> dict:
        """What the window shows about one image: file facts, burst position, empty score."""
        row = self.query(
            "SELECT i.path, i.datetime, i.status, i.status_detail, i.sequence_id, i.frame, "
            f"i.camera_model, s.n_frames, {EMPTY_SCORE_SQL}, i.time_offset_s FROM images i "
            "LEFT JOIN sequences s ON s.id=i.sequence_id "
            "LEFT JOIN image_predictions ip ON ip.image_id=i.id AND ip.model_id=? WHERE i.id=?",
            (model_id if model_id is not None else -1, image_id),
        )[0]
        return {
            "path": row[0], "datetime": row[1], "status": row[2], "detail": row[3], "burst": row[4],
            "frame": row[5], "camera": row[6], "frames": row[7], "empty_score": row[8],
            "clock_offset_s": row[9] or 0,
        }  # fmt: skip

    def burst_of_images(self) -> dict[int, int]:
        """Image id -> burst id for every image in a burst."""
        return dict(self.query("SELECT id, sequence_id FROM images WHERE sequence_id IS NOT NULL"))

    def predicted_paths(self, model_id: int) -> list[tuple[int, str, float | None]]:
        """(image id, path, empty score) of images a model predicted, by path."""
        return [
            (r[0], r[1], r[2])
            for r in self.query(
                "SELECT i.id, i.path, p.empty_score FROM images i JOIN image_predictions p "
                "ON p.image_id=i.id AND p.model_id=? WHERE p.error IS NULL ORDER BY i.path",
                (model_id,),
            )
        ]

    def image_paths(self) -> dict[int, str]:
        """Image id -> relative path of every catalogued file."""
        return dict(self.query("SELECT id, path FROM images"))

    # -- audits ------------------------------------------------------------------------------
    def add_audits(self, rows: list[tuple[int, float, str, int, int, str | None]]) -> None:
        """Record audits drawn: (image id, inclusion probability, stratum, stratum size, pool
        size, version of the model whose predictions made the strata)."""
        now = utcnow()
        with self.write() as c:
            c.executemany(
                "INSERT INTO audits (image_id, drawn, inclusion, stratum, stratum_size, pool_size, "
                "model_version) VALUES (?,?,?,?,?,?,?)",
                [(r[0], now, r[1], r[2], r[3], r[4], r[5]) for r in rows],
            )

    def pending_audits(self) -> list[int]:
        """Audited images nobody has labeled yet, oldest draw first."""
        return [
            r[0]
            for r in self.query(
                "SELECT a.image_id FROM audits a JOIN images i ON i.id=a.image_id "
                "WHERE a.dropped=0 AND i.missing=0 AND NOT EXISTS "
                "(SELECT 1 FROM observations o WHERE o.image_id=a.image_id) "
                "GROUP BY a.image_id ORDER BY min(a.id)"
            )
        ]

    def audit_facts(self) -> dict[int, float]:
        """Image id -> inclusion probability of every audited image (its first draw)."""
        return {
            r[0]: r[1]
            for r in self.query(
                "SELECT image_id, inclusion FROM audits WHERE dropped=0 AND id IN "
                "(SELECT min(id) FROM audits GROUP BY image_id)"
            )
        }

    def audit_counts(self) -> dict[str, int]:
        """Audits drawn, answered by a person, and still waiting."""
        r = self.query(
            "SELECT count(DISTINCT a.image_id), count(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM "
            "observations o WHERE o.image_id=a.image_id AND o.classification_method='human') "
            "THEN a.image_id END) FROM audits a WHERE a.dropped=0"
        )[0]
        drawn, answered = r[0] or 0, r[1] or 0
        return {"drawn": drawn, "answered": answered, "pending": len(self.pending_audits())}

    def corrected_machine_labels(self) -> list[tuple[int, str, float, str]]:
        """Images a person relabeled after the machine accepted them: (image id, machine label,
        its probability, the person's label). Evidence against the machine's threshold."""
        out = []
        rows = self.query(
            "SELECT h.image_id, h.before, h.after FROM history h JOIN actions a ON a.id=h.action_id "
            "WHERE a.kind NOT IN ('undo', 'redo', 'auto-accept') ORDER BY h.id"
        )
        for image_id, before, after in rows:
            b, a = json.loads(before), json.loads(after)
            if not b or not a or b[0].get("classification_method") != "machine":
                continue
            if a[0].get("classification_method") != "human":
                continue
            if a[0].get("species_key") != b[0].get("species_key"):
                out.append((image_id, b[0].get("species_key"), float(b[0].get("probability") or 0.0),
                            a[0].get("species_key")))  # fmt: skip
        return out

    def human_labels_of_bursts(self) -> dict[int, set[str]]:
        """Burst id -> the labels already given to its frames (by a person or accepted)."""
        out: dict[int, set[str]] = {}
        for burst, key in self.query(
            "SELECT i.sequence_id, o.species_key FROM observations o JOIN images i ON i.id=o.image_id "
            "WHERE i.sequence_id IS NOT NULL AND o.species_key IS NOT NULL"
        ):
            out.setdefault(burst, set()).add(key)
        return out

    def empty_scores_of(self, model_id: int) -> dict[int, float]:
        """Image id -> empty-frame score of a model's predictions."""
        return {
            r[0]: r[1]
            for r in self.query(
                "SELECT image_id, empty_score FROM image_predictions WHERE model_id=? "
                "AND empty_score IS NOT NULL",
                (model_id,),
            )
        }
