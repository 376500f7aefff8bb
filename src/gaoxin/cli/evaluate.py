"""Evaluation commands: frameworks, indicators, evaluate, evaluations, uncertainty, manage, monitor, index."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, app, open_store, years
from gaoxin.cli.data import export, export_sheets
from gaoxin.cli.render import console, out

fw_app = typer.Typer(help="指标体系 / indicator frameworks")
app.add_typer(fw_app, name="frameworks")
index_app = typer.Typer(help="综合指数（COINr iData/iMeta 文件） / composite index from files", no_args_is_help=True)
app.add_typer(index_app, name="index")
SnapOpt = Annotated[str | None, typer.Option(help="快照编号或名称（默认最新） / snapshot id or name (default latest)")]


def _emit(df, title: str, *, as_json: bool, out_file: Path | None, db: Path | None, limit: int | None = 30,
          formats: dict[str, str] | None = None) -> None:
    """The one way a listing leaves a command: JSON, a file, or a table."""
    if as_json:
        render.print_json(df)
    elif out_file:
        export(df, out_file, db)
    else:
        render.frame(df, title, limit=limit, formats=formats)


@fw_app.callback(invoke_without_command=True)
def frameworks_list(ctx: typer.Context, as_json: JsonOpt = False, out_file: OutOpt = None) -> None:
    """列出指标体系 / list built-in and user frameworks ($GAOXIN_FRAMEWORKS)."""
    if ctx.invoked_subcommand:
        return
    import pandas as pd

    from gaoxin.services.indicators import list_frameworks

    df = pd.DataFrame(list_frameworks())[["id", "name_zh", "version", "origin", "indicators", "error"]]
    _emit(df, "指标体系 / frameworks", as_json=as_json, out_file=out_file, db=None, limit=None)


@fw_app.command("show")
def frameworks_show(framework: str, sources: bool = False) -> None:
    """打印指标树 / print a framework's tree."""
    from gaoxin.services.indicators import framework_tree

    out.print(framework_tree(framework, sources=sources), markup=False, highlight=False)


