"""Human and machine decisions: observations, the append-only history, actions and undo."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from labeler.core.store.base import StoreBase, utcnow


@dataclass(frozen=True)
class Observation:
    """One decision about one image (an image may hold several: one per species)."""

    observation_type: str
    species_key: str | None = None
    count: int | None = None
    classification_method: str = "human"
    classified_by: str | None = None
    probability: float | None = None
    slot: int = 0
    timestamp: str | None = None

    def to_json(self) -> dict:
        """Plain dict (the form kept in the history)."""
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping) -> Observation:
        """Inverse of :meth:`to_json` (unknown keys ignored)."""
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


@dataclass(frozen=True)
class ActionRecord:
    """A committed change of labels, possibly over many images."""

    id: int
    kind: str
    description: str
    image_ids: tuple[int, ...]
    timestamp: str


def _dump(obs: Sequence[Observation]) -> str:
    return json.dumps([o.to_json() for o in obs], ensure_ascii=False, sort_keys=True)


def _load(text: str) -> list[Observation]:
    return [Observation.from_json(d) for d in json.loads(text)]


class LabelsMixin(StoreBase):
    """Reads and writes of ``observations``, ``history`` and ``actions``."""

    def labels(self, image_ids: Iterable[int]) -> dict[int, list[Observation]]:
        """Current observations of images (images without any map to an empty list)."""
        ids = list(dict.fromkeys(image_ids))
        out: dict[int, list[Observation]] = {i: [] for i in ids}
        for chunk_start in range(0, len(ids), 900):
            chunk = ids[chunk_start : chunk_start + 900]
            marks = ",".join("?" * len(chunk))
            for r in self.query(
                "SELECT image_id, observation_type, species_key, count, classification_method, "
                "classified_by, probability, slot, timestamp FROM observations "
                f"WHERE image_id IN ({marks}) ORDER BY image_id, slot",
                chunk,
            ):
                out[r[0]].append(Observation(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]))
        return out

    def apply_labels(
        self,
        changes: Mapping[int, Sequence[Observation]],
        *,
        kind: str,
        description: str = "",
        author: str | None = None,
        reverts: int | None = None,
    ) -> ActionRecord:
        """Set the observations of each image in ``changes`` in one transaction.

        Every image's before and after states go to the append-only history under one action,
        so the whole change can be undone at once. Returns when the commit has returned.
        """
        now = utcnow()
        ids = list(changes)
        with self.write() as c:
            action_id = c.execute(
                "INSERT INTO actions (kind, description, author, timestamp, reverts, image_count) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind, description, author, now, reverts, len(ids)),
            ).lastrowid
            before = self.labels(ids)
            history, rows = [], []
            for image_id, obs in changes.items():
                stamped = [
                    Observation(**{**o.to_json(), "slot": slot, "timestamp": o.timestamp or now})
                    for slot, o in enumerate(obs)
                ]
                history.append((action_id, image_id, _dump(before[image_id]), _dump(stamped), now))
                rows += [
                    (image_id, o.slot, o.observation_type, o.species_key, o.count,
                     o.classification_method, o.classified_by, o.probability, o.timestamp,
                     action_id)
                    for o in stamped
                ]  # fmt: skip
            c.executemany("DELETE FROM observations WHERE image_id=?", [(i,) for i in ids])
            c.executemany(
                "INSERT INTO observations (image_id, slot, observation_type, species_key, count, "
                "classification_method, classified_by, probability, timestamp, action_id) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            c.executemany(
                "INSERT INTO history (action_id, image_id, before, after, timestamp) "
                "VALUES (?,?,?,?,?)",
                history,
            )
        return ActionRecord(action_id, kind, description, tuple(ids), now)

    def action_states(
        self, action_id: int
    ) -> dict[int, tuple[list[Observation], list[Observation]]]:
        """(before, after) observations of every image an action changed."""
        return {
            r[0]: (_load(r[1]), _load(r[2]))
            for r in self.query(
                "SELECT image_id, before, after FROM history WHERE action_id=? ORDER BY id",
                (action_id,),
            )
        }

    def revert_action(self, action_id: int, *, author: str | None = None) -> ActionRecord:
        """Undo: put every image of an action back to its state before it (a new action)."""
        states = self.action_states(action_id)
        desc = self.scalar("SELECT description FROM actions WHERE id=?", (action_id,)) or ""
        return self.apply_labels(
            {i: before for i, (before, _after) in states.items()},
            kind="undo",
            description=f"undo: {desc}",
            author=author,
            reverts=action_id,
        )

    def reapply_action(self, action_id: int, *, author: str | None = None) -> ActionRecord:
        """Redo: put every image of an action back to its state after it (a new action)."""
        states = self.action_states(action_id)
        desc = self.scalar("SELECT description FROM actions WHERE id=?", (action_id,)) or ""
        return self.apply_labels(
            {i: after for i, (_before, after) in states.items()},
            kind="redo",
            description=f"redo: {desc}",
            author=author,
            reverts=action_id,
        )

    def action_record(self, action_id: int) -> ActionRecord | None:
        """A committed action as :meth:`apply_labels` returned it (None when unknown)."""
        rows = self.query(
            "SELECT kind, description, timestamp FROM actions WHERE id=?", (action_id,)
        )
        if not rows:
            return None
        ids = tuple(
            r[0]
            for r in self.query(
                "SELECT image_id FROM history WHERE action_id=? ORDER BY id", (action_id,)
            )
        )
        return ActionRecord(action_id, rows[0][0], rows[0][1] or "", ids, rows[0][2])

    def images_with_species(self, key: str) -> dict[int, list[Observation]]:
        """Current observations of every image that has one of species ``key``."""
        ids = [
            r[0]
            for r in self.query(
                "SELECT DISTINCT image_id FROM observations WHERE species_key=?", (key,)
            )
        ]
        return self.labels(ids)

    def image_history(self, image_id: int) -> list[dict]:
        """Every change of an image's labels, oldest first: who, how, what before and after."""
        return [
            {
                "action_id": r[0],
                "kind": r[1],
                "description": r[2],
                "author": r[3],
                "timestamp": r[4],
                "before": _load(r[5]),
                "after": _load(r[6]),
            }
            for r in self.query(
                "SELECT a.id, a.kind, a.description, a.author, h.timestamp, h.before, h.after "
                "FROM history h JOIN actions a ON a.id=h.action_id WHERE h.image_id=? ORDER BY h.id",
                (image_id,),
            )
        ]

    def label_counts(self) -> dict[str, int]:
        """Usable images that are labeled, unlabeled, blank, and accepted by the machine."""
        r = self.query(
            "SELECT count(*), "
            "sum(EXISTS(SELECT 1 FROM observations o WHERE o.image_id=i.id)), "
            "sum(EXISTS(SELECT 1 FROM observations o WHERE o.image_id=i.id "
            "AND o.observation_type='blank')), "
            "sum(EXISTS(SELECT 1 FROM observations o WHERE o.image_id=i.id "
            "AND o.classification_method='machine')) "
            "FROM images i WHERE i.missing=0 AND i.status='ok'"
        )[0]
        total, labeled = r[0] or 0, r[1] or 0
        return {
            "images": total,
            "labeled": labeled,
            "unlabeled": total - labeled,
            "blank": r[2] or 0,
            "auto_accepted": r[3] or 0,
        }

    def history_ids(self) -> list[int]:
        """Ids of every history row (append-only: they only ever grow)."""
        return [r[0] for r in self.query("SELECT id FROM history ORDER BY id")]
