"""亩均效益 and green indicators as a service: read the enterprise-year unit, score, grade, roll up, simulate.

The inputs come from the query compiler (one compiled query over the snapshot, enterprise-year unit), the
arithmetic from :mod:`gaoxin.analysis.mujun` and :mod:`gaoxin.analysis.green`. The result is a typed,
JSON-serialisable value the CLI, the web and the report show without recomputing (docs/mujun.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaoxin.services.errors import InputError, check_year_values

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.indicators.framework import Framework
    from gaoxin.services import Store

FIRM_LABELS = {
    "credit_code": "统一社会信用代码 credit code", "zone_id": "园区 zone", "population": "类别 population",
    "tax_per_mu": "亩均税收 tax/mu (万元)", "va_per_mu": "亩均增加值 VA/mu (万元)",
    "va_per_energy": "单位能耗增加值 VA/tce (万元)", "va_per_emission": "单位排放增加值 VA/t (万元)",
    "labour_productivity": "全员劳动生产率 VA/person (万元)", "rd_intensity": "R&D 强度 R&D intensity",
    "tax_per_electricity": "单位电耗税收 tax/10 MWh (万元)", "score": "得分 score", "rank": "名次 rank",
    "grade": "等级 grade", "not_graded": "不分级原因 not graded", "missing": "缺失 missing",
    "energy_intensity": "能耗强度 tce/万元", "electricity_intensity": "电耗强度 MWh/万元",
    "emission_intensity": "排放强度 t/万元", "carbon_t": "碳排放估算 t CO2",
}


@dataclass(frozen=True)
class MujunResult:
    """One 亩均 evaluation: per-firm rows, zone roll-up by grade, zone green figures, optional simulation."""

    year: int
    snapshot: int
    rules_id: str
    rules_hash: str
    rules_source: str
    zone: str | None
    firms: list[dict[str, Any]]
    rollup: list[dict[str, Any]]
    green: list[dict[str, Any]]
    carbon_factor: float
    carbon_source: str
    simulation: dict[str, Any] | None = None
    saved: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    def firm_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.firms)

    def rollup_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rollup)

    def green_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.green)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Records of plain Python values with NaN / inf / <NA> as None (JSON null, shown as "—"); vectorised."""
    import numpy as np
    import pandas as pd

    num = df.select_dtypes("number").columns
    clean = df.copy()
    clean[num] = clean[num].astype("float64").replace([np.inf, -np.inf], np.nan)
    obj = clean.astype(object).where(clean.notna(), None)
    ints = [c for c in df.columns if str(df[c].dtype).lower().startswith("int")]
    for c in ints:  # integer columns came through float64 above: back to int
        obj[c] = pd.Series([None if v is None else int(v) for v in obj[c]], index=obj.index, dtype=object)
    return [{str(k): (float(v) if isinstance(v, np.floating) else v) for k, v in r.items()}
            for r in obj.to_dict(orient="records")]


def _inputs_framework(excluded: list[str]) -> Framework:
    """One-row aggregates on the enterprise-year unit: ``mean`` keeps a missing value missing (``sum`` gives 0)."""
    from gaoxin.analysis.mujun import INPUT_COLUMNS
    from gaoxin.indicators.framework import parse_framework

    formulas = {c: f"mean({c})" for c in INPUT_COLUMNS}
    if excluded:
        args = ", ".join(f'"{p}"' for p in excluded)
        formulas["excluded"] = f"count(industry_in({args}))"
    return parse_framework({
        "framework": {"id": "mujun-inputs", "name_zh": "亩均输入", "name_en": "mu-average inputs", "version": "1",
                      "source": "gaoxin mujun"},
        "pillar": [{"code": "p", "name_zh": "输入", "name_en": "inputs"}],
        "indicator": [{"code": c, "name_zh": c, "name_en": c, "parent": "p", "formula": f, "source": "gaoxin mujun"}
                      for c, f in formulas.items()]}, "<mujun inputs>")


