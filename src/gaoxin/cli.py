"""Command line: ``gaoxin ingest``, ``gaoxin snapshots``, ``gaoxin demo-data``, ``gaoxin demo``.

Thin wrappers over the library: every command calls one function of a stage
package and only formats its result (Rich tables, JSON, exit codes).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from gaoxin.store import db as store_db
from gaoxin.store import snapshots as snaps

app = typer.Typer(help="gaoxin: 高新区监测评价平台 / high-tech zone monitoring and evaluation", no_args_is_help=True,
                  add_completion=False)
snap_app = typer.Typer(help="快照 / snapshots: list and compare stored data versions")
app.add_typer(snap_app, name="snapshots")
fw_app = typer.Typer(help="指标体系 / indicator frameworks")
app.add_typer(fw_app, name="frameworks")
index_app = typer.Typer(help="综合指数（COINr iData/iMeta 文件） / composite index from files")
app.add_typer(index_app, name="index")
console = Console(stderr=True)
out = Console()

DbOpt = Annotated[Path | None, typer.Option("--db", envvar="GAOXIN_DB", help="数据库文件 / database file")]


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=console, transient=True)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV / XLSX files, one batch")],
    db: DbOpt = None,
    snapshot: Annotated[str | None, typer.Option(help="快照名称 / snapshot name")] = None,
    strict: Annotated[bool, typer.Option(help="有被拒行则整批不写入 / refuse the batch on any rejection")] = False,
    report: Annotated[Path | None, typer.Option(help="问题报告 / rejection report (.csv or .xlsx)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="stdout: one JSON object")] = False,
) -> None:
    """导入企业与园区数据为新快照 / ingest files as a new snapshot."""
    from gaoxin.ingest.rejections import write_report
    from gaoxin.store.load import ingest as run

    big = sum(f.stat().st_size for f in files if f.exists()) > 5_000_000
    with _progress() as prog:
        tasks: dict[str, int] = {}

        def on_bytes(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = prog.add_task(f"读取 {Path(name).name}", total=total)
            prog.update(tasks[name], completed=done)

        status = prog.add_task("", total=None, visible=big)

        def on_stage(s: str) -> None:
            prog.update(status, description={"read": "读取 reading", "validate": "校验 validating",
                                             "write": "写入 writing"}[s])

        result = run(files, db, snapshot_name=snapshot, strict=strict,
                     progress=on_bytes if big else None, stage_hook=on_stage)
    written = write_report(result.batch, report) if report else []
    if written:  # the report holds enterprise rows: an export, audited like the others
        from gaoxin.store import audit

        con = store_db.connect(db)
        audit.record(con, "export", ", ".join(map(str, written)), kind="rejection report",
                     snapshot=result.snapshot)
        con.close()
    if as_json:
        print(json.dumps(result.summary(), ensure_ascii=False))
    else:
        _print_ingest(result, written)
    raise typer.Exit(result.exit_code)


def _print_ingest(result, written: list[Path]) -> None:
    t = Table(title="导入结果 / ingest summary")
    for c in ("文件 file", "接受 accepted", "拒绝 rejected", "警告 warnings", "合计行 totals", "说明 note"):
        t.add_column(c, justify="right" if c[0] in "接拒警合" else "left")
    for f in result.batch.files.values():
        t.add_row(Path(f.file).name, str(f.accepted), str(f.rejected), str(f.warnings), str(f.totals_dropped),
                  f.error or "")
    console.print(t)
    if result.snapshot:
        console.print(f"[green]快照 snapshot {result.snapshot} ({result.snapshot_name})[/]: "
                      f"接受 {result.accepted} accepted, 拒绝 {result.rejected} rejected, "
                      f"警告 {result.warnings} warnings, 替换 {result.replaced} replaced, "
                      f"未变 {result.unchanged} unchanged")
    else:
        console.print(f"[red]{result.message_zh} / {result.message_en}[/]")
    errors = [i for i in result.batch.issues if i.severity == "error"][:10]
    if errors:
        t = Table(title="前10个错误 / first 10 errors")
        for c in ("文件", "行 row", "列 column", "值 value", "原因 reason"):
            t.add_column(c)
        for i in errors:
            t.add_row(Path(i.file).name + (f"[{i.sheet}]" if i.sheet else ""), str(i.row or ""), str(i.column or ""),
                      str(i.value if i.value is not None else ""), f"{i.reason_zh} / {i.reason_en}")
        console.print(t)
    for p in written:
        console.print(f"报告 report: {p}")


@snap_app.callback(invoke_without_command=True)
def snapshots_list(ctx: typer.Context, db: DbOpt = None,
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出快照 / list snapshots with row counts, sources and time."""
    if ctx.invoked_subcommand:
        return
    con = store_db.connect(db)
    rows = snaps.listing(con)
    con.close()
    if as_json:
        print(json.dumps(rows, default=str, ensure_ascii=False))
        return
    t = Table(title="快照 / snapshots")
    for c in ("id", "名称 name", "时间 time", "园区 zones", "企业年 ent-years", "园区指标 facts",
              "接受 acc", "拒绝 rej", "替换 repl", "来源 sources"):
        t.add_column(c)
    for r in rows:
        t.add_row(str(r["id"]), r["name"], f"{r['created_at']:%Y-%m-%d %H:%M:%S}", str(r["zones"]),
                  str(r["enterprise_years"]), str(r["zone_facts"]), str(r["accepted"]), str(r["rejected"]),
                  str(r["replaced"]), ", ".join(Path(s).name for s in json.loads(r["sources"])))
    out.print(t)


