"""Compute a framework's indicators from a store snapshot: one compiled query per framework and year range.

The framework's formulas are compiled (``formula.build_query``) into a single
Ibis expression over unbound tables, bound here to the snapshot's table macros
(``enterprise_years_at(s)``, ``zone_facts_at(s)``, ``zones_at(s)``) and run on
the DuckDB connection of the store.  The SQL is compiled by Ibis and executed
by DuckDB directly (the Ibis DuckDB backend's ``sql()`` path is not compatible
with duckdb 2.0), so nothing runs row by row in Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pandas as pd

from gaoxin.indicators.formula import ENT_TABLE, FACT_TABLE, ZONE_TABLE, bind_sql, build_query
from gaoxin.indicators.framework import Framework, load_framework
from gaoxin.store.snapshots import resolve


@dataclass(frozen=True)
class CompiledFramework:
    """The query of a framework for a year range, before binding to a snapshot."""

    framework: Framework
    years: tuple[int, int]
    max_lag: int
    aggregates: tuple[str, ...]  # base aggregates, deduplicated (text form)
    facts: tuple[str, ...]
    duckdb_sql: str  # with the unbound table names still in place

    def sql(self, snapshot: int, dialect: str = "duckdb") -> str:
        """The query bound to ``snapshot``'s table macros."""
        s = int(snapshot)
        sources = {ENT_TABLE: f"enterprise_years_at({s})", FACT_TABLE: f"zone_facts_at({s})",
                   ZONE_TABLE: f"zones_at({s})"}  # fmt: skip
        if dialect == "duckdb":
            sql = self.duckdb_sql
            for name, src in sources.items():
                sql = sql.replace(f'"{name}"', src)
            return sql
        expr, _ = build_query(self.framework.formulas(), self.years)
        return bind_sql(expr, dialect, sources)


def compile_framework(framework: Framework | str | os.PathLike, years: tuple[int, int]) -> CompiledFramework:
    """Plan and compile the framework's single query for ``years`` (inclusive); cached per framework and years."""
    fw = load_framework(framework)
    y0, y1 = int(years[0]), int(years[1])
    if y1 < y0:
        raise ValueError(f"years must be (first, last), got {years}")
    return _compile(fw, (y0, y1))


@lru_cache(maxsize=64)
def _compile(fw: Framework, years: tuple[int, int]) -> CompiledFramework:
    expr, plan = build_query(fw.formulas(), years)
    aggs = tuple(a.text() for _, a in plan.aggregates.values())
    return CompiledFramework(fw, years, plan.max_lag, aggs, tuple(sorted(plan.facts)), bind_sql(expr, "duckdb", {}))


def compute_indicators(
    con: duckdb.DuckDBPyConnection,
    framework: Framework | str | os.PathLike,
    years: tuple[int, int],
    snapshot: int | str | None = None,
) -> pd.DataFrame:
    """Wide table (zone_id, year, one column per indicator code) for ``years`` from ``snapshot``.

    ``snapshot`` is an id, a name or None (latest).  Data of up to
    ``max_lag`` earlier years is read for growth/lag/cagr.  ``df.attrs`` records
    framework id and version, the snapshot id, the years, the units and
    directions per code, and the SQL that ran.
    """
    cf = compile_framework(framework, years)
    sid = resolve(con, snapshot)
    sql = cf.sql(sid)
    df = con.sql(sql).df()
    fw = cf.framework
    df["year"] = df["year"].astype("int64")
    df.attrs.update(
        framework=fw.id,
        version=fw.meta.version,
        snapshot=sid,
        years=cf.years,
        max_lag=cf.max_lag,
        units={i.code: i.unit for i in fw.indicators},
        directions={i.code: i.direction for i in fw.indicators},
        sql=sql,
    )
    return df


def to_long(wide: pd.DataFrame) -> pd.DataFrame:
    """Wide result → long (zone_id, year, indicator, value); attrs are kept."""
    codes = [c for c in wide.columns if c not in ("zone_id", "year")]
    long = wide.melt(id_vars=["zone_id", "year"], value_vars=codes, var_name="indicator", value_name="value")
    long = long.sort_values(["zone_id", "year", "indicator"], kind="stable").reset_index(drop=True)
    long.attrs.update(wide.attrs)
    return long
