"""``gaoxin results``: which tiers, points, 亩均, industry and chain results the store holds."""

from __future__ import annotations

from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, app, open_store
from gaoxin.cli.data import export


@app.command()
def results(
    kind: Annotated[str | None,
                    typer.Option(help="tiers | points | mujun | industry | chains（默认全部 / all）")] = None,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """已存分析结果 / stored analysis results per snapshot and rule hash."""
    from gaoxin.services.results import stored_results

    with open_store(db, "read") as store:
        r = stored_results(store, kind)
    if as_json:
        render.print_json(r.to_dict())
        return
    t = r.table.copy()
    if out_file is not None:
        export(t, out_file, db)
        return
    t["rule_hash"] = t["rule_hash"].str[:12]
    t["zone"] = t["zone"].where(t["zone"].notna(), "全部 all")
    t["created_at"] = t["created_at"].map(lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if v is not None and v == v
                                           else None)
    t.columns = ["类型 kind", "快照 snapshot", "规则 rule", "规则哈希 hash", "年份 year", "园区 zone", "键 key",
                 "行数 rows", "时间 when"]
    render.frame(t, "已存分析结果 / stored results" + (f"（{kind}）" if kind else ""))
