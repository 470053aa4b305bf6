"""Labeling actions with undo and redo: what a key press or a bulk command does to the catalog.

Every action is one transaction and one entry in the undo stack, however many images it
touches. The window calls these through its writer; the command line and tests call them
directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from inference.taxonomy import BLANK, OTHER
from labeler.core.store import ActionRecord, Observation, Store

NON_SPECIES = {BLANK, OTHER}


class LabelSession:
    """The user's labeling session over one catalog: actions, undo and redo."""

    def __init__(self, store: Store, author: str = "user"):
        self.store = store
        self.author = author
        self.undo_stack: list[ActionRecord] = []
        self.redo_stack: list[ActionRecord] = []
        self._types: dict[str, str] = {}
        # Images a bulk action left alone because a person had labeled them (for the message).
        self.kept_human: list[int] = []

    # -- helpers -----------------------------------------------------------------------------
    def observation_type(self, key: str) -> str:
        """Camtrap DP observationType of a species key (animal for unknown user keys)."""
        if key not in self._types:
            self._types = {s.key: s.observation_type for s in self.store.species()}
        return self._types.get(key, "animal")

    def human(self, key: str, count: int | None = None) -> Observation:
        """A human decision for a species key."""
        kind = self.observation_type(key)
        return Observation(
            observation_type=kind,
            species_key=key,
            count=None if kind in ("blank", "vehicle") else count,
            classification_method="human",
            classified_by=self.author,
        )

    def _commit(
        self, changes: dict[int, list[Observation]], kind: str, description: str
    ) -> ActionRecord | None:
        if not changes:
            return None
        record = self.store.apply_labels(
            changes, kind=kind, description=description, author=self.author
        )
        self.undo_stack.append(record)
        self.redo_stack.clear()
        return record

    def _without_human(self, ids: list[int]) -> list[int]:
        """``ids`` minus images a person labeled, when the action covers several images: a bulk
        action whose labels come from the model never overwrites a human decision (for a
        single image, accepting a suggestion is the person's own choice)."""
        self.kept_human = []
        if len(ids) <= 1:
            return ids
        labels = self.store.labels(ids)
        self.kept_human = [
            i for i in ids if any(o.classification_method == "human" for o in labels[i])
        ]
        kept = set(self.kept_human)
        return [i for i in ids if i not in kept]

    def _model_id(self, model_id: int | None) -> int | None:
        if model_id is not None:
            return model_id
        active = self.store.active_model()
        return None if active is None else active["id"]

    # -- actions -----------------------------------------------------------------------------
    def set_species(
        self, ids: Iterable[int], key: str, count: int | None = None
    ) -> ActionRecord | None:
        """Label images with one species the person chose (replacing what they had)."""
        ids = list(dict.fromkeys(ids))
        obs = self.human(key, count)
        name = "blank" if key == BLANK else key
        return self._commit({i: [obs] for i in ids}, "set", f"{name} on {len(ids)} image(s)")

    def mark_blank(self, ids: Iterable[int]) -> ActionRecord | None:
        """Mark images as empty frames."""
        return self.set_species(ids, BLANK)

    def accept_suggestion(
        self, ids: Iterable[int], rank: int = 1, model_id: int | None = None
    ) -> ActionRecord | None:
        """Confirm each image's own rank-k suggestion (images without one are left alone; in
        bulk, images a person already labeled are kept)."""
        model = self._model_id(model_id)
        if model is None:
            return None
        picks = self.store.suggestions_at(
            model, self._without_human(list(dict.fromkeys(ids))), rank
        )
        changes = {i: [self.human(label)] for i, (label, _score) in picks.items()}
        return self._commit(
            changes, "accept", f"accept suggestion {rank} on {len(changes)} image(s)"
        )

    def set_count(self, ids: Iterable[int], count: int) -> ActionRecord | None:
        """Change the count of the first species of labeled images."""
        current = self.store.labels(ids)
        changes = {}
        for i, obs in current.items():
            if obs and obs[0].observation_type not in ("blank", "vehicle"):
                first = Observation(**{**obs[0].to_json(), "count": count, "timestamp": None,
                                       "classification_method": "human", "classified_by": self.author})  # fmt: skip
                changes[i] = [first, *obs[1:]]
        return self._commit(changes, "count", f"count {count} on {len(changes)} image(s)")

    def add_species(
        self, ids: Iterable[int], key: str, count: int | None = None
    ) -> ActionRecord | None:
        """Add a further species to images (multi-species frames); a blank label is replaced."""
        current = self.store.labels(ids)
        changes = {}
        for i, obs in current.items():
            kept = [o for o in obs if o.observation_type != "blank" and o.species_key != key]
            changes[i] = [*kept, self.human(key, count)]
        return self._commit(changes, "add", f"add {key} to {len(changes)} image(s)")

    def clear(self, ids: Iterable[int]) -> ActionRecord | None:
        """Remove every label of the images."""
        ids = list(dict.fromkeys(ids))
        return self._commit({i: [] for i in ids}, "clear", f"clear {len(ids)} image(s)")

    def label_bursts(
        self, ids: Iterable[int], key: str, count: int | None = None
    ) -> ActionRecord | None:
        """Label every frame of the bursts the images belong to with the species the person
        chose."""
        frames = [f for members in self.store.bursts_of(ids).values() for f in members]
        obs = self.human(key, count)
        return self._commit(
            {i: [obs] for i in frames}, "burst", f"{key} on {len(frames)} frame(s) of whole bursts"
        )

    def burst_majority(
        self, ids: Iterable[int], model_id: int | None = None
    ) -> ActionRecord | None:
        """Give the frames of each burst that no person labeled the burst's species.

        When a person labeled frames of the burst, their most frequent species wins; only when
        nobody did do the model's top suggestions vote. Blank and other never vote, so the
        empty frames of a burst join its animal. Frames a person labeled are never changed.
        """
        bursts = self.store.bursts_of(ids)
        all_frames = [f for m in bursts.values() for f in m]
        labels = self.store.labels(all_frames)
        model = self._model_id(model_id)
        top1 = self.store.suggestions_at(model, all_frames, 1) if model is not None else {}
        changes: dict[int, list[Observation]] = {}
        self.kept_human = []
        for members in bursts.values():
            human = Counter(
                o.species_key
                for f in members
                for o in labels[f]
                if o.classification_method == "human" and o.species_key not in NON_SPECIES
            )
            votes = human or Counter(
                top1[f][0]
                for f in members
                if not labels[f] and f in top1 and top1[f][0] not in NON_SPECIES
            )
            if not votes:
                continue
            winner = votes.most_common(1)[0][0]
            counts = [
                o.count for f in members for o in labels[f] if o.species_key == winner and o.count
            ]
            obs = self.human(winner, max(counts) if counts else None)
            for f in members:
                if any(o.classification_method == "human" for o in labels[f]):
                    self.kept_human.append(f)
                else:
                    changes[f] = [obs]
        return self._commit(changes, "majority", f"burst majority on {len(changes)} frame(s)")

    def accept_machine(
        self, decisions: dict[int, tuple[str, float]], model_version: str, description: str
    ) -> ActionRecord | None:
        """Record machine decisions (auto-accept): method machine, the model and its score.

        Only images nobody has labeled are written: a decision never replaces a label.
        """
        current = self.store.labels(list(decisions))
        changes = {
            i: [Observation(self.observation_type(k), k, None, "machine", model_version, float(p))]
            for i, (k, p) in decisions.items()
            if not current[i]
        }
        return self._commit(changes, "auto-accept", description)

    def merge_species(self, source: str, target: str) -> ActionRecord | None:
        """Relabel every observation of ``source`` as ``target`` (one undoable action).

        Each observation keeps its method, author, probability and count, so a machine decision
        stays a machine decision; an image that already holds ``target`` keeps one observation
        of it, with the larger count.
        """
        changes: dict[int, list[Observation]] = {}
        for image_id, obs in self.store.images_with_species(source).items():
            merged: list[Observation] = []
            for o in obs:
                if o.species_key == source:
                    o = replace(o, species_key=target)
                same = [i for i, m in enumerate(merged) if o.species_key == m.species_key == target]
                if not same:
                    merged.append(o)
                elif (o.count or 0) > (merged[same[0]].count or 0):
                    merged[same[0]] = replace(merged[same[0]], count=o.count)
            changes[image_id] = merged
        return self._commit(
            changes, "merge", f"merge {source} into {target} on {len(changes)} image(s)"
        )

    def adopt(self, action_id: int) -> ActionRecord | None:
        """Put an action committed elsewhere (an import run as a background job) on this
        session's undo stack, so that Ctrl+Z undoes it."""
        record = self.store.action_record(action_id)
        if record is not None:
            self.undo_stack.append(record)
            self.redo_stack.clear()
        return record

    # -- undo --------------------------------------------------------------------------------
    def undo(self) -> ActionRecord | None:
        """Revert the last action; returns the revert (None when there is nothing to undo)."""
        if not self.undo_stack:
            return None
        action = self.undo_stack.pop()
        record = self.store.revert_action(action.id, author=self.author)
        self.redo_stack.append(action)
        return record

    def redo(self) -> ActionRecord | None:
        """Re-apply the last undone action."""
        if not self.redo_stack:
            return None
        action = self.redo_stack.pop()
        record = self.store.reapply_action(action.id, author=self.author)
        self.undo_stack.append(record)
        return record

    def describe_undo(self) -> str | None:
        """What Ctrl+Z would undo."""
        return self.undo_stack[-1].description if self.undo_stack else None

    def describe_redo(self) -> str | None:
        """What Ctrl+Shift+Z would redo."""
        return self.redo_stack[-1].description if self.redo_stack else None


def primary_label(obs: Sequence[Observation]) -> str | None:
    """The key shown for an image: its first observation's species."""
    return obs[0].species_key if obs else None
