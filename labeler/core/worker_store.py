"""The catalog as a background job sees it: reads on its own read-only connection, writes
through the one writer, each waiting for its commit.

With it the window runs the very generators the command line runs (``run_scan``,
``run_predict``, exports, imports, retrains) on a worker thread: they take a ``Store`` and call
its methods; :class:`WorkerStore` sends the reading ones to a private read-only connection and
the writing ones to the :class:`~labeler.core.writer.CatalogWriter` thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from labeler.core.store import ReadOnlyStoreError, Store
from labeler.core.writer import CatalogWriter

# Store methods known to write (checked against the store's code by a test). A method missing
# here still works: its first call fails on the read-only connection before it changes
# anything and is sent to the writer, and later calls go there at once.
WRITE_METHODS = frozenset({
    "set_meta", "set_deployment", "write_detections", "upsert_files", "mark_missing",
    "resolve_duplicates", "replace_sequences", "begin_scan", "end_scan", "apply_labels",
    "revert_action", "reapply_action", "ensure_species", "add_species", "set_species_active",
    "register_model", "set_active_model", "write_predictions", "replace_topk", "set_empty_scores",
    "rename_species", "delete_species", "set_note", "register_region_source", "set_time_offsets",
    "add_audits", "add_species_many",
})  # fmt: skip

WriteHook = Callable[[str, tuple, dict, Any], None]


class SplitStore:
    """A ``Store`` stand-in whose reads run on its own read-only connection and whose writes
    go to ``_forward`` (a writer thread, or the parent of a job's process)."""

    def __init__(self, db_path: str | os.PathLike[str]):
        self._reader = Store(db_path, readonly=True)
        self._writes = set(WRITE_METHODS)
        self.path = self._reader.path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "write":
            raise AttributeError("background jobs write through Store methods, not write()")
        attr = getattr(self._reader, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if name not in self._writes:
                try:
                    return attr(*args, **kwargs)
                except ReadOnlyStoreError:
                    # A write the list did not name: refused before it changed anything.
                    self._writes.add(name)
            return self._forward(name, args, kwargs)

        return call

    def _forward(self, name: str, args: tuple, kwargs: dict) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        """Close the read-only connection."""
        self._reader.close()


class WorkerStore(SplitStore):
    """A ``Store`` stand-in for one background job (use it on that job's thread only)."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        writer: CatalogWriter,
        *,
        on_write: WriteHook | None = None,
    ):
        super().__init__(db_path)
        self._writer = writer
        self._on_write = on_write

    def _forward(self, name: str, args: tuple, kwargs: dict) -> Any:
        result = self._writer.call(lambda store: getattr(store, name)(*args, **kwargs))
        if self._on_write is not None:
            self._on_write(name, args, kwargs, result)
        return result

    def __enter__(self) -> WorkerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
