"""Compute a framework's indicators from a store snapshot: one compiled query per framework, unit and years.

The plan (:mod:`~gaoxin.indicators.plans`) is one Ibis expression over the store's
tables with the snapshot as a parameter.  On DuckDB it is bound to the store's
own connection (:func:`~gaoxin.indicators.backend.duckdb_backend`) and run from the
SQL Ibis compiled for that snapshot (cached, so a server pays compilation once);
any other Ibis backend holding the store tables (Spark) executes the bound
expression itself.  Ibis and pandas are imported only when something is computed,
so importing this module stays cheap for the command line.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import duckdb

from gaoxin.indicators.framework import Framework, load_framework
from gaoxin.indicators.units import ZONE_YEAR, Unit, parse_unit

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.indicators.plans import CompiledFramework, PlanCache, Schemas


def _years(years: tuple[int, int]) -> tuple[int, int]:
    y0, y1 = int(years[0]), int(years[1])
    if y1 < y0:
        raise ValueError(f"years must be (first, last), got {years}")
    return y0, y1


def compile_framework(
    framework: Framework | str | os.PathLike,
    years: tuple[int, int],
    unit: Unit | str = ZONE_YEAR,
    *,
    schemas: Schemas | None = None,
    cache: PlanCache | None = None,
) -> CompiledFramework:
    """The framework's plan for ``unit`` and ``years`` (inclusive), from the plan cache.

    ``schemas`` are the store tables' Ibis schemas (default: what the migrations
    create); ``cache`` defaults to the process-wide :data:`~gaoxin.indicators.plans.PLANS`.
    """
    from gaoxin.indicators.plans import PLANS, default_schemas

    fw = load_framework(framework)
    return (PLANS if cache is None else cache).get(fw, _years(years), parse_unit(unit), schemas or default_schemas())


def compute_indicators(
    con: duckdb.DuckDBPyConnection | Any,
    framework: Framework | str | os.PathLike,
    years: tuple[int, int],
    snapshot: int | str | None = None,
    *,
    unit: Unit | str = ZONE_YEAR,
    cache: PlanCache | None = None,
) -> pd.DataFrame:
    """Wide table (``unit.columns``, then one column per indicator code) for ``years`` from ``snapshot``.

    ``con`` is the store's DuckDB connection (or an Ibis backend holding the store
    tables, e.g. Spark; then ``snapshot`` is an id or None).  ``snapshot`` is an id,
    a name or None (latest).  Data of up to ``max_lag`` earlier years is read for
    lags.  ``df.attrs`` records framework id and version, snapshot id, years, unit,
    key columns, units and directions per code, and the SQL that ran.
    """
    from gaoxin.indicators.backend import duckdb_backend, duckdb_schemas, run_on_duckdb
    from gaoxin.indicators.tables import backend_schemas

    if isinstance(con, duckdb.DuckDBPyConnection):
        from gaoxin.store.snapshots import resolve

        backend, sid, schemas = duckdb_backend(con), resolve(con, snapshot), duckdb_schemas(con)
    else:
        backend, sid, schemas = con, _resolve_ibis(con, snapshot), backend_schemas(con)
    cf = compile_framework(framework, years, unit, schemas=schemas, cache=cache)
    sql = cf.sql(sid, backend.name)
    if backend.name == "duckdb":
        df = run_on_duckdb(backend, sql)
    else:
        df = backend.execute(cf.bind(backend), params={cf.snapshot: sid})
    fw = cf.framework
    df["year"] = df["year"].astype("int64")
    df.attrs.update(
        framework=fw.id,
        version=fw.meta.version,
        snapshot=sid,
        years=cf.years,
        unit=cf.unit.name,
        keys=list(cf.unit.columns),
        max_lag=cf.max_lag,
        units={i.code: i.unit for i in fw.indicators},
        directions={i.code: i.direction for i in fw.indicators},
        sql=sql,
    )
    return df


def _resolve_ibis(backend: Any, snapshot: int | str | None) -> int:
    """Snapshot id on a non-DuckDB backend: an id as given, or the newest in its ``snapshot`` table."""
    if snapshot is None or str(snapshot) == "latest":
        return int(backend.execute(backend.table("snapshot").id.max()))
    if isinstance(snapshot, int) or str(snapshot).isdigit():
        return int(snapshot)
    raise ValueError("on a non-DuckDB backend give the snapshot as an id")


def to_long(wide: pd.DataFrame) -> pd.DataFrame:
    """Wide result → long (the unit's key columns, indicator, value); attrs are kept."""
    keys = list(wide.attrs.get("keys", ["zone_id", "year"]))
    codes = [c for c in wide.columns if c not in keys]
    long = wide.melt(id_vars=keys, value_vars=codes, var_name="indicator", value_name="value")
    long = long.sort_values([*keys, "indicator"], kind="stable").reset_index(drop=True)
    long.attrs.update(wide.attrs)
    return long
