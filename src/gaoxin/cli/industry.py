"""``gaoxin industry`` and ``gaoxin chains``: industry structure, featured industry, chain gaps (docs/industry.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, app, open_store
from gaoxin.cli.data import export, export_sheets
from gaoxin.cli.render import console


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "—" if x is None else format(x, fmt)


def _write(frames: dict, out_file: Path, db: Path | None) -> None:
    if out_file.suffix.lower() == ".xlsx":
        export_sheets(frames, out_file, db)
    else:
        export(next(iter(frames.values())), out_file, db)


@app.command()
def industry(
    year: Annotated[int, typer.Option(help="年份 / year")],
    zone: Annotated[str | None, typer.Option(help="园区代码（默认全部）/ zone code (default: all)")] = None,
    level: Annotated[str, typer.Option(help="section 门类 | division 大类 | group 中类")] = "division",
    history: Annotated[int, typer.Option(help="主导产业回看年数 / years of featured-industry history")] = 5,
    rules: Annotated[Path | None, typer.Option(help="主导产业规则文件 / featured-industry rule file")] = None,
    snapshot: Annotated[str | None, typer.Option(help="快照（默认最新）/ snapshot")] = None,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """产业结构与主导产业 / industry structure, location quotients, HHI, featured industry."""
    from gaoxin.services.industry import industry_structure

    with open_store(db) as store:
        r = industry_structure(store, year, zone, level=level, snapshot=snapshot,
                               rules=None if rules is None else str(rules), history=history)
    if as_json:
        render.print_json(r.to_dict())
        return
    if out_file is not None:
        _write(r.frames(), out_file, db)
        return
    import pandas as pd

    rows = pd.DataFrame([{"园区 zone": x["zone_id"], "行业 industry": x["label"], "企业数 firms": x["firms"],
                          "收入占比 share": _pct(x["share"]), "区位商(收入) LQ rev": _num(x["lq_revenue"]),
                          "区位商(从业) LQ emp": _num(x["lq_employees"]), "增长 growth": _pct(x["growth"])}
                         for x in r.industries])
    render.frame(rows, f"{year} 产业结构 / industry structure (快照 snapshot {r.snapshot})", limit=30)
    conc = pd.DataFrame([{"园区 zone": x["zone_id"], "HHI(收入)": _num(x["hhi"], ".3f"),
                          "HHI(从业)": _num(x["hhi_employees"], ".3f"), "行业数 industries": x["industries"]}
                         for x in r.concentration])
    render.frame(conc, "集中度 / Herfindahl concentration", limit=30)
    feat = pd.DataFrame([{"园区 zone": x["zone_id"], "年份 year": x["year"], "主导产业 featured": x["label"],
                          "占比 share": _pct(x["share"]), "区位商 LQ": _num(x["lq"]),
                          "变化 changed": "是 yes" if x["changed"] else ""} for x in r.featured])
    render.frame(feat, f"主导产业（规则 {r.rule_id}）/ featured industry", limit=30)
    for n in r.notes:
        console.print(n, highlight=False)