@app.command()
def indicators(
    framework: Annotated[str, typer.Option(help="e.g. national-2021 or a .toml file")],
    years_: Annotated[str, typer.Option("--years", help="e.g. 2019-2024")],
    snapshot: SnapOpt = None,
    unit: Annotated[str, typer.Option(help="分析单元 / unit of analysis: zone-year | enterprise-year | "
                                           "industry2-zone-year (GB/T 4754 门类前 N 位)")] = "zone-year",
    out_file: OutOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """计算指标（单元×年份×指标） / compute a framework's indicators from a snapshot."""
    from gaoxin.services.indicators import compute

    with open_store(db) as store:
        table = compute(store, framework, years(years_), snapshot, unit)
    console.print(f"快照 snapshot {table.snapshot}, 单元 unit {table.unit}: {len(table.frame)} 行 rows")
    if out_file and out_file.suffix == ".xlsx":  # the workbook records what it was computed from
        export_sheets(table.sheets(), out_file, db)
    elif as_json or out_file:
        _emit(table.frame, "", as_json=as_json, out_file=out_file, db=db)
    else:  # one line per indicator; the values of every unit are wide data, for --out
        s = table.summary()
        s = s.assign(indicator=s["name_zh"] + " " + s["indicator"]).drop(columns="name_zh").rename(columns={
            "indicator": "指标 indicator", "unit": "单位 unit", "n": "有值 n", "min": "最小 min",
            "median": "中位 median", "max": "最大 max"})
        render.frame(s, f"{framework} {years_}（{table.unit}）", limit=None)
        console.print("每个单元的数值请用 --out 文件.xlsx|.csv 或 --json / values per unit: --out or --json")


RANKING_COLUMNS = {"rank": "排名 rank", "name": "园区 zone", "score": "得分 score",
                   "rank_p05": "区间下 p05", "rank_p95": "区间上 p95", "grade": "等级 grade",
                   "zone_type_zh": "类型 type", "rank_change": "变动 Δrank"}


def _ranking_view(table, names: dict[str, str]):
    t = table.assign(name=table["zone_id"].map(names))
    cols = [c for c in RANKING_COLUMNS if c in t.columns]
    return t[cols].rename(columns=RANKING_COLUMNS)


@app.command("evaluate")
def evaluate_cmd(
    framework: Annotated[str, typer.Option()] = "national-2021",
    year: Annotated[int | None, typer.Option(help="默认快照中最新年份 / default: latest year")] = None,
    snapshot: SnapOpt = None,
    config: Annotated[Path | None, typer.Option(help="pipeline.toml (docs/methods.md)")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="results .xlsx/.csv")] = None,
    rerun: Annotated[int | None, typer.Option(help="重算已存评价 / re-run stored evaluation ID")] = None,
    runs: Annotated[int, typer.Option(help="排名区间的蒙特卡洛次数（0=不计算） / Monte Carlo runs for rank "
                                           "intervals (0 = none)")] = 1000,
    seed: int = 42,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """综合评价并保存 / evaluate zones, store scores, ranks, rank intervals and the run log."""
    from gaoxin.services import evaluation
    from gaoxin.services.snapshots import zone_names

    if rerun is not None:
        with open_store(db) as store:
            r = evaluation.rerun(store, rerun)
        if as_json:
            render.print_json({"evaluation": r.evaluation_id, "identical": r.identical,
                               "max_score_difference": r.max_score_difference})
        else:
            console.print(f"{'[green]一致' if r.identical else '[red]不一致'} / "
                          f"{'identical' if r.identical else 'different'}[/]: evaluation {rerun} re-run from its "
                          f"log, max |Δscore| = {r.max_score_difference:g}")
        raise typer.Exit(0 if r.identical else 1)
    with open_store(db, "write") as store:
        steps = evaluation.steps_from(config)
        with console.status("计算指标并评价 / computing indicators and evaluating …"):
            run = evaluation.evaluate(store, framework, year, snapshot, steps, save=True, runs=runs, seed=seed)
        names = zone_names(store, run.evaluation.snapshot)
    ev = run.evaluation
    console.print(f"评价 evaluation {ev.id}: {framework} {ev.year}, 快照 snapshot {ev.snapshot}, "
                  f"{len(run.table)} 园区 zones; config {run.config_hash[:12]}"
                  + (f"; 无数据指标已剔除 dropped (no data): {', '.join(ev.dropped)}" if ev.dropped else ""))
    if as_json:
        render.print_json(run.table)
        return
    if out_file and out_file.suffix == ".xlsx":
        export_sheets(run.sheets(), out_file, db)
    elif out_file:
        export(run.table, out_file, db)
    view = _ranking_view(run.table, names)
    render.frame(view, f"排名 ranking {framework} {ev.year}", limit=20,
                 formats={"得分 score": ".2f", "区间下 p05": ".0f", "区间上 p95": ".0f", "变动 Δrank": "+.0f"})


@app.command()
def evaluations(db: DbOpt = None, as_json: JsonOpt = False, out_file: OutOpt = None) -> None:
    """列出已存评价 / list stored evaluations (ids for --rerun and uncertainty)."""
    from gaoxin.services.evaluation import list_evaluations

    with open_store(db) as store:
        df = list_evaluations(store)
    if not as_json and not out_file:
        df = df.assign(created_at=df["created_at"].dt.strftime("%m-%d %H:%M"), config_hash=df["config_hash"].str[:8])
        df.columns = ["id", "时间 time", "体系 framework", "年份 year", "快照 snapshot", "配置 config", "用户 user"]
    _emit(df, "已存评价 / stored evaluations", as_json=as_json, out_file=out_file, db=db, limit=None)


@app.command()
def uncertainty(
    evaluation: Annotated[int, typer.Option(help="evaluation id")],
    runs: int = 10_000,
    seed: int = 42,
    sensitivity: Annotated[bool, typer.Option(help="Sobol 敏感性分析 / Sobol indices, leave-one-pillar-out")] = False,
    save: Annotated[bool, typer.Option(help="保存排名区间到评价 / store the intervals with the evaluation")] = False,
    leave_one_out: Annotated[str | None, typer.Option(
        "--leave-one-out", help="逐个去掉某层（1=指标）或某个指标/分项，在其上级内重新分配权重 / drop each element "
                                "of a LEVEL (1 = indicators) or one CODE, re-weighting within its parent")] = None,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """蒙特卡洛排名区间 / Monte Carlo rank intervals for a stored evaluation."""
    from gaoxin.services import evaluation as ev_service

    t0 = time.perf_counter()
    with open_store(db, "write" if save else "read") as store:
        res = ev_service.uncertainty(store, evaluation, runs, seed, save=save)
        sens = ev_service.sensitivity(store, evaluation, seed=seed) if sensitivity else None
        loo = ev_service.leave_one_out(store, evaluation, leave_one_out) if leave_one_out is not None else None
    s = res.summary.sort_values("nominal_rank").reset_index(names="zone_id")
    if as_json:
        render.print_json({"intervals": s, **({"sobol": sens.indices.reset_index(names="input"),
                                               "leave_one_out": sens.leave_one_out.reset_index(names="pillar")}
                                              if sens else {}),
                           **({"leave_one_out_summary": loo.summary.reset_index(),
                               "leave_one_out_ranks": loo.ranks.reset_index(names="zone_id")} if loo else {})})
        return
    console.print(f"{runs} 次模拟 replications in {time.perf_counter() - t0:.2f}s"
                  + ("（已保存 / stored）" if save else ""))
    _emit(s, f"排名区间 rank intervals (5–95%), evaluation {evaluation}", as_json=False, out_file=out_file, db=db,
          limit=20)
    if sens:
        render.frame(sens.indices.reset_index(names="input"), "Sobol 指数（平均排名变动） / Sobol indices of the "
                     f"mean absolute rank shift ({sens.n_runs} runs)")
        render.frame(sens.leave_one_out.reset_index(names="pillar"),
                     "去掉一个一级指标后的排名变动 / leave one pillar out")
    if loo:
        render.frame(loo.summary.reset_index().rename(columns={
            "dropped": "去掉 dropped", "level": "层级 level", "parent": "上级 parent",
            "max_abs_shift": "最大变动 max |Δrank|", "mean_abs_shift": "平均变动 mean |Δrank|"}),
            f"去掉一项后的排名变动（在上级内重新分配权重） / leave one out: {leave_one_out}", limit=None,
            formats={"平均变动 mean |Δrank|": ".2f"})


@app.command("manage")
def manage_cmd(
    framework: Annotated[str, typer.Option()] = "national-2021",
    years_: Annotated[str, typer.Option("--years", help="e.g. 2020-2024")] = "2020-2024",
    snapshot: SnapOpt = None,
    rules: Annotated[Path | None, typer.Option(help="dynamic-management.toml")] = None,
    out_file: OutOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """动态管理：表扬、约谈、通报、退出建议（不保存评价） / dynamic-management lists (stores nothing)."""
    from gaoxin.services.evaluation import dynamic_management
    from gaoxin.services.snapshots import zone_names

    y0, y1 = years(years_)
    with open_store(db) as store:
        with console.status(f"逐年评价 evaluating {y0}–{y1} …"):
            m = dynamic_management(store, framework, range(y0, y1 + 1), snapshot, rules)
        names = zone_names(store, snapshot)
    lists = m.lists.drop(columns="history").assign(name=lambda d: d["zone_id"].map(names))
    if as_json or out_file:
        _emit(lists, "", as_json=as_json, out_file=out_file, db=db)
        return
    shown = lists[lists["status"] != "normal"][["zone_id", "name", "status_zh", "rank", "score", "reason_zh"]]
    shown = shown.rename(columns={"zone_id": "园区 zone", "name": "名称 name", "status_zh": "状态 status",
                                  "rank": "排名 rank", "score": "得分 score", "reason_zh": "依据 reason"})
    render.frame(shown, f"动态管理 dynamic management {years_}", limit=None, formats={"得分 score": ".1f"})


@app.command("monitor")
def monitor_cmd(
    year: Annotated[int, typer.Option()],
    targets: Annotated[Path | None, typer.Option(help="targets .toml (default: 十四五 national targets)")] = None,
    view: Annotated[str, typer.Option(help="annual | midterm (中期评估) | final (总结评估)")] = "annual",
    snapshot: SnapOpt = None,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """规划监测：进度、状态、预测 / plan-target monitoring for a year."""
    from gaoxin.services.monitoring import load_targets, monitor

    if view not in ("annual", "midterm", "final"):
        raise typer.BadParameter(f"--view: annual | midterm | final, not {view}")
    ts = load_targets(targets)
    with open_store(db) as store:
        res = monitor(store, year, ts, view, snapshot)  # type: ignore[arg-type]
    if as_json or out_file:
        _emit(res, "", as_json=as_json, out_file=out_file, db=db)
        return
    cols = {"label_zh": "目标 target", "baseline_value": "基期 baseline",
            "target_value": "目标值 target", "actual": "实际 actual", "progress": "进度 progress",
            "expected_progress": "应达 expected", "status_zh": "状态 status", "projected_value": "预测 projected"}
    shown = res[[c for c in cols if c in res.columns]].rename(columns=cols)
    render.frame(shown, f"规划监测 plan monitoring {year} ({view})", limit=None,
                 formats={"进度 progress": ".0%", "应达 expected": ".0%"})


@index_app.command("build")
def index_build(
    data: Annotated[Path, typer.Option(help="iData.csv")],
    meta: Annotated[Path, typer.Option(help="iMeta.csv")],
    out_file: Annotated[Path, typer.Option("--out", help="results.csv")],
    config: Annotated[Path | None, typer.Option(help="pipeline.toml")] = None,
    leave_one_out: Annotated[str | None, typer.Option(
        "--leave-one-out", help="逐个去掉某层（1=指标）或某个元素，加一列去掉后的排名 / add Rank_without_<code> "
                                "for each element of a LEVEL or one CODE (COINr remove_elements)")] = None,
) -> None:
    """从 COINr 格式文件构建综合指数 / build an index from COINr iData/iMeta files."""
    from gaoxin.services.evaluation import build_index

    table = build_index(data, meta, config, out=out_file, leave_out=leave_one_out)
    console.print(f"写入 wrote {out_file} ({len(table)} units) and its log {out_file.with_suffix('.log.json')}")
    render.frame(table, "综合指数 index", limit=10, formats={})
