"""Services: every user action as a function of a :class:`~gaoxin.store.db.Store` and typed arguments.

The command line, the demo and every later surface (web API, reports) call
these functions only; they call the stages (ingest → store → indicators →
evaluation → analysis) and return typed, serialisable results.  Nothing here
formats for a terminal or a page.  Modules: ``snapshots``, ``ingest``,
``indicators``, ``evaluation``, ``monitoring``, ``export``, ``configs``,
``demo``.
"""

from gaoxin.store.db import Store, StoreBusy, StoreError

__all__ = ["Store", "StoreBusy", "StoreError"]
