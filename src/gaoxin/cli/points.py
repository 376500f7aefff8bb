"""``gaoxin points``: innovation points (创新积分制) per enterprise, top bands, bank export, back-test."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, SaveOpt, SnapshotOpt, YearOpt, ZoneOpt, app, open_store
from gaoxin.cli.data import export, export_sheets
from gaoxin.cli.render import console


@app.command()
def points(
    year: YearOpt,
    rules: Annotated[Path | None, typer.Option(help="积分规则文件（默认内置）/ points rule file (default built-in)")
                     ] = None,
    zone: ZoneOpt = None,
    snapshot: SnapshotOpt = None,
    bank_export: Annotated[Path | None, typer.Option(help="积分贷名单 .csv|.xlsx（前20%）/ bank list, top 20 %")
                           ] = None,
    backtest: Annotated[bool, typer.Option(help="回测：积分与此后1–3年增长 / points vs growth in Y+1…Y+3")] = False,
    save: SaveOpt = False,
    limit: Annotated[int, typer.Option(help="终端显示行数 / rows shown")] = 20,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """创新积分：积分、组内排名、前5%/5–10%/10–20%档次、各指标贡献 / innovation points per enterprise."""
    from gaoxin.services import points as sp

    with open_store(db, "write" if save else "read") as store:
        r = sp.points(store, year, rules_path=rules, zone=zone, snapshot=snapshot, backtest=backtest, save=save)
    if bank_export is not None:
        export(r.bank_list(), bank_export, db, list="points-bank")
    if as_json:
        render.print_json(r.to_dict())
        return
    if out_file is not None:
        if out_file.suffix.lower() == ".xlsx":
            export_sheets(r.sheets(), out_file, db)
        else:
            export(r.frame, out_file, db)
        return
    if not r.indicators_verified:
        console.print("注意：指标名称、参考值与权重未经核实（仅结构已核实）/ indicator names, references and weights "
                      "are unverified (the structure is)", highlight=False)
    top = r.frame[r.frame["top_band"] != "rest"]
    shown = top[["zone_id", "band_zh", "rank", "credit_code", "name", "points", "top_band_zh"]].rename(columns={
        "zone_id": "园区 zone", "band_zh": "规模组 band", "rank": "排名 rank", "credit_code": "统一社会信用代码",
        "name": "企业 firm", "points": "积分 points", "top_band_zh": "档次 band"})
    render.frame(shown, f"{r.year}年创新积分前20% / top 20 % by innovation points ({r.rule_id})", limit=limit,
                 formats={"积分 points": ".2f"})
    if r.backtest is not None:
        bt = r.backtest.rename(columns={"horizon": "年数 years", "to_year": "至 to", "n": "企业 n",
                                        "spearman": "Spearman ρ", "top_n": "前20% n",
                                        "median_growth_top": "前20%增长中位数", "median_growth_rest": "其他增长中位数"})
        render.frame(bt, "回测：积分与此后营业收入年均增长 / back-test: points vs later revenue CAGR",
                     formats={"Spearman ρ": ".3f", "前20%增长中位数": ".1%", "其他增长中位数": ".1%"})
    console.print(f"{len(r.frame)} 家企业 enterprises · 快照 snapshot {r.snapshot} · 规则 rule {r.rules_hash[:12]}"
                  + ("，已存储 stored" if r.saved else ""), highlight=False)
