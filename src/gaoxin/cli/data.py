"""Data commands: ingest, snapshots, migrate, demo-data, config check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, JsonOpt, OutOpt, app, open_store, years
from gaoxin.cli.render import console

snap_app = typer.Typer(help="快照 / snapshots: list and compare stored data versions")
app.add_typer(snap_app, name="snapshots")
config_app = typer.Typer(help="配置文件 / configuration files", no_args_is_help=True)
app.add_typer(config_app, name="config")


def progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=console, transient=True)


def export(df, path: Path, db: Path | None, **detail) -> None:
    """Write ``df`` to ``path`` after the read store is closed; the export is audited."""
    from gaoxin.services.export import write_frame

    write_frame(df, path, _db(db), **detail)
    console.print(f"写入 wrote {path}")


def export_sheets(sheets: dict, path: Path, db: Path | None) -> None:
    from gaoxin.services.export import write_sheets

    write_sheets(sheets, path, _db(db))
    console.print(f"写入 wrote {path}")


def export_frames(frames: dict, path: Path, db: Path | None) -> None:
    """A result of several tables: every table as a sheet of an .xlsx, else the first one alone."""
    if path.suffix.lower() == ".xlsx":
        export_sheets(frames, path, db)
    else:
        export(next(iter(frames.values())), path, db)


def _db(db: Path | None) -> Path:
    from gaoxin.services import db_path

    return db_path(db)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV / XLSX files, one batch")],
    db: DbOpt = None,
    snapshot: Annotated[str | None, typer.Option(help="快照名称 / snapshot name")] = None,
    strict: Annotated[bool, typer.Option(help="有被拒行则整批不写入 / refuse the batch on any rejection")] = False,
    report: Annotated[Path | None, typer.Option(help="问题报告 / rejection report (.csv or .xlsx)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """导入企业与园区数据为新快照 / ingest files as a new snapshot."""
    from gaoxin.services.ingest import ingest_files

    big = sum(f.stat().st_size for f in files if f.exists()) > 5_000_000
    with progress() as prog, open_store(db, "write") as store:
        tasks: dict[str, int] = {}

        def on_bytes(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = prog.add_task(f"读取 {Path(name).name}", total=total)
            prog.update(tasks[name], completed=done)

        status = prog.add_task("", total=None, visible=big)

        def on_stage(s: str) -> None:
            labels = {"read": "读取 reading", "validate": "校验 validating", "write": "写入 writing"}
            prog.update(status, description=labels.get(s, s))

        outcome = ingest_files(store, files, snapshot_name=snapshot, strict=strict, report=report,
                               progress=on_bytes if big else None, stage_hook=on_stage)
    if as_json:
        render.print_json(outcome)
    else:
        _print_ingest(outcome)
    raise typer.Exit(outcome.result.exit_code)


def _print_ingest(outcome) -> None:
    result = outcome.result
    rows = [(Path(f.file).name, f.accepted, f.rejected, f.warnings, f.totals_dropped, f.error)
            for f in result.batch.files.values()]
    render.show(render.table("导入结果 / ingest summary", ["文件 file", "接受 accepted", "拒绝 rejected",
                                                          "警告 warnings", "合计行 totals", "说明 note"], rows,
                               right=["接受 accepted", "拒绝 rejected", "警告 warnings", "合计行 totals"]), console)
    if result.snapshot:
        console.print(f"[green]快照 snapshot {result.snapshot} ({result.snapshot_name})[/]: "
                      f"接受 {result.accepted} accepted, 拒绝 {result.rejected} rejected, "
                      f"警告 {result.warnings} warnings, 替换 {result.replaced} replaced, "
                      f"未变 {result.unchanged} unchanged")
    else:
        console.print(f"[red]{result.message_zh} / {result.message_en}[/]")
    errors = [i for i in result.batch.issues if i.severity == "error"][:10]
    if errors:
        rows = [(Path(i.file).name + (f"[{i.sheet}]" if i.sheet else ""), i.row, i.column, i.value,
                 f"{i.reason_zh} / {i.reason_en}") for i in errors]
        render.show(render.table("前10个错误 / first 10 errors", ["文件 file", "行 row", "列 column", "值 value",
                                                                 "原因 reason"], rows), console)
    for p in outcome.report_files:
        console.print(f"报告 report: {p}")
    if outcome.report_error:
        console.print(f"[yellow]{outcome.report_error}[/]", soft_wrap=True)


@snap_app.callback(invoke_without_command=True)
def snapshots_list(ctx: typer.Context, db: DbOpt = None, as_json: JsonOpt = False, out_file: OutOpt = None) -> None:
    """列出快照 / list snapshots with row counts, sources and time."""
    if ctx.invoked_subcommand:
        return
    from gaoxin.services.snapshots import list_snapshots

    with open_store(db) as store:
        snaps = list_snapshots(store)
    if as_json:
        render.print_json([s.to_dict() for s in snaps])
        return
    if out_file:
        import pandas as pd

        export(pd.DataFrame([s.to_dict() for s in snaps]), out_file, db)
        return
    headers = ["id", "名称 name", "时间 time", "园区 zones", "企业年 ent-years", "园区指标 facts", "拒绝 rej",
               "来源 sources"]
    rows = [(s.id, s.name, f"{s.created_at:%m-%d %H:%M}", s.zones, s.enterprise_years, s.zone_facts, s.rejected,
             ", ".join(s.sources)) for s in snaps]
    render.show(render.table("快照 / snapshots（完整信息 --json） / full detail with --json", headers, rows,
                             right=headers[3:7]))


@snap_app.command("diff")
def snapshots_diff(a: str, b: str, db: DbOpt = None, as_json: JsonOpt = False, out_file: OutOpt = None) -> None:
    """比较两个快照 / count added, changed and removed rows from A to B."""
    from gaoxin.services.snapshots import diff_snapshots

    with open_store(db) as store:
        d = diff_snapshots(store, a, b)
    if as_json:
        render.print_json(d)
        return
    headers = ["表 table", "新增 added", "变更 changed", "删除 removed"]
    rows = [(t.table, t.added, t.changed, t.removed) for t in d.tables]
    if out_file:
        import pandas as pd

        export(pd.DataFrame(rows, columns=headers), out_file, db)
        return
    render.show(render.table(f"快照差异 / diff {d.a} → {d.b}", headers, rows, right=headers[1:]))


@app.command()
def migrate(db: DbOpt = None) -> None:
    """升级数据库结构 / upgrade the store's schema to this gaoxin's version."""
    from gaoxin.services import schema

    with open_store(db, "write") as store:
        v, latest = schema(store)
    console.print(f"数据库结构版本 schema version {v} (latest {latest}): {store.path}")


@app.command("demo-data")
def demo_data(
    zones: int = 169,
    enterprises: int = 50_000,
    years_: Annotated[str, typer.Option("--years", help="e.g. 2016-2025")] = "2016-2025",
    seed: int = 42,
    dirty: Annotated[float, typer.Option(help="缺陷比例 / fraction of defective rows")] = 0.0,
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")] = Path("demo-data"),
    fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    encoding: Annotated[str, typer.Option(help="utf-8 | gbk (csv only)")] = "utf-8",
) -> None:
    """生成合成演示数据 / write synthetic demo data (never real zone names)."""
    from gaoxin.services.demo import generate_data as generate

    t0 = time.perf_counter()
    with progress() as prog:
        task = prog.add_task("生成 generating", total=None)
        files = generate(out_dir, zones=zones, enterprises=enterprises, years=years(years_), seed=seed,
                         dirty=dirty, fmt=fmt, encoding=encoding,
                         progress=lambda d, t: prog.update(task, completed=d, total=t))
    console.print(f"写入 wrote {files.rows} 企业年 enterprise-year rows in {time.perf_counter() - t0:.1f}s:")
    for p in (files.zones, files.enterprises, files.zone_facts):
        console.print(f"  {p}")
    if files.defects:
        console.print("注入缺陷 injected defects: " + ", ".join(f"{k} {v}" for k, v in files.defects.items()))


@config_app.command("check")
def config_check(
    file: Annotated[Path, typer.Argument(help="TOML 配置文件 / configuration file")],
    kind: Annotated[str | None, typer.Option(help="pipeline | framework | grades | zone-types | "
                                                  "dynamic-management | targets | ingest-rules | "
                                                  "demo-calibration")] = None,
    as_json: JsonOpt = False,
) -> None:
    """校验配置文件（不运行） / validate a configuration file without running anything."""
    from gaoxin.services.configs import check_config

    res = check_config(file, kind)
    if as_json:
        render.print_json(res)
    elif res.ok:
        summary = ", ".join(f"{k} {v}" for k, v in res.summary.items())
        console.print(f"[green]有效 valid[/] {res.kind}: {file}" + (f" — {summary}" if summary else ""))
    else:
        console.print(f"[red]无效 invalid[/] {res.kind or '?'}: {file}")
        for p in res.problems:
            console.print(f"  - {p}", markup=False, highlight=False)
    raise typer.Exit(0 if res.ok else 1)
