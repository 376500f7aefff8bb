"""``gaoxin demo``: the main job end to end on synthetic data and the embedded store.

For now: generate data (with a small share of defects so validation shows),
ingest it as one snapshot, write the rejection report, and summarise zones.
Later stages (evaluation, report, dashboard) extend this function.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from gaoxin.ingest.contract import region_labels
from gaoxin.ingest.rejections import write_report
from gaoxin.store import db as store_db
from gaoxin.store.load import ingest

TOP_N = 20


def zone_summary(con, snapshot: int, year: int | None = None):
    """Per-zone totals for one year (default: the latest year in the snapshot)."""
    if year is None:
        year = con.execute(f"SELECT max(year) FROM enterprise_years_at({snapshot})").fetchall()[0][0]
    return year, con.execute(
        f"""SELECT z.zone_id, z.name, z.region, count(e.credit_code) AS enterprises,
                   sum(e.revenue) / 1e5 AS revenue_100m_yuan,
                   sum(e.rd_expense) / nullif(sum(e.revenue), 0) AS rd_intensity
            FROM zones_at({snapshot}) z
            LEFT JOIN enterprise_years_at({snapshot}) e ON e.zone_id = z.zone_id AND e.year = {year}
            GROUP BY ALL ORDER BY revenue_100m_yuan DESC NULLS LAST"""
    ).df()


def run_demo(
    *,
    out_dir: Path,
    db: Path | None,
    zones: int,
    enterprises: int,
    years: str,
    dirty: float,
    seed: int,
    console: Console,
    out: Console,
) -> int:
    from gaoxin.demo.synthetic import generate

    out_dir.mkdir(parents=True, exist_ok=True)
    db_file = Path(db) if db else out_dir / "gaoxin.duckdb"
    if not db:  # the demo owns its database: start clean so re-runs give the same result
        for p in (db_file, db_file.with_name(db_file.name + ".wal")):
            p.unlink(missing_ok=True)
    y0, _, y1 = years.partition("-")
    t0 = time.perf_counter()
    with console.status("生成合成数据 / generating synthetic data…"):
        files = generate(
            out_dir / "data",
            zones=zones,
            enterprises=enterprises,
            years=(int(y0), int(y1 or y0)),
            seed=seed,
            dirty=dirty,
        )
    console.print(
        f"[bold]1. 合成数据 synthetic data[/]: {files.rows:,} 企业年 rows "
        f"({time.perf_counter() - t0:.1f}s) → {files.enterprises.parent}"
    )
    t0 = time.perf_counter()
    with console.status("导入并校验 / ingesting and validating…"):
        result = ingest(
            [files.zones, files.enterprises, files.zone_facts], db_file, snapshot_name="demo"
        )
    report = write_report(result.batch, out_dir / "rejections.xlsx")
    console.print(
        f"[bold]2. 导入 ingest[/]: 快照 snapshot {result.snapshot}, 接受 {result.accepted:,} accepted, "
        f"拒绝 {result.rejected:,} rejected, 警告 {result.warnings:,} warnings "
        f"({time.perf_counter() - t0:.1f}s)"
    )
    console.print(f"   问题报告 rejection report: {report[0]}")
    if result.snapshot is None:
        console.print(f"[red]{result.message_zh} / {result.message_en}[/]")
        return 1
    con = store_db.connect(db_file)
    year, df = zone_summary(con, result.snapshot)
    con.close()
    summary_csv = out_dir / "zone-summary.csv"
    df.to_csv(summary_csv, index=False, encoding="utf-8-sig")
    labels = region_labels()
    t = Table(title=f"3. 园区概况 zone summary {year}（前{TOP_N}名 / top {TOP_N} by revenue）")
    for c in (
        "园区 zone",
        "地区 region",
        "企业数 enterprises",
        "营业收入(亿元) revenue",
        "研发强度 R&D intensity",
    ):
        t.add_column(c, justify="left" if c[0] in "园地" else "right")
    for r in df.head(TOP_N).itertuples():
        t.add_row(
            str(r.name),
            labels.get(r.region, r.region),
            f"{r.enterprises:,}",
            f"{r.revenue_100m_yuan:,.1f}",
            f"{r.rd_intensity:.2%}",
        )
    out.print(t)
    by_region = df.groupby("region", sort=False).agg(
        zones=("zone_id", "count"),
        enterprises=("enterprises", "sum"),
        revenue=("revenue_100m_yuan", "sum"),
    )
    t = Table(title="按地区 by region")
    for c in ("地区 region", "园区 zones", "企业 enterprises", "营业收入(亿元) revenue"):
        t.add_column(c)
    for reg, r in by_region.iterrows():
        t.add_row(
            labels.get(reg, str(reg)), f"{r.zones:.0f}", f"{r.enterprises:,.0f}", f"{r.revenue:,.1f}"
        )
    out.print(t)
    console.print(f"全部园区 all zones: {summary_csv}  数据库 database: {db_file}")
    evaluate_demo(db_file, int(y0), int(y1 or y0), out_dir, console, out)
    return 0


def evaluate_demo(db_file: Path, first_year: int, year: int, out_dir: Path, console: Console, out: Console,
                  framework: str = "national-2021", runs: int = 2000) -> None:
    """Steps 4–7: built-in frameworks, evaluation, rank intervals, dynamic management, plan monitoring."""
    since = max(first_year, year - 4)
    from gaoxin.evaluation.evaluate import evaluate
    from gaoxin.evaluation.monitor import load_targets, monitor
    from gaoxin.evaluation.runs import actuals, dynamic_management, run_uncertainty
    from gaoxin.indicators.compute import compute_indicators
    from gaoxin.indicators.framework import list_frameworks

    con = store_db.connect(db_file)
    t0 = time.perf_counter()
    for fw in list_frameworks():
        df = compute_indicators(con, fw["path"], (since, year))
        df.to_csv(out_dir / f"indicators-{fw['id']}.csv", index=False, encoding="utf-8-sig")
    console.print(f"[bold]4. 指标 indicators[/]: {len(list_frameworks())} 套指标体系 frameworks, {since}–{year} "
                  f"({time.perf_counter() - t0:.1f}s) → {out_dir}/indicators-*.csv")
    ev = evaluate(con, framework, year)
    run_uncertainty(con, ev.id, runs=runs, seed=42)
    table = ev.table(con).set_index("zone_id")
    table.reset_index().to_csv(out_dir / f"evaluation-{year}.csv", index=False, encoding="utf-8-sig")
    console.print(f"[bold]5. 综合评价 evaluation[/] {ev.id}: {framework} {year}; 蒙特卡洛 {runs} 次 replications")
    t = Table(title=f"前10名与后5名（排名区间5–95%） / top 10 and bottom 5 with rank intervals, {year}")
    for c in ("排名 rank", "园区 zone", "地区 region", "得分 score", "区间 interval", "中位 median"):
        t.add_column(c)
    labels = region_labels()
    names = con.execute("SELECT zone_id, name FROM zones_at(?)", [ev.snapshot]).df().set_index("zone_id")["name"]
    shown = table.sort_values("rank")
    for zid, r in pd.concat([shown.head(10), shown.tail(5)]).iterrows():
        t.add_row(str(r["rank"]), str(names.get(zid, zid)), labels.get(r["region"], r["region"]), f"{r['score']:.1f}",
                  f"{r['rank_p05']:.0f}–{r['rank_p95']:.0f}", f"{r['median_rank']:.0f}")
    out.print(t)
    lists, _ = dynamic_management(con, framework, range(since, year + 1))
    warned = lists[lists["status"].isin(["warning_interview", "warning_notice", "exit_recommended"])]
    t = Table(title=f"6. 动态管理 dynamic management {since}–{year}: 预警与退出 warnings and exits")
    for c in ("园区 zone", "状态 status", "依据 reason"):
        t.add_column(c)
    for r in warned.itertuples():
        t.add_row(str(names.get(r.zone_id, r.zone_id)), r.status_zh, r.reason_zh.split("。依据")[0])
    out.print(t)
    praised = lists[lists["status"] == "praise"]["zone_id"].map(lambda z: names.get(z, z))
    console.print(f"   表扬 praise: {', '.join(praised)}")
    t = Table(title=f"7. 规划监测 plan monitoring {year}")
    for c in ("目标 target", "基期 baseline", "目标值 target", "实际 actual", "进度 progress", "应达 expected",
              "状态 status"):
        t.add_column(c)
    for packaged in ("fyp14-national", "example-zone"):
        ts = load_targets(packaged=packaged)
        for r in monitor(ts, actuals(con, ts, year), year).itertuples():
            t.add_row(str(r.label_zh), f"{r.baseline_value:g}", f"{r.target_value:g}", f"{r.actual:.4g}",
                      f"{r.progress:.0%}", f"{r.expected_progress:.0%}", str(r.status_zh))
    out.print(t)
    con.close()
