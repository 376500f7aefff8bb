"""``gaoxin tiers``: enterprise tiers with evidence, near misses and the zone funnel (docs/enterprise-tiers.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, SnapshotOpt, app, open_store
from gaoxin.cli.data import export, export_sheets
from gaoxin.cli.render import console


@app.command()
def tiers(
    year: Annotated[int, typer.Option(help="年份 / year")],
    rules: Annotated[Path | None, typer.Option(help="梯度规则文件 / tier rule file (TOML)")] = None,
    zone: Annotated[str | None, typer.Option(help="园区代码 / zone code")] = None,
    near_miss: Annotated[bool, typer.Option("--near-miss", help="差一项达标的企业 / enterprises one criterion short")
                         ] = False,
    funnel: Annotated[bool, typer.Option("--funnel", help="园区梯度漏斗与进出 / zone funnel and transitions")] = False,
    snapshot: SnapshotOpt = None,
    save: Annotated[bool, typer.Option(help="按快照与规则文件存储结果 / store per snapshot and rule file")] = False,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """企业梯度识别（含依据）/ enterprise tiers with evidence per criterion."""
    from gaoxin.services import tiers as st

    with open_store(db, "write" if save else "read") as store:
        res = st.tiers(store, year, rules=None if rules is None else str(rules), zone=zone, snapshot=snapshot,
                       save=save)
        if as_json or (out_file is not None and not near_miss and not funnel):
            res.evidence  # noqa: B018 — queried on demand: fetch it while the store is open
    if save:
        console.print(f"已存储 stored: snapshot {res.snapshot}, rules {res.rules_sha256[:12]}, {res.year}")
    if as_json:
        render.print_json(res.to_dict())
        return
    if out_file is not None:
        if out_file.suffix.lower() == ".xlsx":
            export_sheets(res.sheets(), out_file, db)
        else:
            export(res.near_miss if near_miss else res.funnel if funnel else res.evidence, out_file, db)
        return
    import pandas as pd

    console.print(f"规则 rules {res.rules_id} {res.rules_version} · 快照 snapshot {res.snapshot} · {res.year}"
                  + (f" · 园区 zone {res.zone}" if res.zone else ""))
    render.frame(pd.DataFrame(res.tiers)[["id", "name_zh", "name_en", "members", "unknown"]].rename(columns={
        "id": "梯度 tier", "name_zh": "名称", "name_en": "name", "members": "达标 members",
        "unknown": "数据不足 unknown"}), f"企业梯度 / tiers, {res.year}")
    if near_miss:
        nm = res.near_miss[["tier", "zone_id", "credit_code", "label_zh", "value", "op", "threshold", "gap"]]
        render.frame(nm.rename(columns={"tier": "梯度 tier", "zone_id": "园区 zone", "credit_code": "统一社会信用代码",
                                        "label_zh": "未达条件 criterion", "value": "现值 value",
                                        "threshold": "门槛 threshold", "gap": "差距 gap"}),
                     "差一项达标 / near misses (all criteria but one)", limit=30)
    if funnel:
        f = res.funnel[res.funnel["members"].gt(0) | res.funnel["entered"].fillna(0).gt(0)
                       | res.funnel["left"].fillna(0).gt(0)]
        render.frame(f.rename(columns={"zone_id": "园区 zone", "year": "年份 year", "tier": "梯度 tier",
                                       "members": "企业数 members", "entered": "新进 entered", "left": "退出 left",
                                       "promoted": "晋级 promoted"}),
                     "梯度漏斗 / funnel over time", limit=60)