@snap_app.command("diff")
def snapshots_diff(a: str, b: str, db: DbOpt = None,
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """比较两个快照 / count added, changed and removed rows from A to B."""
    con = store_db.connect(db)
    try:
        ia, ib = snaps.resolve(con, a), snaps.resolve(con, b)
    except snaps.SnapshotNotFound as e:
        console.print(f"[red]{e}[/]")
        raise typer.Exit(2) from None
    d = snaps.diff(con, ia, ib)
    con.close()
    if as_json:
        print(json.dumps([x.__dict__ for x in d]))
        return
    t = Table(title=f"快照差异 / diff {ia} → {ib}")
    for c in ("表 table", "新增 added", "变更 changed", "删除 removed"):
        t.add_column(c)
    for x in d:
        t.add_row(x.table, str(x.added), str(x.changed), str(x.removed))
    out.print(t)


@app.command("demo-data")
def demo_data(
    zones: int = 169,
    enterprises: int = 50_000,
    years: Annotated[str, typer.Option(help="e.g. 2016-2025")] = "2016-2025",
    seed: int = 42,
    dirty: Annotated[float, typer.Option(help="缺陷比例 / fraction of defective rows")] = 0.0,
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")] = Path("demo-data"),
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    encoding: Annotated[str, typer.Option(help="utf-8 | gbk (csv only)")] = "utf-8",
) -> None:
    """生成合成演示数据 / write synthetic demo data (never real zone names)."""
    from gaoxin.demo.synthetic import generate

    y0, _, y1 = years.partition("-")
    t0 = time.perf_counter()
    with _progress() as prog:
        task = prog.add_task("生成 generating", total=None)
        files = generate(out_dir, zones=zones, enterprises=enterprises, years=(int(y0), int(y1 or y0)), seed=seed,
                         dirty=dirty, fmt=fmt, encoding=encoding,
                         progress=lambda d, t: prog.update(task, completed=d, total=t))
    console.print(f"写入 wrote {files.rows} 企业年 enterprise-year rows in {time.perf_counter() - t0:.1f}s:")
    for p in (files.zones, files.enterprises, files.zone_facts):
        console.print(f"  {p}")
    if files.defects:
        console.print("注入缺陷 injected defects: " + ", ".join(f"{k} {v}" for k, v in files.defects.items()))


@app.command()
def demo(
    db: DbOpt = None,
    out_dir: Annotated[Path, typer.Option("--out")] = Path("demo-out"),
    zones: int = 169,
    enterprises: int = 30_000,
    years: str = "2016-2025",
    dirty: float = 0.01,
    seed: int = 42,
) -> None:
    """演示：生成数据、导入、汇总 / demo: generate, ingest and summarise."""
    from gaoxin.demo.run import run_demo

    code = run_demo(out_dir=out_dir, db=db, zones=zones, enterprises=enterprises, years=years, dirty=dirty,
                    seed=seed, console=console, out=out)
    raise typer.Exit(code)


def _years(text: str) -> tuple[int, int]:
    a, _, b = text.partition("-")
    return int(a), int(b or a)


def _write(df, out: Path, con=None, action: str = "export") -> None:
    """Write a frame by extension (.xlsx, .parquet, .csv); audited when a store connection is given."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".xlsx":
        df.to_excel(out, index=False, engine="xlsxwriter")
    elif out.suffix == ".parquet":
        df.to_parquet(out, index=False)
    else:
        df.to_csv(out, index=False, encoding="utf-8-sig")
    if con is not None:
        from gaoxin.store import audit

        audit.record(con, action, str(out), rows=len(df))
    console.print(f"写入 wrote {out}")


def _write_sheets(sheets: dict, out: Path, con=None) -> None:
    """An .xlsx workbook, one sheet per frame, header row frozen; audited like _write."""
    out.parent.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name[:31], index=False)
            xw.sheets[name[:31]].freeze_panes(1, 0)
    if con is not None:
        from gaoxin.store import audit

        audit.record(con, "export", str(out), sheets=list(sheets))
    console.print(f"写入 wrote {out}")


def _print_frame(df, title: str, limit: int = 30) -> None:
    t = Table(title=title)
    for c in df.columns:
        t.add_column(str(c))
    for row in df.head(limit).itertuples(index=False):
        t.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    out.print(t)


@fw_app.callback(invoke_without_command=True)
def frameworks_list(ctx: typer.Context) -> None:
    """列出指标体系 / list built-in and user frameworks ($GAOXIN_FRAMEWORKS)."""
    if ctx.invoked_subcommand:
        return
    import pandas as pd

    from gaoxin.indicators.framework import list_frameworks

    df = pd.DataFrame(list_frameworks())[["id", "name_zh", "version", "origin", "indicators", "error"]]
    _print_frame(df.fillna(""), "指标体系 / frameworks")


@fw_app.command("show")
def frameworks_show(framework: str, sources: bool = False) -> None:
    """打印指标树 / print a framework's tree."""
    from gaoxin.indicators.framework import framework_tree_text, load_framework

    out.print(framework_tree_text(load_framework(framework), sources=sources), markup=False)


@app.command()
def indicators(
    framework: Annotated[str, typer.Option(help="e.g. national-2021 or a .toml file")],
    years: Annotated[str, typer.Option(help="e.g. 2019-2024")],
    snapshot: Annotated[str | None, typer.Option()] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help=".xlsx | .csv | .parquet")] = None,
    db: DbOpt = None,
) -> None:
    """计算指标（园区×年份×指标） / compute a framework's indicators from a snapshot."""
    from gaoxin.indicators.compute import compute_indicators

    con = store_db.connect(db)
    df = compute_indicators(con, framework, _years(years), snapshot)
    console.print(f"快照 snapshot {df.attrs['snapshot']}, {len(df)} 园区年 zone-years")
    if out_file and out_file.suffix == ".xlsx":  # the workbook records what it was computed from
        import pandas as pd

        meta = pd.DataFrame([{"framework": df.attrs["framework"], "version": df.attrs["version"],
                              "snapshot": df.attrs["snapshot"], "years": years, "sql": df.attrs["sql"]}])
        units = pd.DataFrame({"indicator": list(df.attrs["units"]), "unit": list(df.attrs["units"].values()),
                              "direction": [df.attrs["directions"][c] for c in df.attrs["units"]]})
        _write_sheets({"指标 indicators": df, "单位 units": units, "来源 provenance": meta}, out_file, con)
    elif out_file:
        _write(df, out_file, con)
    else:
        _print_frame(df, f"{framework} {years}")
    con.close()


