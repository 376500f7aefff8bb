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


COVERAGE_COLUMNS = {"ref": "编号 ref", "name_zh": "指标 indicator", "source_kind": "来源 source",
                    "fields": "字段 fields", "missing_fields": "缺少 missing fields", "zones": "有值园区 zones",
                    "status_zh": "状态 status"}


@fw_app.command("show")
def frameworks_show(
    framework: str,
    sources: bool = False,
    snapshot: Annotated[str | None, typer.Option(help="快照编号或名称：给出时报告指标覆盖情况 / snapshot id or "
                                                     "name: report which indicators its data computes")] = None,
    year: Annotated[int | None, typer.Option(help="覆盖报告的年份（默认快照最新年份） / coverage year "
                                                  "(default: the snapshot's latest)")] = None,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """打印指标树；给出 --snapshot 时报告哪些指标已计算、缺哪些字段 / print a framework's tree; with --snapshot,
    its coverage: which indicators the data computes, from which fields, which are missing."""
    from gaoxin.services import indicators as svc

    if snapshot is None and year is None:
        if as_json:
            render.print_json(svc.framework(framework).model_dump(mode="json", exclude={"path"}))
        else:
            out.print(svc.framework_tree(framework, sources=sources), markup=False, highlight=False)
        return
    with open_store(db) as store:
        cov = svc.coverage(store, framework, snapshot, year)
    if as_json:
        render.print_json({"framework": cov.framework, "snapshot": cov.snapshot, "year": cov.year,
                           "counts": cov.counts, "indicators": cov.frame})
        return
    if out_file:
        export(cov.frame, out_file, db)
        return
    view = cov.frame[list(COVERAGE_COLUMNS)].rename(columns=COVERAGE_COLUMNS)
    render.frame(view, f"覆盖 coverage {cov.framework} {cov.year}（快照 snapshot {cov.snapshot}）", limit=None)
    console.print(cov.message(), markup=False, highlight=False)


template_app = typer.Typer(help="填报模板 / templates to fill", no_args_is_help=True)
app.add_typer(template_app, name="template")


@template_app.command("zone-facts")
def template_zone_facts(
    out_file: Annotated[Path, typer.Option("--out", help="模板文件 .xlsx|.csv / the template file")],
    framework: Annotated[str, typer.Option(help="指标体系 / framework")] = "national-2021",
    year: Annotated[int | None, typer.Option(help="预填年份 / year to prefill (with --db: one row per zone)")] = None,
    db: DbOpt = None,
) -> None:
    """园区指标填报模板（中文表头） / a wide zone-facts template with Chinese headers, ingested as it is filled."""
    from gaoxin.services.errors import check_year_values
    from gaoxin.services.export import write_frame, write_sheets
    from gaoxin.services.indicators import zone_facts_template

    check_year_values(year)
    zones: list[str] = []
    if year is not None:
        from gaoxin.services import db_path
        from gaoxin.services.snapshots import zone_names

        if db_path(db).exists():
            with open_store(db) as store:
                zones = sorted(zone_names(store, None))
    df = zone_facts_template(framework, zones, year)
    if out_file.suffix.lower() == ".xlsx":
        write_sheets({"园区指标": df}, out_file)
    else:
        write_frame(df, out_file)
    console.print(f"模板 template: {out_file} ({len(df.columns) - 2} 项指标 facts, {len(df)} 行 rows); "
                  f"填写后 / fill it, then: gaoxin ingest {out_file}")


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
                   "rank_p05": "区间下 p05", "rank_p95": "区间上 p95", "companion_rank": "对照排名 other rank",
                   "rank_shift": "差 shift", "grade": "等级 grade", "zone_type_zh": "类型 type",
                   "rank_change": "变动 Δrank"}
ConfigOpt = Annotated[str | None, typer.Option(
    "--config", help="评价流程：robust | official-2021 | pipeline.toml（默认按指标体系）/ pipeline: a packaged name or "
                     "a file (default: the framework's, docs/methods.md)")]


def _ranking_view(table, names: dict[str, str]):
    t = table.assign(name=table["zone_id"].map(names))
    cols = [c for c in RANKING_COLUMNS if c in t.columns]
    return t[cols].rename(columns=RANKING_COLUMNS)


