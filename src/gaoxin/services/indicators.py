"""Indicator frameworks and indicator values of a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.indicators.coverage import Coverage
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
    unit: str  # zone-year | enterprise-year | industryN-zone-year
    keys: tuple[str, ...]  # the unit's key columns, first in the frame
    framework: str
    version: str
    snapshot: int
    years: tuple[int, int]
    units: dict[str, str]
    directions: dict[str, str]
    sql: str
    names: dict[str, str]  # code → Chinese name

    def summary(self) -> pd.DataFrame:
        """One row per indicator: name, unit, how many units have a value, and its min / median / max."""
        import pandas as pd

        rows = []
        for code, unit in self.units.items():
            v = self.frame[code]
            rows.append({"indicator": code, "name_zh": self.names.get(code, code), "unit": unit,
                         "n": int(v.notna().sum()), "min": v.min(), "median": v.median(), "max": v.max()})
        return pd.DataFrame(rows)

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Workbook layout: values, units and directions, provenance (framework, snapshot, SQL)."""
        import pandas as pd

        units = pd.DataFrame({"indicator": list(self.units), "unit": list(self.units.values()),
                              "direction": [self.directions[c] for c in self.units]})
        meta = pd.DataFrame([{"framework": self.framework, "version": self.version, "snapshot": self.snapshot,
                              "unit": self.unit, "years": f"{self.years[0]}-{self.years[1]}", "sql": self.sql}])
        return {"指标 indicators": self.frame, "单位 units": units, "来源 provenance": meta}


def compute(store: Store, framework_ref: str | Framework, years: tuple[int, int],
            snapshot: str | int | None = None, unit: str = "zone-year") -> IndicatorTable:
    """A framework's indicators per unit (default zone × year) from ``snapshot`` (default: latest).

    ``unit``: ``zone-year``, ``enterprise-year`` or ``industryN-zone-year`` (GB/T 4754 prefix of N digits).
    Plans are cached per process (framework content, unit, years), so a long-lived server compiles once.
    """
    from gaoxin.indicators.compute import compute_indicators
    from gaoxin.indicators.units import parse_unit
    from gaoxin.services.errors import InputError, check_year_values
    from gaoxin.store.snapshots import resolve

    check_year_values(*years)
    try:
        u = parse_unit(unit)
    except ValueError as e:
        raise InputError(f"分析单元无效 / {e}") from None
    sid = resolve(store.con, snapshot)
    fw = framework(framework_ref) if isinstance(framework_ref, str) else framework_ref  # loaded once
    df = compute_indicators(store.cursor(), fw, years, sid, unit=u)
    a = df.attrs
    names = {i.code: i.name_zh for i in fw.indicators}
    return IndicatorTable(df, str(a["unit"]), tuple(a["keys"]), a["framework"], a["version"], sid,
                          tuple(a["years"]), dict(a["units"]), dict(a["directions"]), a["sql"], names)


def coverage_of(store: Store, fw: Framework, year: int, snapshot: int, values: pd.DataFrame | None = None, *,
                missing_as_zero: bool = False) -> Coverage:
    """The coverage report of ``fw`` for ``year`` of ``snapshot``; ``values`` (zones × codes) if already computed."""
    from gaoxin.indicators.coverage import Availability
    from gaoxin.indicators.coverage import coverage as build
    from gaoxin.store.snapshots import input_counts

    cols = sorted({c for i in fw.indicators for c in i.parsed.columns})
    cols_n, facts_n, zones = input_counts(store.con, snapshot, year, cols, fw.facts())
    if values is None:
        from gaoxin.indicators.compute import compute_indicators

        wide = compute_indicators(store.cursor(), fw, (year, year), snapshot)
        values = wide[wide["year"] == year].set_index("zone_id")[[i.code for i in fw.indicators]]
    return build(fw, Availability(cols_n, facts_n, zones), values, year=year, snapshot=snapshot,
                 missing_as_zero=missing_as_zero)


def coverage(store: Store, framework_ref: str | Framework, snapshot: str | int | None = None,
             year: int | None = None) -> Coverage:
    """Which of the framework's indicators the snapshot's ``year`` (default: its latest) computes, from what."""
    from gaoxin.services.errors import InputError, check_year_values
    from gaoxin.store.snapshots import last_year, resolve

    check_year_values(year)
    sid = resolve(store.con, snapshot)
    fw = framework(framework_ref) if isinstance(framework_ref, str) else framework_ref
    y = year if year is not None else last_year(store.con, sid)
    if y is None:
        raise InputError(f"快照{sid}没有企业数据 / snapshot {sid} holds no enterprise rows")
    return coverage_of(store, fw, y, sid)


TEMPLATE_KEYS = ("园区代码", "年份")


def zone_facts_template(framework_ref: str | Framework = "national-2021", zones: list[str] | None = None,
                        year: int | None = None) -> pd.DataFrame:
    """A wide zone-facts sheet to fill: 园区代码, 年份, then one column per fact the framework reads.

    Headers are the facts' Chinese names with their unit (``ingest/data/zone_facts.toml``), which ingest maps
    back to the codes; a fact the catalogue does not know keeps its code.  One row per zone when ``zones``
    are given (with ``year``), else the header alone.
    """
    import pandas as pd

    from gaoxin.ingest.contract import facts

    fw = framework(framework_ref) if isinstance(framework_ref, str) else framework_ref
    known = facts()
    codes = dict.fromkeys(c for i in fw.indicators for c in sorted(i.parsed.facts))  # in the framework's order
    headers = [known[c].header if c in known else c for c in codes]
    rows = [[z, year, *([None] * len(headers))] for z in (zones or [])]
    return pd.DataFrame(rows, columns=[*TEMPLATE_KEYS, *headers]).astype({"年份": "Int64"})