@app.command("evaluate")
def evaluate_cmd(
    framework: Annotated[str, typer.Option()] = "national-2021",
    year: Annotated[int | None, typer.Option()] = None,
    snapshot: Annotated[str | None, typer.Option()] = None,
    config: Annotated[Path | None, typer.Option(help="pipeline.toml (docs/methods.md)")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="results .xlsx/.csv")] = None,
    rerun: Annotated[int | None, typer.Option(help="重算已存评价 / re-run stored evaluation ID")] = None,
    runs: Annotated[int, typer.Option(help="排名区间的蒙特卡洛次数（0=不计算） / Monte Carlo runs for rank "
                                           "intervals (0 = none)")] = 1000,
    seed: int = 42,
    db: DbOpt = None,
) -> None:
    """综合评价并保存 / evaluate zones, store scores, ranks, rank intervals and the run log."""
    from gaoxin.evaluation.evaluate import evaluate, rerun_evaluation
    from gaoxin.evaluation.pipeline import load_config

    con = store_db.connect(db)
    if rerun is not None:
        ev, diff = rerun_evaluation(con, rerun)
        ok = diff == 0.0
        console.print(f"{'[green]一致' if ok else '[red]不一致'} / {'identical' if ok else 'different'}[/]: "
                      f"evaluation {rerun} re-run from its log, max |Δscore| = {diff:g}")
        con.close()
        raise typer.Exit(0 if ok else 1)
    if year is None:
        year = con.execute(f"SELECT max(year) FROM enterprise_years_at({snaps.resolve(con, snapshot)})"
                           ).fetchall()[0][0]
    with console.status(f"计算指标并评价 computing indicators and evaluating {year} …"):
        ev = evaluate(con, framework, year, snapshot, load_config(config) if config else None)
        if runs:
            from gaoxin.evaluation.runs import run_uncertainty

            run_uncertainty(con, ev.id, runs, seed)
        table = ev.table(con)
    console.print(f"评价 evaluation {ev.id}: {framework} {year}, 快照 snapshot {ev.snapshot}, "
                  f"{len(table)} 园区 zones; config {ev.result.config_hash[:12]}"
                  + (f"; 无数据指标已剔除 dropped (no data): {', '.join(ev.dropped)}" if ev.dropped else ""))
    if out_file and out_file.suffix == ".xlsx":
        _write_sheets(ev.sheets(con), out_file, con)
    elif out_file:
        _write(table, out_file, con)
    cols = ["zone_id", "rank", *(["rank_p05", "rank_p95"] if runs else []), "score", "rank_in_region", "grade",
            "zone_type_zh", "rank_change"]
    _print_frame(table[cols].round(2), f"排名 ranking {framework} {year}", limit=20)
    con.close()


