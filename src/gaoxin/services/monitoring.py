"""Plan-target monitoring: actual values of every target from a snapshot, then progress and status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gaoxin.store import snapshots as store_snapshots
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.evaluation.monitor import MonitorRules, TargetSet

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


# ------------------------------------------------------------------ expected path, actuals and projection

OUTLOOK = {"ahead": ("超前", "ahead"), "on_track": ("按期可达", "on track"), "behind": ("滞后", "behind"),
           "no_data": ("无法预测", "no projection")}


def outlook(row: dict[str, Any], rules: MonitorRules) -> str:
    """Whether the projection reaches the target (decision 0035): projected progress
    P = (projected − baseline)/(target − baseline) at the target year; ``ahead`` if P > 1 + ahead_gap,
    ``on_track`` if P ≥ 1 − behind_gap, else ``behind``; ``no_data`` without a projection."""
    import math

    proj = row.get("projected_value")
    if proj is None or (isinstance(proj, float) and math.isnan(proj)):
        return "no_data"
    p = (float(proj) - float(row["baseline_value"])) / (float(row["target_value"]) - float(row["baseline_value"]))
    if p > 1 + rules.ahead_gap + 1e-9:
        return "ahead"
    return "on_track" if p >= 1 - rules.behind_gap - 1e-9 else "behind"


def trajectory(row: dict[str, Any], actual: dict[int, float], rules: MonitorRules) -> dict[str, Any]:
    """One target's chart data: per year from the baseline to the later of the target year and the
    monitored year — the actual value, the expected path and the projection — and the outlook.

    expected(y): ``evaluation.monitor.expected_value`` (linear, or geometric for a stated annual rate);
    projection(y) = actual(year)·(1 + cagr)^(y − year) for year ≤ y ≤ target year, the compound annual growth
    of the last ``cagr_window`` years that ``monitor`` computed (none without it).  Missing → None."""
    import math

    from gaoxin.evaluation.monitor import expected_value

    by, ty, year = int(row["baseline_year"]), int(row["target_year"]), int(row["year"])
    cagr, now = row.get("cagr"), row.get("actual")
    has_proj = not any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (cagr, now)) and year <= ty
    points = []
    for y in range(by, max(ty, year) + 1):
        a = actual.get(y) if y <= year else None
        points.append({
            "year": y, "actual": None if a is None or math.isnan(a) else float(a),
            "expected": expected_value(row, y) if y <= ty else None,
            "projection": float(now) * (1 + float(cagr)) ** (y - year) if has_proj and year <= y <= ty else None})
    o = outlook(row, rules) if has_proj else "no_data"
    return {"points": points, "outlook": o, "outlook_zh": OUTLOOK[o][0], "outlook_en": OUTLOOK[o][1],
            "path": row.get("path") or "linear", "target_year": ty, "target_value": float(row["target_value"])}


def monitor_paths(store: Store, year: int, targets: TargetSet,
                  snapshot: str | int | None = None) -> list[dict[str, Any]]:
    """:func:`monitor`'s annual rows, each with its ``trajectory`` (the monitoring page's charts)."""
    from gaoxin.evaluation import monitor as m
    from gaoxin.services.errors import check_year_values
    from gaoxin.services.overview import jsonable

    check_year_values(year)
    acts = actuals(store, targets, year, snapshot)
    rows = m.monitor(targets, acts, year)
    out = []
    for r in rows.to_dict(orient="records"):
        a = acts[(acts["indicator"] == r["indicator"]) & (acts["scope"] == r["scope"])
                 & (acts["scope_id"].astype(str) == str(r["scope_id"]))].dropna(subset=["value"])
        series = {int(y): float(v) for y, v in zip(a["year"], a["value"], strict=True)}
        series.setdefault(int(r["baseline_year"]), float(r["baseline_value"]))
        out.append({**r, "trajectory": trajectory(r, series, targets.rules)})
    return jsonable(out)


def plan_paths(store: Store, year: int, snapshot: int | None = None) -> list[dict[str, Any]]:
    """:func:`monitor_paths` over the packaged national targets, cached per snapshot and year (the API)."""
    from gaoxin.services import readcache

    sid = snapshot if snapshot is not None else store_snapshots.latest(store.con)
    return readcache.cached(store, "plan_paths", (sid, year),
                            lambda: monitor_paths(store, year, load_targets(), snapshot=sid))
