"""``gaoxin industry`` and ``gaoxin chains``: industry structure, featured industry, chain gaps (docs/industry.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, SaveOpt, SnapshotOpt, YearOpt, ZoneOpt, app, open_store
from gaoxin.cli.data import export_frames
from gaoxin.cli.render import console


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "—" if x is None else format(x, fmt)


@app.command()
def industry(
    year: YearOpt,
    zone: ZoneOpt = None,
    level: Annotated[str, typer.Option(help="section 门类 | division 大类 | group 中类")] = "division",
    history: Annotated[int, typer.Option(help="主导产业回看年数 / years of featured-industry history")] = 5,
    rules: Annotated[Path | None, typer.Option(help="主导产业规则文件 / featured-industry rule file")] = None,
    snapshot: SnapshotOpt = None,
    save: SaveOpt = False,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """产业结构与主导产业 / industry structure, location quotients, HHI, featured industry."""
    from gaoxin.services.industry import industry_structure

    with open_store(db, "write" if save else "read") as store:
        r = industry_structure(store, year, zone, level=level, snapshot=snapshot,
                               rules=None if rules is None else str(rules), history=history, save=save)
    if as_json:
        render.print_json(r.to_dict())
        return
    if out_file is not None:
        export_frames(r.frames(), out_file, db)
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


@app.command()
def chains(
    chain: Annotated[str, typer.Option(help="产业链 / chain: integrated-circuit | biomedicine | "
                                            "new-energy-vehicles | FILE.toml")],
    zone: Annotated[str, typer.Option(help="园区代码 / zone code")],
    year: YearOpt,
    viewer: Annotated[str, typer.Option(help="查看范围 / national | admin | province:NN | zone:ZONE")] = "national",
    rules: Annotated[Path | None, typer.Option(help="补链强链规则文件 / gap rule file")] = None,
    leads: Annotated[Path | None, typer.Option(help="公开企业名单作线索来源 / public firm list (CSV|XLSX) as the "
                                                    "lead source (docs/industry.md)")] = None,
    snapshot: SnapshotOpt = None,
    save: SaveOpt = False,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """产业链补链强链与招商线索 / a zone's chain nodes, gaps, strengths and leads."""
    from gaoxin.services.chains import chain_gaps

    with open_store(db, "write" if save else "read") as store:
        r = chain_gaps(store, chain, zone, year, viewer=viewer, snapshot=snapshot,
                       rules=None if rules is None else str(rules), save=save,
                       leads=None if leads is None else str(leads))
    if as_json:
        render.print_json(r.to_dict())
        return
    if out_file is not None:
        export_frames(r.frames(), out_file, db)
        return
    import pandas as pd

    nodes = pd.DataFrame([{"环节 segment": x["segment_zh"], "节点 node": x["name_zh"], "企业数 firms": x["firms"],
                           "区位商 LQ": _num(x["lq"]), "状态 status": x["status_zh"], "建议 action": x["action"],
                           "有企业的园区 zones": x["zones_present"], "优势园区 strong": x["zones_strong"]}
                          for x in r.nodes])
    render.frame(nodes, f"{r.chain_name_zh} {r.zone} {r.year} / {r.chain_name_en} chain (快照 snapshot {r.snapshot})")
    if r.leads:
        render.frame(pd.DataFrame([{"节点 node": x["node_zh"], "企业 firm": x["name"], "园区 zone": x["zone_id"] or "—",
                                    "省份 province": x["province"], "营业收入(千元)": _num(x["revenue"], ".0f"),
                                    "研发强度 R&D": _pct(x["rd_intensity"])} for x in r.leads]),
                     "招商线索 / leads", limit=30)
    elif r.lead_counts:
        render.frame(pd.DataFrame([{"节点 node": x["node_zh"], "园区 zone": x["zone_id"],
                                    "省份 province": x["province"], "候选企业数 candidates": x["candidates"]}
                                   for x in r.lead_counts]),
                     "招商线索分布 / where the leads are", limit=30)
    if r.ambiguous:
        amb = [{"企业 firm": x["name"], "节点 nodes": "、".join(x["nodes"])} for x in r.ambiguous]
        render.frame(pd.DataFrame(amb),
                     "多节点匹配 / ambiguous assignments", limit=20)
    for n in r.notes:
        console.print(n, highlight=False)