@app.command()
def evaluations(db: DbOpt = None) -> None:
    """列出已存评价 / list stored evaluations (ids for --rerun and uncertainty)."""
    from gaoxin.evaluation.evaluate import list_evaluations

    con = store_db.connect(db)
    df = list_evaluations(con)
    con.close()
    df["framework"] = df["framework"].map(lambda p: Path(p).stem)
    df["config_hash"] = df["config_hash"].str[:12]
    _print_frame(df, "已存评价 / stored evaluations", limit=200)


@app.command()
def uncertainty(
    evaluation: Annotated[int, typer.Option(help="evaluation id")],
    runs: int = 10_000,
    seed: int = 42,
    sensitivity: Annotated[bool, typer.Option(help="Sobol 敏感性分析 / Sobol indices, leave-one-pillar-out")] = False,
    db: DbOpt = None,
) -> None:
    """蒙特卡洛排名区间 / Monte Carlo rank intervals for a stored evaluation."""
    from gaoxin.evaluation.runs import run_sensitivity, run_uncertainty

    con = store_db.connect(db)
    t0 = time.perf_counter()
    res = run_uncertainty(con, evaluation, runs, seed)
    s = res.summary.sort_values("nominal_rank").reset_index(names="zone_id")
    console.print(f"{runs} 次模拟 replications in {time.perf_counter() - t0:.2f}s")
    _print_frame(s, f"排名区间 rank intervals (5–95%), evaluation {evaluation}", limit=20)
    if sensitivity:
        sens = run_sensitivity(con, evaluation, seed=seed)
        _print_frame(sens.indices.reset_index(names="input"), "Sobol 指数（平均排名变动） / Sobol indices of the "
                     f"mean absolute rank shift ({sens.n_runs} runs)")
        _print_frame(sens.leave_one_out.reset_index(names="pillar"),
                     "去掉一个一级指标后的排名变动 / leave one pillar out")
    con.close()


