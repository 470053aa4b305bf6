"""Free-text notes, one per image (what the observer wants to remember about a frame)."""

from __future__ import annotations

from collections.abc import Iterable

from labeler.core.store.base import StoreBase, utcnow


class NotesMixin(StoreBase):
    """Reads and writes of ``image_notes``."""

    def set_note(self, image_id: int, text: str, author: str | None = None) -> None:
        """Store an image's note (an empty text removes it)."""
        with self.write() as c:
            if text.strip():
                c.execute(
                    "INSERT INTO image_notes (image_id, note, author, timestamp) VALUES (?,?,?,?) "
                    "ON CONFLICT(image_id) DO UPDATE SET note=excluded.note, "
                    "author=excluded.author, timestamp=excluded.timestamp",
                    (image_id, text, author, utcnow()),
                )
            else:
                c.execute("DELETE FROM image_notes WHERE image_id=?", (image_id,))

    def notes(self, image_ids: Iterable[int]) -> dict[int, str]:
        """Notes of the given images (images without one are left out)."""
        ids = list(dict.fromkeys(image_ids))
        out: dict[int, str] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            out.update(
                (r[0], r[1])
                for r in self.query(
                    f"SELECT image_id, note FROM image_notes WHERE image_id IN ({marks})", chunk
                )
            )
        return out
