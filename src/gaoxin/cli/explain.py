"""``gaoxin explain``: why a zone's score and rank changed between two evaluations (docs/explain.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, SnapshotOpt, app, open_store
from gaoxin.cli.data import export, export_sheets
from gaoxin.cli.render import console, out


@app.command()
def explain(
    zone: Annotated[str | None, typer.Option(help="园区代码 / zone code (omit with --all)")] = None,
    year: Annotated[int | None, typer.Option(help="报告期年份 / the year to explain")] = None,
    vs: Annotated[int | None, typer.Option(help="基期年份（默认上一年）/ base year (default: the year before)")] = None,
    evaluation: Annotated[int | None, typer.Option(help="已存评价编号 / stored evaluation id")] = None,
    vs_evaluation: Annotated[int | None, typer.Option(help="基期评价编号（可用不同配置）/ base evaluation id")] = None,
    framework: Annotated[str, typer.Option(help="指标体系 / framework")] = "national-2021",
    snapshot: SnapshotOpt = None,
    all_zones: Annotated[bool, typer.Option("--all", help="所有园区（需 --evaluation）/ every zone of --evaluation")
                         ] = False,
    save: Annotated[bool, typer.Option(help="随评价存储 / store with the evaluation")] = False,
    recompute: Annotated[bool, typer.Option(help="忽略已存解释重新计算 / ignore a stored explanation")] = False,
    top_firms: Annotated[int, typer.Option(help="每项指标列出的企业数 / firms listed per indicator")] = 5,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """解释排名与得分变化 / explain a zone's change of score and rank, indicator by indicator."""
    from gaoxin.services import explain as sx
    from gaoxin.services.errors import InputError

    if all_zones:
        if evaluation is None:
            raise InputError("--all 需要 --evaluation ID / --all needs --evaluation ID")
        with open_store(db, "write" if save else "read") as store:
            items = sx.explain_all(store, evaluation, vs, vs_evaluation, save=save, top_firms=top_firms)
        if as_json:
            render.print_json([e.to_dict() for e in items])
        else:
            for e in items:
                out.print(e.narrative_zh, markup=False, highlight=False)
            console.print(f"{len(items)} 个园区 zones" + ("，已存储 stored" if save else ""))
        return
    with open_store(db, "write" if save else "read") as store:
        e = sx.explain(store, zone, year, vs, evaluation=evaluation, vs_evaluation=vs_evaluation,
                       framework=framework, snapshot=snapshot, save=save, recompute=recompute, top_firms=top_firms)
    if as_json:
        render.print_json(e.to_dict())
        return
    if out_file is not None:
        import pandas as pd

        summary = pd.DataFrame([{k: v for k, v in e.to_dict().items()
                                 if k not in ("indicators", "firms", "firm_notes", "pillars")}])
        if out_file.suffix.lower() == ".xlsx":
            export_sheets({"说明 summary": summary, "指标 indicators": e.indicator_frame(),
                           "企业 firms": e.firm_frame()}, out_file, db)
        else:
            export(e.indicator_frame(), out_file, db)
        return
    show(e)


def show(e, limit: int = 12) -> None:
    """The narrative, the largest contributions and the firms behind the top three (also used by the demo)."""
    out.print(e.narrative_zh, markup=False, highlight=False)
    out.print(e.narrative_en, markup=False, highlight=False)
    df = e.indicator_frame()
    df = df.reindex(df["contribution"].abs().sort_values(ascending=False).index)
    shown = df.assign(indicator=(df["ref"].fillna("") + " " + df["name_zh"]).str.strip())[
        ["indicator", "value_before", "value_after", "contribution", "own", "peer", "method"]].rename(columns={
            "indicator": "指标 indicator", "value_before": f"{e.base_year}", "value_after": f"{e.year}",
            "contribution": "贡献 points", "own": "自身 own", "peer": "其他园区 peer", "method": "方法 method"})
    how = "精确 exact" if e.exact else f"近似 approx., 残差 residual {e.residual:.3g}"
    render.frame(shown, f"得分变化分解 / contributions ({how})", limit=limit)
    firms = e.firm_frame(top_indicators=3)
    if len(firms):
        render.frame(firms[["indicator", "credit_code", "name", "shown"]].rename(columns={
            "indicator": "指标 indicator", "credit_code": "统一社会信用代码", "name": "企业 firm",
            "shown": "贡献值 contribution"}), "企业贡献（前三项指标）/ enterprise contributions, top 3 indicators",
            limit=21)
