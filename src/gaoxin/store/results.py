"""What analysis results are stored (tiers, points, 亩均, industry, chains): one listing over their tables.

Each kind keeps its own table (migrations 008–011); this module reads them side by side so a surface can find
a stored result without knowing the tables.  No user value reaches the SQL: the kind selects a constant query.
A table that a store has not yet migrated to is skipped (a read-only store is never migrated).
"""

from __future__ import annotations

import duckdb
import pandas as pd

COLUMNS = ["kind", "snapshot_id", "rule_hash", "rule_id", "year", "zone", "key", "rows", "created_at"]

# one constant query per kind, each returning COLUMNS (zone '' = all zones; key: the kind's own selector)
_QUERIES: dict[str, tuple[str, str]] = {
    "tiers": ("tier_result",
              "SELECT 'tiers', snapshot_id, rules_sha256, rules_id, year, zone_key, '', 1, created_at "
              "FROM tier_result"),
    "points": ("innovation_points",
               "SELECT 'points', snapshot_id, rules_hash, rule_id, year, '', '', count(*), max(created_at) "
               "FROM innovation_points GROUP BY snapshot_id, rules_hash, rule_id, year"),
    "mujun": ("mujun_result",
              "SELECT 'mujun', snapshot_id, rules_hash, rules_id, year, zone_key, '', 1, created_at "
              "FROM mujun_result"),
    "industry": ("industry_result",
                 "SELECT kind, snapshot_id, rule_hash, json_extract_string(payload, '$.rule_id'), "
                 "TRY_CAST(json_extract_string(payload, '$.year') AS INTEGER), "
                 "coalesce(json_extract_string(payload, '$.zone'), ''), key, 1, created_at "
                 "FROM industry_result WHERE kind = 'industry'"),
    "chains": ("industry_result",
               "SELECT kind, snapshot_id, rule_hash, json_extract_string(payload, '$.rule_id'), "
               "TRY_CAST(json_extract_string(payload, '$.year') AS INTEGER), "
               "coalesce(json_extract_string(payload, '$.zone'), ''), key, 1, created_at "
               "FROM industry_result WHERE kind = 'chains'"),
}
KINDS = tuple(_QUERIES)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def listing(con: duckdb.DuckDBPyConnection, kinds: tuple[str, ...] = KINDS) -> pd.DataFrame:
    """Stored results of ``kinds`` (COLUMNS), newest first within kind and snapshot."""
    have = _tables(con)
    parts = [_QUERIES[k][1] for k in kinds if _QUERIES[k][0] in have]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    sql = " UNION ALL ".join(f"({q})" for q in parts)
    df = con.execute(sql).df()
    df.columns = COLUMNS
    order = {k: i for i, k in enumerate(KINDS)}
    df["_k"] = df["kind"].map(order)
    df = df.sort_values(["_k", "snapshot_id", "year", "zone", "created_at"], ascending=[True, True, False, True, False],
                        kind="stable").drop(columns="_k")
    return df.reset_index(drop=True)
