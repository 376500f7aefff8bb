"""Snapshots: immutable, numbered, named versions of the stored data.

A snapshot is the set of rows visible at its id (see migrations/001).  A new
snapshot holds the previous one plus the batch's rows; a re-submitted key
closes the older row and the new one takes its place.  Nothing else ever
changes a stored row, which is what makes every past snapshot reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from gaoxin.store.sql import ident

if TYPE_CHECKING:
    import pandas as pd

# store table name -> (contract table, key columns)
DATA_TABLES = {
    "zone": "zones",
    "enterprise_year": "enterprises",
    "zone_fact": "zone_facts",
}


def key_of(store_table: str) -> list[str]:
    from gaoxin.ingest.contract import tables  # pydantic: ~0.1 s of start-up, only when keys are needed

    return list(tables()[DATA_TABLES[store_table]].key)


def value_columns(con: duckdb.DuckDBPyConnection, store_table: str) -> list[str]:
    """Data columns compared to decide whether a re-submitted row changed."""
    if store_table not in DATA_TABLES:
        raise ValueError(f"not a data table: {store_table!r}")
    skip = {"row_id", "valid_from", "valid_to", "source_file", "source_row"}
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                      "ORDER BY ordinal_position", [store_table]).fetchall()]
    return [c for c in cols if c not in skip]


class SnapshotNotFound(LookupError):
    pass


def resolve(con: duckdb.DuckDBPyConnection, ref: str | int | None = None) -> int:
    """Snapshot id from an id, a name, or None/'latest' (the newest)."""
    if ref is None or str(ref) == "latest":
        row = con.execute("SELECT max(id) FROM snapshot").fetchall()[0]
        if row[0] is None:
            raise SnapshotNotFound("尚无快照，请先导入数据 / no snapshot yet: run `gaoxin ingest` first")
        return row[0]
    s = str(ref).strip()
    if s.isdigit():  # a number is always an id (names cannot be numbers)
        rows = con.execute("SELECT id FROM snapshot WHERE id = ?", [int(s)]).fetchall()
    else:
        rows = con.execute("SELECT id FROM snapshot WHERE name = ?", [str(ref)]).fetchall()
    if not rows:
        raise SnapshotNotFound(f"快照不存在 / snapshot not found: {s}")
    return rows[0][0]


def name_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM snapshot WHERE name = ?", [name]).fetchall()[0][0])


def latest(con: duckdb.DuckDBPyConnection) -> int | None:
    return con.execute("SELECT max(id) FROM snapshot").fetchall()[0][0]


def listing(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every snapshot with its row counts per table, sources and time."""
    rows = con.execute(
        """
        SELECT s.id, s.name, s.created_at, s.sources, s.accepted, s.rejected, s.warnings, s.replaced,
          (SELECT count(*) FROM zone z WHERE z.valid_from <= s.id AND (z.valid_to IS NULL OR z.valid_to > s.id)),
          (SELECT count(*) FROM enterprise_year e
             WHERE e.valid_from <= s.id AND (e.valid_to IS NULL OR e.valid_to > s.id)),
          (SELECT count(*) FROM zone_fact f WHERE f.valid_from <= s.id AND (f.valid_to IS NULL OR f.valid_to > s.id))
        FROM snapshot s ORDER BY s.id
        """
    ).fetchall()
    keys = ["id", "name", "created_at", "sources", "accepted", "rejected", "warnings", "replaced",
            "zones", "enterprise_years", "zone_facts"]
    return [dict(zip(keys, r, strict=True)) for r in rows]


def zones(con: duckdb.DuckDBPyConnection, snapshot: int) -> pd.DataFrame:
    """The zones visible in ``snapshot`` (zone_id, name, level, province_code, region, approved_year)."""
    return con.execute("SELECT zone_id, name, level, province_code, region, approved_year FROM zones_at(?) "
                       "ORDER BY zone_id", [int(snapshot)]).df()


def last_year(con: duckdb.DuckDBPyConnection, snapshot: int) -> int | None:
    """The latest enterprise-year in ``snapshot`` (None when it holds no enterprise rows)."""
    y = con.execute("SELECT max(year) FROM enterprise_years_at(?)", [int(snapshot)]).fetchall()[0][0]
    return None if y is None else int(y)


def national_zone_counts(con: duckdb.DuckDBPyConnection, snapshot: int, first: int, last: int,
                         province: str | None = None) -> pd.DataFrame:
    """Number of national zones approved by each year ``first``..``last`` (optionally of one province)."""
    return con.execute(
        """SELECT y.year, count(z.zone_id) AS value FROM range(?, ? + 1) y(year)
           LEFT JOIN zones_at(?) z ON z.level = 'national' AND coalesce(z.approved_year, 0) <= y.year
                AND (CAST(? AS VARCHAR) IS NULL OR z.province_code = ?)
           GROUP BY y.year ORDER BY y.year""",
        [int(first), int(last), int(snapshot), province, province]).df()


def zone_year_totals(con: duckdb.DuckDBPyConnection, snapshot: int, year: int) -> pd.DataFrame:
    """Per zone, for one year: enterprises, revenue (亿元) and R&D intensity — the demo's overview."""
    return con.execute(
        """SELECT z.zone_id, z.name, z.region, count(e.credit_code) AS enterprises,
                  sum(e.revenue) / 1e5 AS revenue_100m_yuan,
                  sum(e.rd_expense) / nullif(sum(e.revenue), 0) AS rd_intensity
           FROM zones_at(?) z
           LEFT JOIN enterprise_years_at(?) e ON e.zone_id = z.zone_id AND e.year = ?
           GROUP BY ALL ORDER BY revenue_100m_yuan DESC NULLS LAST, z.zone_id""",
        [int(snapshot), int(snapshot), int(year)]).df()


@dataclass(frozen=True)
class TableDiff:
    table: str
    added: int
    changed: int
    removed: int


def diff(con: duckdb.DuckDBPyConnection, a: int, b: int) -> list[TableDiff]:
    """Rows added, changed and removed going from snapshot ``a`` to ``b``, per table.

    Matching is by the table's key; 'changed' means the key is in both and the
    visible row differs (a different stored row version with different values).
    """
    out = []
    for t in DATA_TABLES:
        cols = value_columns(con, t)
        key = [ident(k, cols) for k in key_of(t)]
        vals = [ident(c, cols) for c in cols if c not in key_of(t)]
        on = " AND ".join(f"x.{k} = y.{k}" for k in key)
        differ = " OR ".join(f"x.{c} IS DISTINCT FROM y.{c}" for c in vals) or "false"
        table = ident(t, DATA_TABLES)
        xa = f"SELECT * FROM {table} WHERE valid_from <= $a AND (valid_to IS NULL OR valid_to > $a)"
        yb = f"SELECT * FROM {table} WHERE valid_from <= $b AND (valid_to IS NULL OR valid_to > $b)"
        added, changed, removed = con.execute(
            f"""
            SELECT count(*) FILTER (WHERE x.{key[0]} IS NULL),
                   count(*) FILTER (WHERE x.{key[0]} IS NOT NULL AND y.{key[0]} IS NOT NULL
                                    AND x.row_id <> y.row_id AND ({differ})),
                   count(*) FILTER (WHERE y.{key[0]} IS NULL)
            FROM ({xa}) x FULL OUTER JOIN ({yb}) y ON {on}
            """, {"a": int(a), "b": int(b)}
        ).fetchall()[0]
        out.append(TableDiff(t, added, changed, removed))
    return out
