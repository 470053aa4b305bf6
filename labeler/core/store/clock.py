"""Clock corrections: each image's offset to its camera's reading, changed as undoable actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from labeler.core.store.base import StoreBase, utcnow
from labeler.core.store.labels import ActionRecord

CLOCK_KIND = "clock"


class ClockMixin(StoreBase):
    """Reads and writes of ``images.time_offset_s`` and the ``clock_corrections`` log."""

    def time_offsets(self, image_ids: Iterable[int]) -> dict[int, tuple[str | None, int]]:
        """(camera reading, current correction in seconds) of images."""
        ids = list(dict.fromkeys(image_ids))
        out: dict[int, tuple[str | None, int]] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            for r in self.query(
                "SELECT id, datetime, time_offset_s FROM images "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[r[0]] = (r[1], r[2] or 0)
        return out

    def folder_images(self, folder: str) -> list[int]:
        """Ids of every catalogued image of a camera folder."""
        return [
            r[0] for r in self.query("SELECT id FROM images WHERE folder=? ORDER BY id", (folder,))
        ]

    def set_time_offsets(
        self,
        offsets: Mapping[int, int],
        *,
        description: str,
        author: str | None = None,
        reverts: int | None = None,
    ) -> ActionRecord:
        """Give images new clock corrections in one transaction, logged as one action."""
        now = utcnow()
        ids = list(offsets)
        with self.write() as c:
            action_id = c.execute(
                "INSERT INTO actions (kind, description, author, timestamp, reverts, image_count) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (CLOCK_KIND, description, author, now, reverts, len(ids)),
            ).lastrowid
            before = {}
            for start in range(0, len(ids), 900):
                chunk = ids[start : start + 900]
                before.update(c.execute(
                    "SELECT id, time_offset_s FROM images "
                    f"WHERE id IN ({','.join('?' * len(chunk))})", chunk,
                ).fetchall())  # fmt: skip
            c.executemany(
                "INSERT INTO clock_corrections (action_id, image_id, before_s, after_s) "
                "VALUES (?,?,?,?)",
                [(action_id, i, before.get(i) or 0, int(s)) for i, s in offsets.items()],
            )
            c.executemany(
                "UPDATE images SET time_offset_s=? WHERE id=?",
                [(int(s), i) for i, s in offsets.items()],
            )
        return ActionRecord(action_id, CLOCK_KIND, description, tuple(ids), now)

    def clock_action_states(self, action_id: int) -> dict[int, tuple[int, int]]:
        """(before, after) correction of every image a clock action changed."""
        return {
            r[0]: (r[1], r[2])
            for r in self.query(
                "SELECT image_id, before_s, after_s FROM clock_corrections WHERE action_id=? ORDER BY id",
                (action_id,),
            )
        }

    def clock_actions(self) -> list[dict]:
        """Every clock correction, oldest first."""
        return [
            dict(r)
            for r in self.query(
                "SELECT id, description, author, timestamp, image_count, reverts FROM actions "
                "WHERE kind=? ORDER BY id",
                (CLOCK_KIND,),
            )
        ]

    def clock_history(self, image_id: int) -> list[dict]:
        """Every clock correction of one image: when, who, what, the offset before and after."""
        return [
            {
                "action_id": r[0],
                "kind": CLOCK_KIND,
                "description": r[1],
                "author": r[2],
                "timestamp": r[3],
                "before_s": r[4],
                "after_s": r[5],
            }  # fmt: skip
            for r in self.query(
                "SELECT a.id, a.description, a.author, a.timestamp, c.before_s, c.after_s "
                "FROM clock_corrections c JOIN actions a ON a.id=c.action_id "
                "WHERE c.image_id=? ORDER BY c.id",
                (image_id,),
            )
        ]
