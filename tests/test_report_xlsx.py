"""The Excel report (issue #11): read back with openpyxl and as the package's XML, against hand-known values
of the hand-built content in tests/report_sample.py."""

from __future__ import annotations

import importlib.util
import zipfile

import pytest
from openpyxl import load_workbook

import report_sample
from gaoxin.report.xlsx import _unique, number_format, write_xlsx
from gaoxin.services.report_model import Column


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    content = report_sample.content()
    write_xlsx(content, path)
    return path, content, load_workbook(path)


def test_cover_sheet_carries_the_run_and_both_hashes(book):
    _, content, wb = book
    cover = wb.worksheets[0]
    assert cover.title == "封面"
    meta = {cover.cell(r, 1).value: cover.cell(r, 2).value for r in range(3, 15)}
    assert meta["评价编号（运行）"] == 7 and meta["数据快照"] == 3
    assert meta["配置哈希"] == "c0ffee" * 4 + "beef"
    assert meta["内容哈希"] == content.content_hash()
    assert meta["范围"] == "national" and meta["受众"] == "public" and meta["语言"] == "zh"
    listed = [cover.cell(r, 1).value for r in range(18, 21)]
    assert listed == [ws.title for ws in wb.worksheets[1:]]  # the contents list every table's sheet


def test_one_sheet_per_table_headers_with_units_frozen_and_filtered(book):
    _, _, wb = book
    assert [ws.title for ws in wb.worksheets] == [
        "封面", "综合排名（2024年）", "示例高新区001 一级指标得分", "指标定义与来源"]
    ws = wb["综合排名（2024年）"]
    assert ws["A1"].value == "综合排名（2024年）"
    assert [c.value for c in ws[2]] == [
        "排名", "园区代码", "园区名称", "综合得分（分）", "排名区间（5–95%）", "企业数（家）",
        "营业收入（万元）", "研发强度（%）"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:H5"


def test_numbers_are_numbers_with_the_format_of_their_column_kind(book):
    _, _, wb = book
    ws = wb["综合排名（2024年）"]
    first = {c.column_letter: (c.value, c.number_format, c.data_type) for c in ws[3]}
    assert first["A"] == (1, "0", "n")
    assert first["D"] == (87.25, "#,##0.00", "n")
    assert first["F"] == (1234, "#,##0", "n")
    assert first["G"] == (56789.5, "#,##0.0", "n")
    assert first["H"] == (12.5, '0.0"%"', "n")  # the percentage itself: no hidden ×100
    assert ws["E3"].value == "1–2" and ws["E3"].data_type == "s"  # an interval is text


def test_suppressed_and_missing_cells_read_dash_with_the_footnote_under_the_table(book):
    _, _, wb = book
    ws = wb["综合排名（2024年）"]
    assert ws["G4"].value == "—" and ws["G4"].data_type == "s"  # suppressed (row 1, column 6)
    assert ws["H5"].value == "—"  # missing
    assert ws["A7"].value.startswith("“—”：依统计保密规则不予公布")
    every = [c.value for s in wb.worksheets for row in s.iter_rows() for c in row if c.value is not None]
    assert not any(str(v).lower() in ("nan", "none", "inf") for v in every)


def test_formula_like_text_is_neutralised(book):
    path, _, wb = book
    ws = wb["综合排名（2024年）"]
    assert ws["C4"].value == "'" + report_sample.FORMULA_NAME and ws["C4"].data_type == "s"
    assert wb["指标定义与来源"]["B4"].value == "'+营业收入增长率"
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s for s in sheets)  # no formula cell anywhere


def test_native_charts_drawn_from_the_table_cells(book):
    path, _, _ = book
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = {n: z.read(n).decode() for n in charts}
    # bar and rank interval from the ranking table, the radar from the pillar table; the two charts without a
    # table (trend, waterfall) are drawn in Word and PDF only
    assert len(charts) == 3
    kinds = sorted(k for x in xml.values() for k in ("c:barChart", "c:lineChart", "c:radarChart") if f"<{k}>" in x)
    assert kinds == ["c:barChart", "c:lineChart", "c:radarChart"]
    refs = " ".join(xml.values())
    assert "'综合排名（2024年）'!$C$3:$C$5" in refs and "'综合排名（2024年）'!$D$3:$D$5" in refs  # names, scores
    assert "'示例高新区001 一级指标得分'!$B$3:$D$3" in refs  # the radar: one zone's row of pillar scores
    assert "c:errBars" in xml[charts[1]]  # the 5–95 % interval as error bars


