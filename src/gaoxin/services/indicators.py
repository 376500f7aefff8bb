"""Indicator frameworks and indicator values of a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.indicators.framework import Framework


def list_frameworks() -> list[dict[str, Any]]:
    """Built-in and user frameworks (``$GAOXIN_FRAMEWORKS``); a file that does not load carries its error."""
    from gaoxin.indicators.framework import list_frameworks as _list

    return _list()


def framework(ref: str) -> Framework:
    """A framework by id or file path (validated)."""
    from gaoxin.indicators.framework import load_framework

    return load_framework(ref)


def framework_tree(ref: str, *, sources: bool = False) -> str:
    from gaoxin.indicators.framework import framework_tree_text

    return framework_tree_text(framework(ref), sources=sources)


@dataclass
class IndicatorTable:
    """Wide indicator values (zone_id, year, one column per code) and what they were computed from."""

    frame: pd.DataFrame
    framework: str
    version: str
    snapshot: int
    years: tuple[int, int]
    units: dict[str, str]
    directions: dict[str, str]
    sql: str

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Workbook layout: values, units and directions, provenance (framework, snapshot, SQL)."""
        import pandas as pd

        units = pd.DataFrame({"indicator": list(self.units), "unit": list(self.units.values()),
                              "direction": [self.directions[c] for c in self.units]})
        meta = pd.DataFrame([{"framework": self.framework, "version": self.version, "snapshot": self.snapshot,
                              "years": f"{self.years[0]}-{self.years[1]}", "sql": self.sql}])
        return {"指标 indicators": self.frame, "单位 units": units, "来源 provenance": meta}


def compute(store: Store, framework_ref: str | Framework, years: tuple[int, int],
            snapshot: str | int | None = None) -> IndicatorTable:
    """A framework's indicators per zone and year from ``snapshot`` (default: latest)."""
    from gaoxin.indicators.compute import compute_indicators
    from gaoxin.store.snapshots import resolve

    sid = resolve(store.con, snapshot)
    df = compute_indicators(store.con, framework_ref, years, sid)
    a = df.attrs
    return IndicatorTable(df, a["framework"], a["version"], sid, tuple(a["years"]), dict(a["units"]),
                          dict(a["directions"]), a["sql"])
