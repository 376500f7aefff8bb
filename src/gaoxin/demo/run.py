"""``gaoxin demo``: the main job end to end on synthetic data and the embedded store.

For now: generate data (with a small share of defects so validation shows),
ingest it as one snapshot, write the rejection report, and summarise zones.
Later stages (evaluation, report, dashboard) extend this function.
"""

from __future__ import annotations

import time
from pathlib import Path

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
    return 0