def test_widths_fit_cjk_text_counted_double(book):
    _, _, wb = book
    ws = wb["综合排名（2024年）"]
    # column C's widest text: the neutralised name, 31 narrow + 2 wide characters = 33, plus 2 of margin
    assert 35 <= ws.column_dimensions["C"].width < 36
    # column E: "排名区间（5–95%）" = 6 wide + 5 narrow = 17, plus 2
    assert 19 <= ws.column_dimensions["E"].width < 20


def test_properties_and_determinism(book, tmp_path):
    path, content, wb = book
    assert wb.properties.title == content.meta.title
    assert str(wb.properties.created).startswith("2024-12-31")
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["content_hash"] == content.content_hash() and props["evaluation_id"] == 7
    again = tmp_path / "again.xlsx"
    write_xlsx(report_sample.content(), again)
    assert again.read_bytes() == path.read_bytes()


def test_english_report_has_english_cover():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "en.xlsx"
        write_xlsx(report_sample.content("en"), p)
        wb = load_workbook(p)
        assert wb.worksheets[0].title == "Cover"
        assert wb.worksheets[0]["A5"].value == "Year"


def test_sheet_names_legal_unique_and_short():
    assert _unique("a/b:c[d]*?\\", set()) == "a_b_c_d____"
    assert _unique("'quoted'", set()) == "quoted"
    assert _unique("History", set()) == "History_"
    taken: set[str] = set()
    names = []
    for _ in range(12):
        n = _unique("示例高新区示例高新区示例高新区示例高新区示例高新区 一级指标得分", taken)  # 32 characters
        taken.add(n.lower())
        names.append(n)
    assert len(set(names)) == 12 and all(len(n) <= 31 for n in names)
    assert names[0] == "示例高新区示例高新区示例高新区示例高新区示例高新区 一级指标得"
    assert names[1].endswith(" (2)") and names[11].endswith(" (12)")


@pytest.mark.parametrize(("kind", "decimals", "code"), [
    ("int", 2, "#,##0"), ("rank", 2, "0"), ("float", 3, "#,##0.000"), ("money", 0, "#,##0"),
    ("percent", 1, '0.0"%"'), ("percent", 0, '0"%"')])
def test_number_formats(kind, decimals, code):
    assert number_format(Column(key="x", label="x", kind=kind, decimals=decimals)) == code


def _cells_equal_content(wb, content) -> int:
    """Every cell of every table against the content: numbers equal (to Excel's precision), text equal (after
    the apostrophe of neutralisation), missing and suppressed "—".  Returns the number of cells compared."""
    seen, tables = set(), []
    for t in content.tables():
        if t.id not in seen:
            seen.add(t.id)
            tables.append(t)
    assert len(wb.worksheets) == 1 + len(tables)
    compared = 0
    for ws, t in zip(wb.worksheets[1:], tables, strict=True):
        hidden = set(map(tuple, t.suppressed))
        for i, row in enumerate(t.rows):
            for j, value in enumerate(row):
                got = ws.cell(3 + i, 1 + j).value
                if value is None or (i, j) in hidden:
                    assert got == "—", (ws.title, i, j, got)
                elif isinstance(value, str):
                    assert got in (value, "'" + value), (ws.title, i, j, got, value)
                else:  # XlsxWriter writes 16 significant digits (Excel keeps 15): equal to 1e-14
                    assert got == pytest.approx(value, rel=1e-14, abs=0), (ws.title, i, j, got, value)
                compared += 1
    return compared


def test_every_cell_equals_the_content(book):
    _, content, wb = book
    assert _cells_equal_content(wb, content) == 24 + 8 + 6


@pytest.mark.skipif(importlib.util.find_spec("gaoxin.services.report") is None,
                    reason="services.report.build_report is not in this tree yet")
def test_the_demo_national_workbook_equals_its_content_cell_by_cell(demo_db, tmp_path):
    from gaoxin.services import Store, overview
    from gaoxin.services.report import build_report

    with Store(demo_db, "read") as s:
        content = build_report(s, overview.latest_evaluation(s), "national", "admin", "zh")
    path = tmp_path / "national.xlsx"
    write_xlsx(content, path)
    wb = load_workbook(path)
    assert _cells_equal_content(wb, content) > 500
    ranking = next(t for t in content.tables() if t.id == "ranking")
    assert len(ranking.rows) == 12  # every zone of the demo store
