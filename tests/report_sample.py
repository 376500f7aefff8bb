"""A small hand-built ReportContent for the renderer tests (Excel, Word, the download route's mechanics).

Every value here is written by hand so a test can check a cell against a number it knows: three zones, one
ranking table with every column kind, a suppressed cell, a formula-like zone name, and one chart of each kind
the renderers draw natively.
"""

from __future__ import annotations

from gaoxin.services.report_model import Chart, Column, ReportContent, ReportMeta, Section, Series, Table

FORMULA_NAME = "=HYPERLINK(\"http://evil\",\"点我\")"  # a zone name a spreadsheet would run


def ranking_table() -> Table:
    return Table(
        id="ranking", title="综合排名（2024年）",
        columns=[
            Column(key="rank", label="排名", kind="rank"),
            Column(key="zone_id", label="园区代码"),
            Column(key="name", label="园区名称"),
            Column(key="score", label="综合得分", unit="分", kind="float", decimals=2),
            Column(key="interval", label="排名区间（5–95%）", kind="interval"),
            Column(key="firms", label="企业数", unit="家", kind="int"),
            Column(key="revenue", label="营业收入", unit="万元", kind="money", decimals=1),
            Column(key="rd", label="研发强度", unit="%", kind="percent", decimals=1),
        ],
        rows=[
            [1, "GX001", "示例高新区001", 87.25, "1–2", 1234, 56789.5, 12.5],
            [2, "GX002", FORMULA_NAME, 80.5, "1–3", 88, None, 3.0],
            [3, "GX003", "示例高新区003", 61.0, "2–3", 7, 4321.0, None],
        ],
        suppressed=[(1, 6)],
        notes=["“—”：依统计保密规则不予公布（企业数少于3家或单一企业占比过高）。"],
    )


def pillar_table() -> Table:
    return Table(
        id="pillars", title="一级指标得分",
        columns=[Column(key="name", label="园区名称"),
                 Column(key="p1", label="创新能力", unit="分", kind="float", decimals=1),
                 Column(key="p2", label="产业发展", unit="分", kind="float", decimals=1),
                 Column(key="p3", label="开放合作", unit="分", kind="float", decimals=1)],
        rows=[["示例高新区001", 90.0, 85.5, 70.25], ["示例高新区003", 55.0, 60.0, 65.0]],
    )


def content(lang: str = "zh") -> ReportContent:
    meta = ReportMeta(
        title="国家高新区年度监测报告（2024年）", subtitle="全国 · 公开版", scope="national", audience="public",
        lang=lang, year=2024, evaluation_id=7, snapshot_id=3, config_hash="c0ffee" * 4 + "beef",
        framework="national-2021",
        generated_by="gaoxin 0.1.0")
    rank_chart = Chart(id="ranking-bar", kind="bar", title="综合得分", unit="分", table="ranking",
                       categories=["示例高新区001", FORMULA_NAME, "示例高新区003"],
                       series=[Series(name="综合得分", values=[87.25, 80.5, 61.0])])
    interval = Chart(id="ranking-interval", kind="rank_interval", title="排名区间", unit="名", table="ranking",
                     categories=["GX001", "GX002", "GX003"],
                     series=[Series(name="排名", values=[1, 2, 3], low=[1, 1, 2], high=[2, 3, 3])])
    radar = Chart(id="zone:GX001-radar", kind="radar", title="示例高新区001 一级指标", unit="分", table="pillars",
                  categories=["创新能力", "产业发展", "开放合作"],
                  series=[Series(name="示例高新区001", values=[90.0, 85.5, 70.25])])
    trend = Chart(id="zone:GX001-trend", kind="line", title="得分走势", unit="分", table=None,
                  categories=["2022", "2023", "2024"], series=[Series(name="综合得分", values=[80.0, None, 87.25])])
    waterfall = Chart(id="zone:GX001-waterfall", kind="waterfall", title="排名变化分解", unit="分",
                      categories=["1.1 研发投入", "2.3 营业收入", "方法"],
                      series=[Series(name="贡献", values=[2.5, -1.0, 0.25])])
    return ReportContent(meta=meta, sections=[
        Section(id="cover", title="封面", paragraphs=["本报告由 gaoxin 依据一次已存评价生成。"]),
        Section(id="summary", title="年度概况", paragraphs=["2024年参评园区3家，平均得分76.25分。"]),
        Section(id="ranking", title="综合排名", paragraphs=["排名区间为蒙特卡洛模拟的5%–95%分位。"],
                tables=[ranking_table()], charts=[rank_chart, interval]),
        Section(id="zone:GX001", title="示例高新区001", level=2, paragraphs=["优势：创新能力；短板：开放合作。"],
                tables=[pillar_table()], charts=[radar, trend, waterfall]),
        Section(id="annex", title="附录：指标定义", tables=[Table(
            id="annex-indicators", title="指标定义与来源",
            columns=[Column(key="code", label="指标代码"), Column(key="def", label="定义"),
                     Column(key="src", label="来源")],
            rows=[["1.1", "R&D经费内部支出占营业收入比重", "《国家高新区评价指标体系》（2021）"],
                  ["2.3", "+营业收入增长率", "同上"]])]),
    ])
