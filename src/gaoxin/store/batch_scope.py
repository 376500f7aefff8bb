"""Which zones an ingest batch touches, read inside its transaction (the web upload's scope check).

A batch upserts by key, so it touches the zones of its accepted rows and the zones of the rows those
replace (an enterprise-year moved from another zone would otherwise leave that zone's data).  Called
from ingest's ``write`` stage hook, when the batch's ``batch_<kind>`` views exist on ``con``.
"""

from __future__ import annotations

import duckdb

from gaoxin.ingest import contract
from gaoxin.store.snapshots import DATA_TABLES, latest

_READERS = {"zones": "zones_at", "enterprises": "enterprise_years_at", "zone_facts": "zone_facts_at"}


def touched_zones(con: duckdb.DuckDBPyConnection) -> set[str]:
    present = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    prev = latest(con) or 0
    out: set[str] = set()
    for kind in contract.TABLES:  # relation names come from the contract, never from user text
        view = f"batch_{kind}"
        if view not in present or kind not in DATA_TABLES.values():
            continue
        key = list(contract.tables()[kind].key)
        on = " AND ".join(f"b.{k} = c.{k}" for k in key)
        rows = con.execute(
            f"SELECT DISTINCT zone_id FROM {view} WHERE _ok AND zone_id IS NOT NULL UNION "
            f"SELECT DISTINCT c.zone_id FROM {_READERS[kind]}({int(prev)}) c JOIN {view} b ON {on} WHERE b._ok"
        ).fetchall()
        out.update(str(r[0]) for r in rows)
    return out
