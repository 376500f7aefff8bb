"""``gaoxin mujun``: 亩均效益 scores, grades, zone roll-up, green indicators and a price-schedule simulation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, SaveOpt, SnapshotOpt, YearOpt, ZoneOpt, app, open_store
from gaoxin.cli.data import export_frames
from gaoxin.cli.render import console


@app.command()
def mujun(
    year: YearOpt,
    rules: Annotated[Path | None, typer.Option(help="亩均规则文件 / rule file (default: Huangyan 2022)")] = None,
    zone: ZoneOpt = None,
    simulate: Annotated[Path | None, typer.Option(help="差别化价格表 / price schedule by grade (TOML)")] = None,
    snapshot: SnapshotOpt = None,
    save: SaveOpt = False,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """亩均效益综合评价 / mu-average efficiency grades, green indicators and policy simulation."""
    from gaoxin.services import mujun as sm

    with open_store(db, "write" if save else "read") as store:
        r = sm.mujun(store, year, rules=rules, zone=zone, simulate=simulate, snapshot=snapshot, save=save)
    if as_json:
        render.print_json(r.to_dict())
        return
    firms = r.firm_frame().rename(columns=sm.FIRM_LABELS)
    if out_file is not None:
        sheets = {"企业 firms": firms, "园区 zones": r.rollup_frame(), "绿色 green": r.green_frame()}
        if r.simulation:
            sheets["模拟 simulation"] = render_sim(r.simulation)
        export_frames(sheets, out_file, db)
        return
    console.print(f"{r.year} 年 亩均效益 / mu-average evaluation · 快照 snapshot {r.snapshot} · 规则 rules "
                  f"{r.rules_id} ({r.rules_hash})", highlight=False)
    roll = r.rollup_frame().rename(columns={"zone_id": "园区 zone", "year": "年 year", "grade": "等级 grade",
                                            "firms": "企业 firms", "land_mu": "用地 亩", "land_share": "用地占比 share",
                                            "tax_per_mu": "亩均税收 万元/亩"})
    render.frame(roll, "园区分等级汇总 / zone roll-up by grade", limit=40)
    green = r.green_frame()[["zone_id", "energy_intensity", "electricity_intensity", "emission_intensity",
                             "carbon_t"]].rename(columns=sm.FIRM_LABELS)
    render.frame(green, f"绿色低碳 / green (碳排放系数 {r.carbon_factor} tCO2/tce)", limit=20)
    if r.simulation:
        s = r.simulation
        render.frame(render_sim(s), f"政策模拟 / simulation: {s['name_zh']}", limit=10)
        console.print(f"合计 total: {s['total_cost_wan']:.1f} 万元, {s['firms_charged']} 家企业 firms charged, "
                      f"{s['firms_unknown']} 家缺用电量 unknown", highlight=False)


def render_sim(s: dict):
    import pandas as pd

    return pd.DataFrame(s["by_grade"]).rename(columns={"grade": "等级 grade", "firms": "企业 firms",
                                                       "cost_wan": "增加成本 万元 cost", "unknown": "未知 unknown"})
