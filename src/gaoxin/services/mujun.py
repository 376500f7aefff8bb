"""亩均效益 and green indicators as a service: score, grade, roll up and simulate one year of a snapshot.

The computation is the 亩均 Ibis expression (:mod:`gaoxin.analysis.mujun_expr`) run by the store's backend;
the policy simulation is per-firm arithmetic on its result. The result is a typed, JSON-serialisable value
the CLI, the web and the report show without recomputing (docs/mujun.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaoxin.services.errors import InputError, check_year_values

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

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
    """One 亩均 evaluation: per-firm rows, zone roll-up by grade, zone green figures, the benchmark values used,
    optional simulation.

    The per-firm table stays an Arrow table (``firm_table``): a million firms are not turned into Python
    dicts unless asked (:attr:`firms`, :meth:`to_dict`), so the service costs what the query costs.
    """

    year: int
    snapshot: int
    rules_id: str
    rules_hash: str
    rules_source: str
    zone: str | None
    firm_table: pa.Table = field(repr=False, compare=False)
    rollup: list[dict[str, Any]]
    green: list[dict[str, Any]]
    benchmarks: list[dict[str, Any]]
    carbon_factor: float
    carbon_source: str
    simulation: dict[str, Any] | None = None
    saved: bool = False
    notes: list[str] = field(default_factory=list)

    @cached_property
    def firms(self) -> list[dict[str, Any]]:
        """Per-firm records (missing = None, JSON null, shown as "—")."""
        return self.firm_table.to_pylist()

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "firm_table"}
        return {**out, "firms": self.firms}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MujunResult:
        """A stored result back (``to_dict`` form); results stored before the benchmark record have none."""
        import pyarrow as pa

        d = dict(d)
        firms = d.pop("firms")
        d.setdefault("benchmarks", [])
        return cls(**d, firm_table=pa.Table.from_pylist(firms))

    def firm_frame(self) -> pd.DataFrame:
        return self.firm_table.to_pandas()

    def rollup_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rollup)

    def green_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.green)

    def benchmark_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.benchmarks)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Records of plain Python values with NaN / inf / <NA> as None (JSON null, shown as "—")."""
    import pyarrow as pa

    return _clean(pa.Table.from_pandas(df, preserve_index=False)).to_pylist()


def _clean(t: pa.Table) -> pa.Table:
    """NaN and ±inf in float columns → null (a backend may produce them; JSON has neither)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, f in enumerate(t.schema):
        if pa.types.is_floating(f.type):
            col = t.column(i)
            finite = pc.is_finite(col)
            if pc.all(finite).as_py() is False:  # rare: rewrite only a column that has one (a check is cheap)
                t = t.set_column(i, f.name, pc.if_else(finite, col, pa.scalar(None, f.type)))
    return t


def _file_hash(path: Path | None, default_name: str) -> str:
    from gaoxin.analysis.mujun import RULES_DIR

    data = (RULES_DIR.joinpath(default_name) if path is None else Path(path)).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _simulation(per_firm: pd.DataFrame, schedule: Any) -> tuple[pd.Series, dict[str, Any]]:
    """Surcharge per firm and the totals by grade (per-firm arithmetic on the graded result)."""
    from gaoxin.analysis import mujun as am

    s = am.simulate(per_firm, schedule)
    charged = s["rate_yuan_per_kwh"].notna()
    by = s.assign(grade=s["grade"].fillna("—"), unknown=(s["cost_wan"].isna() & charged).astype("int64"))
    by_grade = by.groupby("grade").agg(firms=("credit_code", "size"),
                                       cost_wan=("cost_wan", lambda x: x.sum(min_count=1)),
                                       unknown=("unknown", "sum")).reset_index()
    sim = {"schedule_id": schedule.id, "name_zh": schedule.name_zh, "source": schedule.source,
           "yuan_per_kwh": dict(schedule.yuan_per_kwh), "total_cost_wan": float(s["cost_wan"].sum()),
           "firms_charged": int((s["cost_wan"] > 0).sum()),
           "firms_unknown": int((s["cost_wan"].isna() & charged).sum()), "by_grade": _records(by_grade)}
    return s["cost_wan"], sim


def mujun(store: Store, year: int, *, rules: str | Path | None = None, zone: str | None = None,
          simulate: str | Path | None = None, snapshot: str | int | None = None, save: bool = False,
          recompute: bool = False) -> MujunResult:
    """Evaluate 亩均效益 for ``year`` (optionally one ``zone``); ``save`` stores it per snapshot and rule hash.

    One query of the 亩均 expression over the snapshot gives the graded firms; the roll-up, the zone green
    figures and the benchmark record are expressions over that result. A stored result for the same snapshot,
    year, rule hash and zone selection is returned as stored unless ``recompute`` (results are reproducible).
    """
    import pyarrow as pa

    from gaoxin.analysis import mujun as am
    from gaoxin.analysis import mujun_expr as mx
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
            return MujunResult.from_dict(stored)
    firms = mx.compute(store.cursor(), rule_file, year, sid, carbon.tco2_per_tce, zone)
    if firms.num_rows == 0:
        where = f"园区 {zone} " if zone else ""
        raise InputError(f"{where}{year} 年没有企业数据 / no enterprise rows for {year}"
                         + (f" in zone {zone}" if zone else "") + f" in snapshot {sid}")
    firms = _clean(firms)
    rollup = mx.on_table(firms, mx.rollup_expr).to_pylist()
    green = mx.on_table(firms, lambda t: mx.zone_green_expr(t, carbon.tco2_per_tce)).to_pylist()
    benchmarks = mx.benchmark_records(firms, rule_file, year)
    sim = None
    if schedule is not None:
        cols = ["credit_code", "zone_id", "grade", "electricity_mwh"]
        cost, sim = _simulation(firms.select(cols).to_pandas(), schedule)
        firms = firms.append_column("surcharge_wan", pa.array(cost.to_numpy(), pa.float64(), from_pandas=True))
    firms = firms.drop_columns(list(mx.KEPT_INPUTS))
    out = MujunResult(year=int(year), snapshot=sid, rules_id=rule_file.mujun.id, rules_hash=rules_hash,
                      rules_source=rule_file.mujun.source, zone=zone, firm_table=firms, rollup=rollup, green=green,
                      benchmarks=benchmarks, carbon_factor=carbon.tco2_per_tce, carbon_source=carbon.source,
                      simulation=sim, saved=save)
    if save:
        sm.save(store.con, sid, year, rules_hash, zone_key, rule_file.mujun.id, out.to_dict())
    return out
