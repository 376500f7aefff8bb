"""Services: every user action as a function of a :class:`~gaoxin.store.db.Store` and typed arguments.

The command line, the demo and every later surface (web API, reports) call
these functions only; they call the stages (ingest → store → indicators →
evaluation → analysis) and return typed, serialisable results.  Nothing here
formats for a terminal or a page.  Modules: ``snapshots``, ``ingest``,
``indicators``, ``evaluation``, ``monitoring``, ``export``, ``configs``,
``demo``.
"""

from gaoxin.store.db import Store, StoreBusy, StoreError, db_path


def schema(store: Store) -> tuple[int, int]:
    """(the store's schema version, this gaoxin's latest)."""
    from gaoxin.store.db import latest_version, schema_version

    return schema_version(store.con), latest_version()


__all__ = ["Store", "StoreBusy", "StoreError", "db_path", "schema"]
