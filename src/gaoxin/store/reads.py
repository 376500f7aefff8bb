"""Enterprise rows and national totals for the read API (issue #10): the SQL of ``services.overview`` and
``services.profile`` lives here.  Values reach SQL as bound parameters only.

These functions return raw enterprise rows; no surface may show them before they pass
``gaoxin.services.access.scope_enterprises`` (the one scoping function).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

# the columns of an enterprise list row (money in 千元 as stored; the service converts)
LIST_COLUMNS = ("credit_code", "name", "zone_id", "industry_code", "revenue", "employees", "rd_expense",
                "is_high_tech", "is_tech_sme")


def year_rows(con: duckdb.DuckDBPyConnection, snapshot: int, year: int) -> pd.DataFrame:
    """Every enterprise row of ``year`` in ``snapshot`` with the list columns, ordered by credit code."""
    return con.execute(
        "SELECT credit_code, name, zone_id, industry_code, revenue, employees, rd_expense, is_high_tech, "
        "is_tech_sme FROM enterprise_years_at(?) WHERE year = ? ORDER BY credit_code",
        [int(snapshot), int(year)]).df()


def year_totals_rows(con: duckdb.DuckDBPyConnection, snapshot: int, year: int) -> pd.DataFrame:
    """Each firm's contribution to the national key figures of ``year`` (stored units)."""
    return con.execute(
        "SELECT credit_code, zone_id, revenue, value_added, exports, employees, rd_expense "
        "FROM enterprise_years_at(?) WHERE year = ?", [int(snapshot), int(year)]).df()


def history(con: duckdb.DuckDBPyConnection, snapshot: int, credit_code: str) -> pd.DataFrame:
    """Every year of one enterprise in ``snapshot`` (all stored columns but the bookkeeping ones)."""
    df = con.execute("SELECT * FROM enterprise_years_at(?) WHERE credit_code = ? ORDER BY year",
                     [int(snapshot), str(credit_code)]).df()
    return df.drop(columns=[c for c in ("row_id", "valid_from", "valid_to", "source_file", "source_row")
                            if c in df.columns])


def national_totals(con: duckdb.DuckDBPyConnection, snapshot: int, year: int) -> dict[str, float | int | None]:
    """Totals over every enterprise of ``year``: counts, revenue, R&D, employees (stored units, 千元)."""
    row = con.execute(
        "SELECT count(*), count(DISTINCT zone_id), sum(revenue), sum(rd_expense), sum(employees), "
        "count(*) FILTER (WHERE is_high_tech), sum(value_added), sum(exports) "
        "FROM enterprise_years_at(?) WHERE year = ?", [int(snapshot), int(year)]).fetchall()[0]
    keys = ("enterprises", "zones_with_firms", "revenue", "rd_expense", "employees", "high_tech", "value_added",
            "exports")
    return dict(zip(keys, row, strict=True))


def years(con: duckdb.DuckDBPyConnection, snapshot: int) -> list[int]:
    """The enterprise years present in ``snapshot``."""
    return [int(r[0]) for r in con.execute("SELECT DISTINCT year FROM enterprise_years_at(?) ORDER BY year",
                                           [int(snapshot)]).fetchall()]


def version(con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    """What read caches key on: newest snapshot and evaluation ids, stored explanations, publications.

    Snapshots and evaluations are immutable once committed, so a cached result keyed by their ids stays
    right until a new one appears.  Publishing adds a row (the newest id grows) and revoking lowers the
    number of unrevoked rows, so the last two change on every act of publishing."""
    row = con.execute("SELECT (SELECT coalesce(max(id), 0) FROM snapshot), "
                      "(SELECT coalesce(max(id), 0) FROM evaluation), "
                      "(SELECT count(*) FROM evaluation_explanation), "
                      "(SELECT coalesce(max(id), 0) FROM publication), "
                      "(SELECT count(*) FROM publication WHERE revoked_at IS NULL)").fetchall()[0]
    return tuple(int(x) for x in row)
