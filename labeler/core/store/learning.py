"""Reads that active learning and the window need: training rows, review candidates, image facts."""

from __future__ import annotations

import numpy as np

from labeler.core.store.base import StoreBase


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
            "i.camera_model, s.n_frames, p.empty_score, i.time_offset_s FROM images i "
            "LEFT JOIN sequences s ON s.id=i.sequence_id "
            "LEFT JOIN image_predictions p ON p.image_id=i.id AND p.model_id=? WHERE i.id=?",
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
