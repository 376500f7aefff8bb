"""Plan-target monitoring: actual values of every target from a snapshot, then progress and status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gaoxin.store import snapshots as store_snapshots
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.evaluation.monitor import TargetSet

ZONE_COUNT = "national_zone_count"
View = Literal["annual", "midterm", "final"]


def _formula_of(code: str, given: object) -> str:
    from gaoxin.indicators.framework import FrameworkError, list_frameworks, load_framework

    if isinstance(given, str) and given.strip():
        return given
    for entry in list_frameworks():
        if entry["error"]:
            continue
        for ind in load_framework(entry["path"]).indicators:
            if ind.code == code:
                return ind.formula
    raise FrameworkError(f"no formula for target indicator '{code}': add `formula = \"...\"` to the target "
                         f"/ 目标指标'{code}'没有计算公式")


def actuals(store: Store, targets: TargetSet, year: int, snapshot: str | int | None = None) -> pd.DataFrame:
    """Actual values (indicator, scope, scope_id, year, value) for every target, baseline year to ``year``.

    ``national_zone_count`` counts national zones approved by each year (nation
    or province scope); any other indicator is computed for its zone with the
    target's ``formula`` or the formula of the same code in a framework.
    Province/nation scopes of non-count indicators are not derived (they are
    not sums of zone values); supply them as zone facts of a framework instead.
    """
    import pandas as pd

    from gaoxin.indicators.compute import compute_indicators
    from gaoxin.indicators.framework import parse_framework

    sid = store_snapshots.resolve(store.con, snapshot)
    t = targets.targets
    y0 = int(t["baseline_year"].min())
    out = []
    for _, tg in t.iterrows():
        if tg["indicator"] == ZONE_COUNT:
            province = None if tg["scope"] == "nation" else str(tg["scope_id"])
            df = store_snapshots.national_zone_counts(store.con, sid, y0, year, province)
        elif tg["scope"] == "zone":
            fw = parse_framework({
                "framework": {"id": "targets", "name_zh": "监测目标", "name_en": "targets", "version": "1",
                              "source": "targets file"},
                "pillar": [{"code": "p", "name_zh": "目标", "name_en": "targets"}],
                "indicator": [{"code": "v", "name_zh": str(tg.get("label_zh", tg["indicator"])),
                               "name_en": str(tg["indicator"]), "parent": "p", "source": "targets file",
                               "formula": _formula_of(tg["indicator"], tg.get("formula"))}]})
            wide = compute_indicators(store.con, fw, (int(tg["baseline_year"]), year), sid)
            df = wide[wide["zone_id"] == tg["scope_id"]][["year", "v"]].rename(columns={"v": "value"})
        else:
            continue
        out.append(df.assign(indicator=tg["indicator"], scope=tg["scope"], scope_id=str(tg["scope_id"])))
    cols = ["indicator", "scope", "scope_id", "year", "value"]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)


def load_targets(path: Path | None = None, packaged: str = "fyp14-national") -> TargetSet:
    from gaoxin.evaluation.monitor import load_targets as _load

    return _load(path, packaged=packaged) if path is not None else _load(packaged=packaged)


def monitor(store: Store, year: int, targets: TargetSet, view: View = "annual",
            snapshot: str | int | None = None) -> pd.DataFrame:
    """Progress, expected progress, status and projection of every target (annual, mid-term or final view)."""
    from gaoxin.evaluation import monitor as m
    from gaoxin.services.errors import InputError, check_year_values

    check_year_values(year)
    if view not in ("annual", "midterm", "final"):
        raise InputError(f"view 视图须为 annual | midterm | final, not {view!r}")
    acts = actuals(store, targets, year, snapshot)
    if view == "annual":
        return m.monitor(targets, acts, year)
    return (m.midterm if view == "midterm" else m.final)(targets, acts)