@app.command("manage")
def manage_cmd(
    framework: Annotated[str, typer.Option()] = "national-2021",
    years: Annotated[str, typer.Option(help="e.g. 2020-2024")] = "2020-2024",
    snapshot: Annotated[str | None, typer.Option()] = None,
    rules: Annotated[Path | None, typer.Option(help="dynamic-management.toml")] = None,
    out_file: Annotated[Path | None, typer.Option("--out")] = None,
    db: DbOpt = None,
) -> None:
    """动态管理：表扬、约谈、通报、退出建议 / dynamic-management lists."""
    from gaoxin.evaluation.manage import load_rules
    from gaoxin.evaluation.runs import dynamic_management

    con = store_db.connect(db)
    y0, y1 = _years(years)
    with console.status(f"逐年评价 evaluating {y0}–{y1} …"):
        lists, _panel = dynamic_management(con, framework, range(y0, y1 + 1), snapshot, load_rules(rules))
    if out_file:
        _write(lists.drop(columns="history"), out_file, con)
    con.close()
    shown = lists[lists["status"] != "normal"][["zone_id", "status_zh", "rank", "score", "reason_zh"]]
    _print_frame(shown, f"动态管理 dynamic management {years}", limit=40)


@app.command("monitor")
def monitor_cmd(
    year: Annotated[int, typer.Option()],
    targets: Annotated[Path | None, typer.Option(help="targets .toml (default: 十四五 national targets)")] = None,
    view: Annotated[str, typer.Option(help="annual | midterm (中期评估) | final (总结评估)")] = "annual",
    snapshot: Annotated[str | None, typer.Option()] = None,
    db: DbOpt = None,
) -> None:
    """规划监测：进度、状态、预测 / plan-target monitoring for a year."""
    from gaoxin.evaluation.monitor import final, load_targets, midterm, monitor
    from gaoxin.evaluation.runs import actuals

    con = store_db.connect(db)
    ts = load_targets(targets)
    acts = actuals(con, ts, year, snapshot)
    if view not in ("annual", "midterm", "final"):
        console.print(f"[red]--view: annual | midterm | final, not {view}[/]")
        raise typer.Exit(2)
    res = monitor(ts, acts, year) if view == "annual" else {"midterm": midterm, "final": final}[view](ts, acts)
    con.close()
    cols = ["label_zh", "scope_id", "baseline_value", "target_value", "actual", "progress", "expected_progress",
            "status_zh", "projected_value"]
    _print_frame(res[[c for c in cols if c in res.columns]], f"规划监测 plan monitoring {year} ({view})")


@index_app.command("build")
def index_build(
    data: Annotated[Path, typer.Option(help="iData.csv")],
    meta: Annotated[Path, typer.Option(help="iMeta.csv")],
    out_file: Annotated[Path, typer.Option("--out", help="results.csv")],
    config: Annotated[Path | None, typer.Option(help="pipeline.toml")] = None,
) -> None:
    """从 COINr 格式文件构建综合指数 / build an index from COINr iData/iMeta files."""
    from gaoxin.evaluation.coin import build_index

    table = build_index(data, meta, config, out=out_file)
    console.print(f"写入 wrote {out_file} ({len(table)} units) and its log {out_file.with_suffix('.log.json')}")
    _print_frame(table.round(2), "综合指数 index", limit=10)


def user_errors() -> tuple[type[Exception], ...]:
    """Errors caused by input or configuration: shown as one clear line, not a traceback."""
    from gaoxin.evaluation.classify import RuleError
    from gaoxin.evaluation.evaluate import EvaluationError
    from gaoxin.evaluation.pipeline import PipelineError
    from gaoxin.indicators.formula import FormulaError
    from gaoxin.indicators.framework import FrameworkError

    return (PipelineError, EvaluationError, FrameworkError, FormulaError, RuleError, snaps.SnapshotNotFound,
            FileNotFoundError)


def main() -> None:
    """Console entry point: user errors exit with code 2 and one clear line instead of a traceback."""
    try:
        app(prog_name="gaoxin")  # standalone: handles --help, usage errors and exit codes itself
    except SystemExit:  # the normal way out; must not pay for importing user_errors()' modules
        raise
    except user_errors() as e:
        console.print(f"[red]错误 error:[/] {e}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