@app.command("evaluate")
def evaluate_cmd(
    framework: Annotated[str, typer.Option()] = "national-2021",
    year: Annotated[int | None, typer.Option(help="默认快照中最新年份 / default: latest year")] = None,
    snapshot: SnapOpt = None,
    config: ConfigOpt = None,
    compare: Annotated[str | None, typer.Option(help="对照评分：另一流程同数据计算并一并保存 / companion scoring "
                                                     "(robust | official-2021 | FILE), stored with it")] = None,
    base_year: Annotated[int | None, typer.Option(help="定基：按该年基准值评分 / fixed base: score against this "
                                                       "year's benchmarks")] = None,
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
        with console.status("计算指标并评价 / computing indicators and evaluating …"):
            run = evaluation.evaluate(store, framework, year, snapshot, save=True, runs=runs, seed=seed,
                                      config=config, compare=compare, base_year=base_year)
        names = zone_names(store, run.evaluation.snapshot)
    ev = run.evaluation
    zero = run.scored_zero
    console.print(f"评价 evaluation {ev.id}: {framework} {ev.year}, 快照 snapshot {ev.snapshot}, "
                  f"{len(run.table)} 园区 zones; config {run.config_name or 'file'} {run.config_hash[:12]}"
                  + (f"; 定基 base year {run.base_year}" if run.base_year is not None else "")
                  + (f"; 无数据指标已剔除 dropped (no data): {', '.join(ev.dropped)}" if ev.dropped else ""))
    if ev.dropped or (run.coverage is not None and run.coverage.missing_as_zero and run.coverage.codes("missing")):
        console.print(run.coverage.message() if run.coverage is not None else "", markup=False, highlight=False)
    if zero:
        console.print(f"[yellow]注意：无任何园区有数据的指标按 0 分计 / scored 0 for every zone (no data): "
                      f"{', '.join(zero)}[/]")
    if run.companion is not None:
        console.print(f"对照 companion: evaluation {run.companion_id} ({run.companion_config}); Spearman ρ = "
                      f"{_num(run.spearman, '.3f')}, 平均排名差 mean |shift| = "
                      f"{_num(run.table['rank_shift'].abs().mean(), '.1f')}")
    if as_json:
        render.print_json(run.table if run.companion is None else {
            "evaluation": ev.id, "companion": run.companion_id, "config": run.config_name,
            "companion_config": run.companion_config, "spearman": run.spearman, "ranking": run.table})
        return
    if out_file and out_file.suffix == ".xlsx":
        export_sheets(run.sheets(), out_file, db)
    elif out_file:
        export(run.table, out_file, db)
    view = _ranking_view(run.table, names)
    render.frame(view, f"排名 ranking {framework} {ev.year}", limit=20,
                 formats={"得分 score": ".2f", "区间下 p05": ".0f", "区间上 p95": ".0f", "变动 Δrank": "+.0f",
                          "差 shift": "+.0f"})


def _num(v, spec: str) -> str:
    """A number for a sentence; a missing one is "—", never "nan"."""
    return "—" if v is None or v != v else format(float(v), spec)


@app.command()
def evaluations(
    show: Annotated[int | None, typer.Option(help="显示评价 ID 的两种评分排名对照 / show evaluation ID's ranking "
                                                  "beside its companion")] = None,
    db: DbOpt = None, as_json: JsonOpt = False, out_file: OutOpt = None,
) -> None:
    """列出已存评价 / list stored evaluations (ids for --rerun and uncertainty)."""
    from gaoxin.services import evaluation as ev_service
    from gaoxin.services.snapshots import zone_names

    if show is not None:
        with open_store(db) as store:
            c = ev_service.comparison(store, show)
            names = zone_names(store, c.snapshot)
        if as_json:
            render.print_json({"evaluation": c.evaluation_id, "companion": c.companion_id, "config": c.config_name,
                               "companion_config": c.companion_config, "spearman": c.spearman,
                               "mean_abs_shift": c.mean_abs_shift, "comparison": c.table})
            return
        if c.companion_id is None:
            console.print(f"评价 {show} 没有对照评分（gaoxin evaluate --compare robust|official-2021）/ evaluation "
                          f"{show} has no companion (gaoxin evaluate --compare …)")
        else:
            console.print(f"评价 evaluation {show} ({c.config_name or 'file'}) 对照 vs {c.companion_id} "
                          f"({c.companion_config or 'file'}): Spearman ρ = {_num(c.spearman, '.3f')}, "
                          f"mean |shift| = {_num(c.mean_abs_shift, '.1f')}")
        t = c.table.assign(name=c.table["zone_id"].map(names))[
            ["rank", "companion_rank", "shift", "name", "score", "companion_score"]].rename(columns={
                "rank": "排名 rank", "companion_rank": "对照排名 other rank", "shift": "差 shift",
                "name": "园区 zone", "score": "得分 score", "companion_score": "对照得分 other score"})
        _emit(t, f"两种评分对照 / two scorings, evaluation {show}", as_json=False, out_file=out_file, db=db,
              limit=None, formats={"得分 score": ".2f", "对照得分 other score": ".2f", "差 shift": "+.0f"})
        return
    with open_store(db) as store:
        df = ev_service.list_evaluations(store)
    if not as_json and not out_file:
        df = df.assign(created_at=df["created_at"].dt.strftime("%m-%d %H:%M"), config_hash=df["config_hash"].str[:8])
        df = df[["id", "created_at", "framework", "year", "snapshot_id", "config_name", "config_hash",
                 "companion_id", "companion_of", "spearman", "created_by"]]
        df.columns = ["id", "时间 time", "体系 framework", "年份 year", "快照 snapshot", "配置 config", "哈希 hash",
                      "对照 companion", "对照于 companion of", "Spearman ρ", "用户 user"]
    _emit(df, "已存评价 / stored evaluations", as_json=as_json, out_file=out_file, db=db, limit=None,
          formats={"Spearman ρ": ".3f"})


@app.command()
def trend(
    framework: Annotated[str, typer.Option()] = "national-2021",
    from_: Annotated[int, typer.Option("--from", help="起始年 / first year")] = 2021,
    to: Annotated[int, typer.Option("--to", help="结束年 / last year")] = 2025,
    base_year: Annotated[int | None, typer.Option(help="基期（默认起始年）/ base year (default --from)")] = None,
    config: ConfigOpt = None,
    snapshot: SnapOpt = None,
    as_json: JsonOpt = False,
    out_file: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """定基趋势指数：各园区逐年指数（按基期基准值评分，跨年可比）/ fixed-base trend index of every zone."""
    from gaoxin.services.evaluation import trend as trend_service
    from gaoxin.services.snapshots import zone_names

    with open_store(db) as store:
        with console.status(f"逐年评价 evaluating {from_}–{to} …"):
            t = trend_service(store, framework, range(from_, to + 1), base_year, snapshot, config)
        names = zone_names(store, snapshot)
    if as_json or out_file:
        _emit(t.table, "", as_json=as_json, out_file=out_file, db=db)
        return
    view = t.table.assign(name=t.table["zone_id"].map(names))
    years_cols = [c for c in view.columns if c.isdigit()]
    view = view[["name", *years_cols, "change"]].rename(columns={"name": "园区 zone", "change": "变化 change"})
    render.frame(view, f"定基指数 fixed-base index {framework}, 基期 base {t.base_year} ({t.config_name or 'file'})",
                 limit=30, formats={**{c: ".2f" for c in years_cols}, "变化 change": "+.2f"})


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
    config: ConfigOpt = None,
    runs: Annotated[int, typer.Option(help="排名区间的蒙特卡洛次数：名单标注确定/不确定（0=不计算）/ Monte Carlo "
                                           "runs: mark each listed zone certain or uncertain (0 = none)")] = 0,
    seed: int = 42,
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
            m = dynamic_management(store, framework, range(y0, y1 + 1), snapshot, rules, config=config, runs=runs,
                                   seed=seed)
        names = zone_names(store, snapshot)
    lists = m.lists.drop(columns="history").assign(name=lambda d: d["zone_id"].map(names))
    if as_json or out_file:
        _emit(lists, "", as_json=as_json, out_file=out_file, db=db)
        return
    extra = ["rank_p05", "rank_p95", "certainty_zh"] if "certainty" in lists.columns else []
    shown = lists[lists["status"] != "normal"][["zone_id", "name", "status_zh", "rank", *extra, "score",
                                                "reason_zh"]]
    shown = shown.rename(columns={"zone_id": "园区 zone", "name": "名称 name", "status_zh": "状态 status",
                                  "rank": "排名 rank", "rank_p05": "区间下 p05", "rank_p95": "区间上 p95",
                                  "certainty_zh": "确定性 certainty", "score": "得分 score",
                                  "reason_zh": "依据 reason"})
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
