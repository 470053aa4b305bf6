"""Models, machine predictions (top-k, probabilities, empty scores), embeddings and species."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from labeler.core.store.base import StoreBase, utcnow


@dataclass(frozen=True)
class PredictionRow:
    """One image's prediction to store (or its failure, with ``error`` set)."""

    image_id: int
    topk: Sequence[tuple[str, float]] = ()
    probs: np.ndarray | None = None
    embedding: np.ndarray | None = None
    thumb: np.ndarray | None = None
    blank_prob: float | None = None
    error: str | None = None
    cropped: bool | None = None


@dataclass(frozen=True)
class SpeciesRow:
    """An entry of the project's species list."""

    key: str
    common_name: str
    scientific_name: str | None
    observation_type: str
    source: str
    active: bool


class PredictionsMixin(StoreBase):
    """Reads and writes of ``models``, ``predictions``, ``image_predictions``, ``embeddings``
    and ``species``."""

    # -- species list ------------------------------------------------------------------------
    def ensure_species(self, rows: Iterable[SpeciesRow]) -> int:
        """Add taxa the project does not list yet (never changes or removes existing ones)."""
        with self.write() as c:
            before = c.total_changes
            c.executemany(
                "INSERT OR IGNORE INTO species (key, common_name, scientific_name, "
                "observation_type, source, active) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.key,
                        r.common_name,
                        r.scientific_name,
                        r.observation_type,
                        r.source,
                        int(r.active),
                    )
                    for r in rows
                ],
            )
            return c.total_changes - before

    def species(self, active_only: bool = False) -> list[SpeciesRow]:
        """The project's species list, in insertion order."""
        sql = "SELECT key, common_name, scientific_name, observation_type, source, active FROM species"
        if active_only:
            sql += " WHERE active=1"
        return [
            SpeciesRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]))
            for r in self.query(sql + " ORDER BY id")
        ]

    def add_species(
        self, key: str, common_name: str, scientific_name: str | None = None,
        observation_type: str = "animal",
    ) -> None:  # fmt: skip
        """Add a user species (stored verbatim); re-activates it if it exists."""
        with self.write() as c:
            c.execute(
                "INSERT INTO species (key, common_name, scientific_name, observation_type, source, "
                "active) VALUES (?, ?, ?, ?, 'user', 1) ON CONFLICT(key) DO UPDATE SET active=1",
                (key, common_name, scientific_name, observation_type),
            )

    def set_species_active(self, key: str, active: bool) -> None:
        """Show or hide a species in suggestions (its labels are kept)."""
        with self.write() as c:
            c.execute("UPDATE species SET active=? WHERE key=?", (int(active), key))

    def rename_species(
        self, key: str, common_name: str, scientific_name: str | None = None
    ) -> None:
        """Give a species a new common (and optionally scientific) name; its key stays."""
        with self.write() as c:
            if scientific_name is None:
                c.execute("UPDATE species SET common_name=? WHERE key=?", (common_name, key))
            else:
                c.execute(
                    "UPDATE species SET common_name=?, scientific_name=? WHERE key=?",
                    (common_name, scientific_name or None, key),
                )

    def species_usage(self) -> dict[str, int]:
        """Number of current observations of each species key."""
        return {
            r[0]: r[1]
            for r in self.query(
                "SELECT species_key, count(*) FROM observations WHERE species_key IS NOT NULL "
                "GROUP BY species_key"
            )
        }

    def delete_species(self, keys: Iterable[str]) -> list[str]:
        """Remove user-added species that no observation uses; returns the keys removed.

        Species of the bundled taxonomy are hidden instead (they would come back on the next
        open), and a species in use is never removed.
        """
        wanted = list(dict.fromkeys(keys))
        with self.write() as c:
            removed = []
            for key in wanted:
                n = c.execute(
                    "DELETE FROM species WHERE key=? AND source='user' AND NOT EXISTS "
                    "(SELECT 1 FROM observations o WHERE o.species_key=species.key)",
                    (key,),
                ).rowcount
                if n:
                    removed.append(key)
            return removed

    # -- models ------------------------------------------------------------------------------
    def register_model(
        self, version: str, name: str, kind: str, card: dict, path: str | None = None
    ) -> int:
        """Id of a model version, recording it the first time it is seen."""
        existing = self.scalar("SELECT id FROM models WHERE version=?", (version,))
        if existing is not None:
            return int(existing)
        with self.write() as c:
            return c.execute(
                "INSERT INTO models (version, name, kind, card, path, created) VALUES (?,?,?,?,?,?)",
                (version, name, kind, json.dumps(card), path, utcnow()),
            ).lastrowid

    def set_active_model(self, model_id: int) -> None:
        """Make this model the one whose suggestions the project shows."""
        with self.write() as c:
            c.execute("UPDATE models SET active=(id=?)", (model_id,))

    def active_model(self) -> dict | None:
        """The model whose suggestions are shown (the newest registered one by default)."""
        rows = self.query("SELECT * FROM models ORDER BY active DESC, id DESC LIMIT 1")
        if not rows:
            return None
        d = dict(rows[0])
        d["card"] = json.loads(d["card"])
        return d

    def models(self) -> list[dict]:
        """All registered model versions, oldest first."""
        out = []
        for r in self.query("SELECT * FROM models ORDER BY id"):
            d = dict(r)
            d["card"] = json.loads(d["card"])
            out.append(d)
        return out

    # -- predictions -------------------------------------------------------------------------
    def unpredicted_images(self, model_id: int) -> list[tuple[int, str]]:
        """Usable images without a prediction (or failure) from this model, burst order."""
        return [
            (r[0], r[1])
            for r in self.query(
                "SELECT id, path FROM images WHERE status='ok' AND missing=0 AND id NOT IN "
                "(SELECT image_id FROM image_predictions WHERE model_id=?) "
                "ORDER BY folder, sequence_id IS NULL, sequence_id, frame, path",
                (model_id,),
            )
        ]

    def write_predictions(self, model_id: int, rows: Sequence[PredictionRow]) -> None:
        """Store a batch of predictions and failures in one transaction (replacing old ones)."""
        now = utcnow()
        ids = [(r.image_id, model_id) for r in rows]
        with self.write() as c:
            c.executemany("DELETE FROM predictions WHERE image_id=? AND model_id=?", ids)
            c.executemany(
                "INSERT OR REPLACE INTO image_predictions (image_id, model_id, empty_score, probs, "
                "error, created, thumb, blank_prob, cropped) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.image_id,
                        model_id,
                        r.blank_prob,
                        None if r.probs is None else np.asarray(r.probs, np.float16).tobytes(),
                        r.error,
                        now,
                        None if r.thumb is None else np.asarray(r.thumb, np.uint8).tobytes(),
                        r.blank_prob,
                        None if r.cropped is None else int(r.cropped),
                    )
                    for r in rows
                ],
            )
            c.executemany(
                "INSERT INTO predictions (image_id, model_id, rank, label, score) VALUES (?,?,?,?,?)",
                [
                    (r.image_id, model_id, rank, label, float(score))
                    for r in rows
                    for rank, (label, score) in enumerate(r.topk, start=1)
                ],
            )
            c.executemany(
                "INSERT OR REPLACE INTO embeddings (image_id, model_id, dim, vector) VALUES (?,?,?,?)",
                [
                    (r.image_id, model_id, int(r.embedding.shape[-1]),
                     np.asarray(r.embedding, np.float16).tobytes())
                    for r in rows
                    if r.embedding is not None
                ],
            )  # fmt: skip

    def replace_topk(self, model_id: int, topk: dict[int, Sequence[tuple[str, float]]]) -> None:
        """Replace the stored top-k of images (after the species list or a head changed)."""
        with self.write() as c:
            c.executemany(
                "DELETE FROM predictions WHERE image_id=? AND model_id=?",
                [(i, model_id) for i in topk],
            )
            c.executemany(
                "INSERT INTO predictions (image_id, model_id, rank, label, score) VALUES (?,?,?,?,?)",
                [
                    (i, model_id, rank, label, float(score))
                    for i, rows in topk.items()
                    for rank, (label, score) in enumerate(rows, start=1)
                ],
            )

    def set_empty_scores(self, model_id: int, scores: dict[int, float]) -> None:
        """Store empty-frame scores of images for a model."""
        with self.write() as c:
            c.executemany(
                "UPDATE image_predictions SET empty_score=? WHERE image_id=? AND model_id=?",
                [(float(s), i, model_id) for i, s in scores.items()],
            )

    def empty_inputs(
        self, model_id: int
    ) -> list[tuple[int, int | None, np.ndarray | None, float | None]]:
        """Per predicted image: (id, burst id, thumbnail, blank probability), burst order."""
        out = []
        for r in self.query(
            "SELECT i.id, i.sequence_id, p.thumb, p.blank_prob FROM image_predictions p "
            "JOIN images i ON i.id=p.image_id WHERE p.model_id=? AND p.error IS NULL "
            "ORDER BY i.sequence_id, i.frame",
            (model_id,),
        ):
            thumb = None
            if r[2] is not None:
                flat = np.frombuffer(r[2], np.uint8)
                side = int(round(len(flat) ** 0.5))
                thumb = flat.reshape(side, side) if side * side == len(flat) else None
            out.append((r[0], r[1], thumb, r[3]))
        return out

    def stored_probs(
        self, model_id: int, image_ids: Iterable[int] | None = None
    ) -> dict[int, np.ndarray]:
        """Full probability vectors (float32) of a model, by image id."""
        sql = "SELECT image_id, probs FROM image_predictions WHERE model_id=? AND probs IS NOT NULL"
        if image_ids is None:
            rows = self.query(sql, (model_id,))
        else:
            ids = list(dict.fromkeys(int(i) for i in image_ids))
            rows = []
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                rows += self.query(
                    f"{sql} AND image_id IN ({','.join('?' * len(chunk))})", (model_id, *chunk)
                )
        return {r[0]: np.frombuffer(r[1], np.float16).astype(np.float32) for r in rows}

    def embeddings(self, model_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(image ids, float32 matrix) of a model's stored embeddings."""
        rows = self.query(
            "SELECT image_id, vector FROM embeddings WHERE model_id=? ORDER BY image_id",
            (model_id,),
        )
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        ids = np.array([r[0] for r in rows], np.int64)
        mat = np.stack([np.frombuffer(r[1], np.float16) for r in rows]).astype(np.float32)
        return ids, mat

    def iter_embeddings(self, model_id: int, chunk: int = 5000):
        """Yield (image ids, float32 matrix) chunks of a model's embeddings (bounded memory)."""
        last = -1
        while True:
            rows = self.query(
                "SELECT image_id, vector FROM embeddings WHERE model_id=? AND image_id>? "
                "ORDER BY image_id LIMIT ?",
                (model_id, last, chunk),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield (
                np.array([r[0] for r in rows], np.int64),
                np.stack([np.frombuffer(r[1], np.float16) for r in rows]).astype(np.float32),
            )

    def topk(self, model_id: int, image_id: int) -> list[tuple[str, float]]:
        """Stored top-k suggestions of one image."""
        return [
            (r[0], r[1])
            for r in self.query(
                "SELECT label, score FROM predictions WHERE model_id=? AND image_id=? ORDER BY rank",
                (model_id, image_id),
            )
        ]

    def prediction_failures(self, model_id: int) -> list[tuple[str, str]]:
        """(path, reason) of images a model could not read."""
        return [
            (r[0], r[1])
            for r in self.query(
                "SELECT i.path, p.error FROM image_predictions p JOIN images i ON i.id=p.image_id "
                "WHERE p.model_id=? AND p.error IS NOT NULL ORDER BY i.path",
                (model_id,),
            )
        ]

    def prediction_counts(self, model_id: int) -> dict[str, int]:
        """Predicted and failed images of a model."""
        r = self.query(
            "SELECT sum(error IS NULL), sum(error IS NOT NULL) FROM image_predictions WHERE model_id=?",
            (model_id,),
        )[0]
        return {"predicted": r[0] or 0, "failed": r[1] or 0}

    def suggestions_at(
        self, model_id: int, image_ids: Sequence[int], rank: int
    ) -> dict[int, tuple[str, float]]:
        """The rank-k suggestion (label, score) of each image that has one."""
        out: dict[int, tuple[str, float]] = {}
        ids = list(image_ids)
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for r in self.query(
                f"SELECT image_id, label, score FROM predictions WHERE model_id=? AND rank=? "
                f"AND image_id IN ({marks})",
                (model_id, rank, *chunk),
            ):
                out[r[0]] = (r[1], r[2])
        return out
