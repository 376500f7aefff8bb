"""Which analysis results are stored, per snapshot and rule hash (tiers, points, 亩均, industry, chains).

The web and the reports read stored results instead of recomputing (issue #9 §7); this listing is how they
find one: kind, snapshot, rule id and hash, year, zone (None = all zones), the kind's own key and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("tiers", "points", "mujun", "industry", "chains")


@dataclass
class StoredResults:
    """Rows: kind, snapshot, rule_id, rule_hash, year, zone (None: all zones), key, rows, created_at."""

    kind: str | None
    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        df = self.table.astype(object).where(self.table.notna(), None)
        rows = df.to_dict(orient="records")
        for r in rows:
            r["created_at"] = None if r["created_at"] is None else r["created_at"].isoformat(timespec="seconds")
        return {"kind": self.kind, "results": rows}


def stored_results(store: Store, kind: str | None = None) -> StoredResults:
    """Every stored analysis result, or those of one ``kind``; a store without a kind's table lists none of it."""
    from gaoxin.services.errors import InputError
    from gaoxin.store import results

    if kind is not None and kind not in KINDS:
        raise InputError(f"结果类型无效 / --kind must be one of {', '.join(KINDS)}, not {kind!r}")
    df = results.listing(store.cursor(), (kind,) if kind else results.KINDS)
    df = df.rename(columns={"snapshot_id": "snapshot"})
    df["zone"] = df["zone"].astype(object).where(~df["zone"].isin(["", "*"]), None)
    df["key"] = df["key"].astype(object).where(df["key"] != "", None)
    df["rule_hash"] = df["rule_hash"].astype(str)
    cols = ["kind", "snapshot", "rule_id", "rule_hash", "year", "zone", "key", "rows", "created_at"]
    return StoredResults(kind, df[cols].reset_index(drop=True))