def enterprise_inputs(store: Store, year: int, snapshot: int, excluded: list[str],
                      zone: str | None = None) -> pd.DataFrame:
    """The enterprise-year rows of ``year`` with the 亩均 inputs (one compiled query)."""
    from gaoxin.indicators.compute import compute_indicators

    df = compute_indicators(store.cursor(), _inputs_framework(excluded), (year, year), snapshot,
                            unit="enterprise-year")
    df = df[df["year"] == year]
    if zone is not None:
        df = df[df["zone_id"] == zone]
    if "excluded" not in df:
        df = df.assign(excluded=0.0)
    return df.sort_values(["zone_id", "credit_code"]).reset_index(drop=True)


def _file_hash(path: Path | None, default_name: str) -> str:
    from gaoxin.analysis.mujun import RULES_DIR

    data = (RULES_DIR.joinpath(default_name) if path is None else Path(path)).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def mujun(store: Store, year: int, *, rules: str | Path | None = None, zone: str | None = None,
          simulate: str | Path | None = None, snapshot: str | int | None = None, save: bool = False,
          recompute: bool = False) -> MujunResult:
    """Evaluate 亩均效益 for ``year`` (optionally one ``zone``); ``save`` stores it per snapshot and rule hash.

    A stored result for the same snapshot, year, rule hash and zone selection is returned as stored unless
    ``recompute`` (results are reproducible: the same inputs give the same numbers).
    """
    import pandas as pd

    from gaoxin.analysis import green as ag
    from gaoxin.analysis import mujun as am
    from gaoxin.store import mujun as sm
    from gaoxin.store import snapshots as store_snapshots

    check_year_values(year)
    rule_file = am.load_rules(rules)
    carbon = am.load_carbon().carbon
    schedule = am.load_schedule(simulate).schedule if simulate is not None else None
    sid = store_snapshots.resolve(store.con, snapshot)
    rules_hash = _file_hash(Path(rules) if rules else None, "huangyan-2022.toml")
    if schedule is not None:
        rules_hash += "+" + _file_hash(Path(simulate), "electricity-surcharge.toml")
    zone_key = zone or "*"
    if not recompute and not save:
        stored = sm.load(store.con, sid, year, rules_hash, zone_key)
        if stored is not None:
            return MujunResult(**stored)
    firms = enterprise_inputs(store, year, sid, rule_file.populations.excluded_industries, zone)
    if firms.empty:
        where = f"园区 {zone} " if zone else ""
        raise InputError(f"{where}{year} 年没有企业数据 / no enterprise rows for {year}"
                         + (f" in zone {zone}" if zone else "") + f" in snapshot {sid}")
    result = am.evaluate(firms, rule_file)
    gfirm = ag.firm_green(firms, carbon.tco2_per_tce)
    per_firm = pd.concat([result, gfirm], axis=1)
    sim = None
    if schedule is not None:
        s = am.simulate(result, firms, schedule)
        per_firm["surcharge_wan"] = s["cost_wan"]
        by_grade = (s.groupby(s["grade"].fillna("—"))
                    .agg(firms=("credit_code", "size"), cost_wan=("cost_wan", lambda x: x.sum(min_count=1)),
                         unknown=("cost_wan", lambda x: int((x.isna() & s.loc[x.index, "rate_yuan_per_kwh"].notna())
                                                          .sum())))
                    .reset_index())
        sim = {"schedule_id": schedule.id, "name_zh": schedule.name_zh, "source": schedule.source,
               "yuan_per_kwh": dict(schedule.yuan_per_kwh), "total_cost_wan": float(s["cost_wan"].sum()),
               "firms_charged": int((s["cost_wan"] > 0).sum()),
               "firms_unknown": int((s["cost_wan"].isna() & s["rate_yuan_per_kwh"].notna()).sum()),
               "by_grade": _records(by_grade)}
    out = MujunResult(year=int(year), snapshot=sid, rules_id=rule_file.mujun.id, rules_hash=rules_hash,
                      rules_source=rule_file.mujun.source, zone=zone, firms=_records(per_firm),
                      rollup=_records(am.rollup(result, firms)), green=_records(ag.zone_green(firms,
                                                                                              carbon.tco2_per_tce)),
                      carbon_factor=carbon.tco2_per_tce, carbon_source=carbon.source, simulation=sim, saved=save)
    if save:
        sm.save(store.con, sid, year, rules_hash, zone_key, rule_file.mujun.id, out.to_dict())
    return out
