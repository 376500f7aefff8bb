"""Tests of the file-reading layer: encodings, header detection, Excel layouts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaoxin.ingest.contract import match_header
from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.readers import RawTable, detect_encoding, read_file

ENT_HEADER = "统一社会信用代码,企业名称,园区代码,年份,营业收入,年末从业人员"


def data_rows(t: RawTable) -> list[list[str]]:
    """The data rows of a CSV RawTable, as the lead will load them."""
    assert t.csv_path is not None
    text = "".join(p.read_text("utf-8-sig") for p in [t.csv_path, *t.csv_parts])
    lines = text.split("\n")[t.csv_skip :]
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=t.csv_delimiter))


def canon(t: RawTable) -> dict[str, tuple[int, float]]:
    """canonical column -> (column index, unit factor) for the table's headers."""
    out = {}
    for i, h in enumerate(t.headers):
        m = match_header(t.table, h)
        if m.column:
            assert m.error is None, (h, m.error)
            out[m.column] = (i, m.factor)
    return out


# ------------------------------------------------------------------ encodings


def test_short_gbk_is_gb18030_not_korean(tmp_path: Path) -> None:
    p = tmp_path / "short.csv"
    p.write_bytes("企业名称,营业收入\n比亚迪,100\n".encode("gbk"))
    assert detect_encoding(p) == "gb18030"
    [t] = read_file(p, tmp_path / "work")
    assert t.encoding == "gb18030"
    assert t.table == "enterprises"
    assert t.headers == ["企业名称", "营业收入"]
    assert t.first_data_row == 2
    assert t.csv_path is not None and t.csv_path.parent == tmp_path / "work"
    assert t.csv_skip == 0
    assert data_rows(t) == [["比亚迪", "100"]]


def test_long_gb18030_with_title_unit_line_and_rare_chars(tmp_path: Path) -> None:
    names = ["比亚迪股份有限公司", "𠀀科技有限公司", "䶮光电有限公司", "华为技术有限公司"]
    lines = ["2024年高新区企业统计表,,,,,", "单位：万元,,,,,", ENT_HEADER]
    for i in range(10_000):
        lines.append(f"91440300{i:010d},{names[i % 4]}{i},Z{i % 7:03d},2024,{i * 1.5},{i % 300}")
    p = tmp_path / "long.csv"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    calls: list[tuple[int, int]] = []
    [t] = read_file(p, tmp_path / "work", progress=lambda d, n: calls.append((d, n)))
    assert t.encoding == "gb18030"
    assert t.table == "enterprises"
    assert t.first_data_row == 4
    # the unit line applies to money columns without their own unit only
    assert t.headers[4] == "营业收入（万元）"
    assert t.headers[5] == "年末从业人员"
    c = canon(t)
    assert c["revenue"] == (4, 10.0)
    assert c["employees"] == (5, 1.0)
    rows = data_rows(t)
    assert len(rows) == 10_000
    assert rows[0] == ["914403000000000000", "比亚迪股份有限公司0", "Z000", "2024", "0.0", "0"]
    assert rows[1][1] == "𠀀科技有限公司1"
    assert rows[2][1] == "䶮光电有限公司2"
    # data row i is the user's line first_data_row + i
    assert lines[t.first_data_row + 9_999 - 1].split(",")[0] == rows[9_999][0]
    assert calls and calls[-1] == (p.stat().st_size, p.stat().st_size)


def test_utf8_zero_copy_with_duckdb(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_text(
        "2024年企业统计\n" + ENT_HEADER + "\n91110000000000001X,百度,Z001,2024,12.5,30\n"
        "91110000000000002X,京东,Z001,2024,7,20\n",
        "utf-8",
    )
    [t] = read_file(p, tmp_path / "work")
    assert t.encoding == "utf-8"
    assert t.csv_path == p.resolve()  # no copy
    assert t.csv_skip == 2 and t.first_data_row == 3
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())
    got = duckdb.sql(
        f"select * from read_csv('{t.csv_path}', all_varchar=true, header=false, "
        f"skip={t.csv_skip}, delim='{t.csv_delimiter}')"
    ).fetchall()
    assert got == [
        ("91110000000000001X", "百度", "Z001", "2024", "12.5", "30"),
        ("91110000000000002X", "京东", "Z001", "2024", "7", "20"),
    ]


def test_utf8_bom(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (ENT_HEADER + "\n1,甲,Z1,2024,1,1\n").encode())
    assert detect_encoding(p) == "utf-8-sig"
    [t] = read_file(p, tmp_path)
    assert t.encoding == "utf-8-sig"
    assert t.headers[0] == "统一社会信用代码"  # BOM not part of the header
    assert (t.csv_skip, t.first_data_row) == (1, 2)
    assert data_rows(t) == [["1", "甲", "Z1", "2024", "1", "1"]]


def test_utf16_bom(tmp_path: Path) -> None:
    p = tmp_path / "u16.csv"
    p.write_bytes((ENT_HEADER + "\r\n1,甲,Z1,2024,1,1\r\n").encode("utf-16"))
    [t] = read_file(p, tmp_path / "work")
    assert t.encoding == "utf-16"
    assert t.table == "enterprises"
    assert data_rows(t) == [["1", "甲", "Z1", "2024", "1", "1"]]


def test_ascii_head_then_gbk_further_down(tmp_path: Path) -> None:
    head = "credit_code,name,zone_id,year,revenue,employees\n"
    body = "".join(f"9144{i:014d},ACME {i},Z1,2024,{i},1\n" for i in range(40_000))  # > 1 MB
    tail = "914400000000000099,深圳某某科技,Z1,2024,5,2\n"
    p = tmp_path / "mixed.csv"
    p.write_bytes((head + body + tail).encode("gbk"))
    assert len(body) > (1 << 20)
    assert detect_encoding(p) == "gb18030"
    [t] = read_file(p, tmp_path / "work")
    assert t.encoding == "gb18030"
    rows = data_rows(t)
    assert len(rows) == 40_001 and rows[-1][1] == "深圳某某科技"


def test_damaged_utf8_reports_line(tmp_path: Path) -> None:
    good = "".join(f"9111{i:014d},北京某某科技有限公司{i},Z1,2024,1,1\n" for i in range(10))
    p = tmp_path / "bad.csv"
    p.write_bytes((ENT_HEADER + "\n" + good).encode() + "广州,Z1\n".encode("gbk"))
    with pytest.raises(ReadError) as e:
        read_file(p, tmp_path)
    assert e.value.row == 12
    assert "UTF-8" in e.value.en and "UTF-8" in e.value.zh


# ------------------------------------------------------------------ CSV layout


def test_tab_delimited(tmp_path: Path) -> None:
    p = tmp_path / "tab.txt"
    p.write_text(ENT_HEADER.replace(",", "\t") + "\n1\t甲,乙\tZ1\t2024\t1,234\t5\n", "utf-8")
    [t] = read_file(p, tmp_path)
    assert t.csv_delimiter == "\t"
    assert len(t.headers) == 6
    assert data_rows(t) == [["1", "甲,乙", "Z1", "2024", "1,234", "5"]]


def test_semicolon_and_own_units(tmp_path: Path) -> None:
    p = tmp_path / "semi.csv"
    p.write_text(
        "单位：万元\n企业名称;营业收入;净利润（元）;研发经费内部支出(千元)\n甲;1;2;3\n", "utf-8"
    )
    [t] = read_file(p, tmp_path)
    assert t.csv_delimiter == ";"
    assert t.headers == ["企业名称", "营业收入（万元）", "净利润（元）", "研发经费内部支出(千元)"]
    c = canon(t)
    assert c["revenue"][1] == 10.0
    assert c["net_profit"][1] == 0.001
    assert c["rd_expense"][1] == 1.0


def test_blank_lines_inside_data_keep_row_numbers(tmp_path: Path) -> None:
    p = tmp_path / "blank.csv"
    p.write_text(ENT_HEADER + "\n1,甲,Z1,2024,1,1\n\n3,丙,Z1,2024,3,3\n\n", "utf-8")
    [t] = read_file(p, tmp_path / "work")
    assert t.csv_path != p.resolve() and t.csv_skip == 0  # copied
    got = duckdb.sql(
        f"select * from read_csv('{t.csv_path}', all_varchar=true, header=false, delim=',')"
    ).fetchall()
    # row index i <-> user line first_data_row + i: line 4 holds 丙
    assert got[0][1] == "甲" and got[1] == (None,) * 6 and got[2][1] == "丙"
    assert t.first_data_row + 2 == 4


def test_trailing_blank_lines_need_no_copy(tmp_path: Path) -> None:
    p = tmp_path / "trail.csv"
    p.write_text(ENT_HEADER + "\n1,甲,Z1,2024,1,1\n\n\n", "utf-8")
    [t] = read_file(p, tmp_path / "work")
    assert t.csv_path == p.resolve()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize(
    "body",
    [
        "1,甲,Z1,2024,1,1\n\n3,丙,Z1,2024,3,3\n",
        "\n2,乙,Z1,2024,2,2\n\n\n5,戊,Z1,2024,5,5",
        "1,甲,Z1,2024,1,1\r\n\r\n3,丙,Z1,2024,3,3\r\n\r\n",
        "1,甲,Z1,2024,1,1\n2,乙,Z1,2024,2,2\n\n\n",
        "1,甲,Z1,2024,1,1\r\n2,乙,Z1,2024,2,2",
    ],
)
def test_row_numbers_survive_blank_lines_and_chunk_borders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, encoding: str, body: str
) -> None:
    """Line i of csv_path (after csv_skip) is the user's line first_data_row + i, and
    csv_path has no blank line before content (DuckDB would skip it)."""
    import gaoxin.ingest.encoding as enc_mod

    monkeypatch.setattr(enc_mod, "CHUNK", chunk)
    text = "企业统计表\r\n" + ENT_HEADER + "\r\n" + body
    p = tmp_path / "b.csv"
    p.write_bytes(text.encode(encoding))
    [t] = read_file(p, tmp_path / "work")
    assert t.first_data_row == 3
    src = text.split("\n")[2:]
    assert t.csv_path is not None
    out = t.csv_path.read_bytes().decode("utf-8").split("\n")[t.csv_skip :]
    if text.endswith("\n"):  # the '' after the last newline is not a line
        assert out[-1] == src[-1] == ""
        src, out = src[:-1], out[:-1]
    assert len(out) == len(src)
    blank = [s in ("", "\r") for s in src]
    last_content = max(i for i, b in enumerate(blank) if not b)
    zero_copy = t.csv_path == p.resolve()
    # no copy exactly when UTF-8 and no blank line precedes content
    assert zero_copy == (encoding == "utf-8" and not any(blank[:last_content]))
    fill = "," * 5
    for o, s, b in zip(out, src, blank, strict=True):
        assert o == (fill + s if b and not zero_copy else s)


def test_zone_facts_wide_by_file_name(tmp_path: Path) -> None:
    p = tmp_path / "zone_facts.csv"
    p.write_text("园区代码,年份,GDP,绿化覆盖率\nZ1,2024,100,0.4\n", "utf-8")
    [t] = read_file(p, tmp_path)
    assert t.table == "zone_facts"


def test_zones_csv(tmp_path: Path) -> None:
    p = tmp_path / "list.csv"
    p.write_text(
        "园区代码,园区名称,级别,省份代码,规划面积（平方公里）\nZ1,中关村,国家级,11,488\n", "utf-8"
    )
    [t] = read_file(p, tmp_path)
    assert t.table == "zones"
    assert canon(t)["planned_area_km2"] == (4, 1.0)


@pytest.mark.parametrize(
    ("name", "content", "zh"),
    [
        ("empty.csv", b"", "文件为空"),
        ("nul.csv", b"\x00\x01\x02binary\x00" * 10, "二进制"),
        ("nohead.csv", "甲,乙,丙\n1,2,3\n".encode(), "表头"),
        ("junk.csv", bytes(range(0x80, 0x100)) * 3, "编码"),
        ("broken.xlsx", b"PK\x03\x04garbage", "Excel"),
        ("text.xlsx", b"not a zip at all", "Excel"),
        ("page.xls", b"<html><table></table></html>", "HTML"),
        ("bombad.csv", b"\xef\xbb\xbf" + ENT_HEADER.encode() + b"\n\x80", "编码错误"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, zh: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ReadError) as e:
        read_file(p, tmp_path / "work")
    assert e.value.file == str(p)
    assert zh in e.value.zh


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError):
        read_file(tmp_path / "nope.csv", tmp_path)


# ------------------------------------------------------------------ Excel


def build_workbook(path: Path) -> None:
    """Three standard sheets, one recognised by header only, one junk sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "园区"
    ws["A1"] = "2024年国家高新区名录"
    ws.merge_cells("A1:F1")
    for c, h in enumerate(
        ["园区代码", "园区名称", "级别", "省份代码", "批准年份", "规划面积（平方公里）"], 1
    ):
        ws.cell(2, c, h)
    ws.append(["Z001", "中关村科技园区", "国家级", "11", 1988, 488.0])
    ws.append(["Z002", "武汉东湖新技术开发区", "国家级", 42, 1991, 518.06])

    # Pattern A: title, unit line, vertical merges, group header merged over E3:G3.
    ws = wb.create_sheet("企业")
    ws["A1"] = "2024年高新区企业主要经济指标"
    ws.merge_cells("A1:I1")
    ws["I2"] = "单位：万元"
    for col, h in zip(
        "ABCDHI",
        ["统一社会信用代码", "企业名称", "园区代码", "年份", "成立时间", "是否高新技术企业"],
        strict=True,
    ):
        ws[f"{col}3"] = h
        ws.merge_cells(f"{col}3:{col}4")
    ws["E3"] = "主要经济指标"
    ws.merge_cells("E3:G3")
    ws["E4"], ws["F4"], ws["G4"] = "营业收入", "净利润（千元）", "年末从业人员"
    ws.append(
        ["91440300MA5DA1234X", "比亚迪", "Z001", 2024, 1234.0, -0.1, 120, dt.date(2003, 5, 1), True]
    )
    ws.append(
        [
            "91440300MA5DA5678Y",
            "𠀀科技",
            None,
            2024,
            1e-7,
            123456789.125,
            7,
            dt.datetime(2010, 1, 2, 0, 0),
            False,
        ]
    )
    ws.merge_cells("C5:C6")  # zone code merged over two enterprises
    ws.append([])  # an empty row: left out of the frame
    ws.append(["合计", None, None, None, 1234.0000001, None, 127, None, None])

    # Pattern B in zone facts: header, then a column-code row.
    ws = wb.create_sheet("园区指标")
    ws.append(["园区代码", "年份", "指标", "数值"])
    ws.append(["甲", "乙", "丙", 1])
    ws.append(["Z001", 2024, "GDP", 2345.5])

    # Non-standard name, recognised by header; unit in the second header row and
    # a header cell merged vertically over an empty cell.
    ws = wb.create_sheet("Sheet数据")
    ws.append(["高新技术企业名单"])
    ws.append(
        ["统一社会信用代码", "单位名称", "营业收入", "研发经费内部支出", "年末从业人员", "统计年度"]
    )
    ws.append([None, None, "万元", "（千元）", "人", None])
    ws.merge_cells("A2:A3")
    ws.append(["91110000600000000A", "联想", 10, 2, 3, 2023])

    ws = wb.create_sheet("说明")
    ws["A1"] = "填表说明：金额单位为万元。"
    ws["A2"] = "1. 请勿修改表头"
    wb.save(path)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RawTable]:
    p = tmp_path_factory.mktemp("xl") / "returns.xlsx"
    build_workbook(p)
    tables = read_file(p, p.parent / "work")
    assert [t.sheet for t in tables] == ["园区", "企业", "园区指标", "Sheet数据", "说明"]
    assert all(t.source == str(p) for t in tables)
    return {t.sheet or "": t for t in tables}


def frame_rows(t: RawTable) -> list[list[str | None]]:
    assert t.frame is not None
    cols = [c for c in t.frame.columns if c != "_row"]
    assert cols == [f"c{i}" for i in range(len(cols))]
    return [[None if v is None else v for v in r] for r in t.frame[cols].itertuples(index=False)]


def test_excel_zones_sheet(workbook: dict[str, RawTable]) -> None:
    t = workbook["园区"]
    assert t.table == "zones" and t.first_data_row == 3
    assert list(canon(t)) == [
        "zone_id", "name", "level", "province_code", "approved_year", "planned_area_km2",
    ]  # fmt: skip
    assert frame_rows(t) == [
        ["Z001", "中关村科技园区", "国家级", "11", "1988", "488"],
        ["Z002", "武汉东湖新技术开发区", "国家级", "42", "1991", "518.06"],
    ]
    assert t.frame is not None and t.frame["_row"].tolist() == [3, 4]
    assert t.csv_path is None


def test_excel_group_header_vertical_merges_and_unit_line(workbook: dict[str, RawTable]) -> None:
    t = workbook["企业"]
    assert t.table == "enterprises"
    assert t.first_data_row == 5
    c = canon(t)
    assert c["credit_code"][0] == 0 and c["name"][0] == 1 and c["zone_id"][0] == 2
    assert c["year"][0] == 3
    assert c["revenue"] == (4, 10.0)  # 营业收入 under 主要经济指标, unit line 万元
    assert c["net_profit"] == (5, 1.0)  # own unit 千元 wins over the unit line
    assert c["employees"] == (6, 1.0)  # not money: no unit appended
    assert c["founded_year"][0] == 7 and c["is_high_tech"][0] == 8
    assert t.headers[4] == "营业收入（万元）"
    assert t.frame is not None
    assert t.frame["_row"].tolist() == [5, 6, 8]  # empty row 7 left out, 合计 kept
    assert frame_rows(t) == [
        ["91440300MA5DA1234X", "比亚迪", "Z001", "2024", "1234", "-0.1", "120", "2003-05-01", "1"],
        ["91440300MA5DA5678Y", "𠀀科技", "Z001", "2024", "1e-07", "123456789.125", "7",
         "2010-01-02", "0"],
        ["合计", None, None, None, "1234.0000001", None, "127", None, None],
    ]  # fmt: skip
    assert t.frame["c0"].dtype == object and t.frame["_row"].dtype == "int64"
    assert t.frame["c5"].tolist()[2] is None  # missing cells are None, not NaN


def test_excel_column_code_row_skipped(workbook: dict[str, RawTable]) -> None:
    t = workbook["园区指标"]
    assert t.table == "zone_facts"
    assert t.first_data_row == 3
    assert frame_rows(t) == [["Z001", "2024", "GDP", "2345.5"]]
    assert t.frame is not None and t.frame["_row"].tolist() == [3]


def test_excel_unit_row_under_header_and_sheet_found_by_header(
    workbook: dict[str, RawTable],
) -> None:
    t = workbook["Sheet数据"]
    assert t.table == "enterprises"
    assert t.first_data_row == 4
    c = canon(t)
    assert c["credit_code"][0] == 0
    assert c["revenue"] == (2, 10.0)
    assert c["rd_expense"] == (3, 1.0)
    assert c["employees"][0] == 4 and c["year"][0] == 5
    assert frame_rows(t) == [["91110000600000000A", "联想", "10", "2", "3", "2023"]]
    assert t.frame is not None and t.frame["_row"].tolist() == [4]


def test_excel_junk_sheet_reported(workbook: dict[str, RawTable]) -> None:
    t = workbook["说明"]
    assert t.table is None and t.frame is None and t.headers == []


def test_excel_without_any_table(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    p = tmp_path / "x.xlsx"
    wb.save(p)
    with pytest.raises(ReadError) as e:
        read_file(p, tmp_path)
    assert "Sheet" in e.value.zh


def test_excel_renamed_as_xls_and_csv(tmp_path: Path) -> None:
    src = tmp_path / "a.xlsx"
    build_workbook(src)
    for name in ("a.xls", "a.csv"):
        q = tmp_path / name
        q.write_bytes(src.read_bytes())
        assert [t.table for t in read_file(q, tmp_path)][:3] == [
            "zones",
            "enterprises",
            "zone_facts",
        ]


def fixed_bytes(xlsx: bytes) -> bytes:
    """The workbook with its run-varying parts fixed: openpyxl stamps ``docProps/core.xml`` and every zip
    entry with the time of saving, so the flips below would otherwise hit different bytes on every run."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            zout.writestr(fixed, data, compresslevel=6)
    return out.getvalue()


def test_damaged_workbooks_only_read_error(tmp_path: Path) -> None:
    """Seeded byte flips and truncations of a real workbook with fixed bytes (calamine must not escape)."""
    import random
    import zipfile

    src = tmp_path / "a.xlsx"
    build_workbook(src)
    raw = fixed_bytes(src.read_bytes())
    with zipfile.ZipFile(io.BytesIO(raw)) as z:  # nothing of the time of the run is left
        assert b"2024-01-01T00:00:00Z" in z.read("docProps/core.xml")
        assert {i.date_time for i in z.infolist()} == {(2024, 1, 1, 0, 0, 0)}
    assert fixed_bytes(raw) == raw
    rnd = random.Random(7)
    outcomes = set()
    for _ in range(40):
        b = bytearray(raw)
        for _ in range(rnd.randint(1, 10)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        if rnd.random() < 0.3:
            b = b[: rnd.randrange(len(b))]
        p = tmp_path / "m.xlsx"
        p.write_bytes(bytes(b))
        try:
            out = read_file(p, tmp_path / "work")
            outcomes.add("ok")
            assert all(isinstance(t, RawTable) for t in out)
        except ReadError as e:
            outcomes.add("error")
            assert "unexpected" not in e.en
    assert "error" in outcomes


# ------------------------------------------------------------------ property


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=2000),
    prefix=st.sampled_from(
        [b"", b"PK\x03\x04", ENT_HEADER.encode() + b"\n", ENT_HEADER.encode("gbk") + b"\n"]
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".xls"]),
)
def test_arbitrary_bytes_only_read_error(
    tmp_path: Path, data: bytes, prefix: bytes, suffix: str
) -> None:
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(prefix + data)
    try:
        out = read_file(p, tmp_path / "work")
    except ReadError as e:
        assert e.file == str(p) and e.zh and e.en
    else:
        assert isinstance(out, list) and all(isinstance(t, RawTable) for t in out)


def test_excel_numbers_render_without_loss() -> None:
    """Vectorised float rendering: exact round trip, integers without '.0', no needless exponent."""
    import random

    from gaoxin.ingest.readers import _render_column

    rnd = random.Random(3)
    vals = [rnd.uniform(-1e14, 1e14) for _ in range(2000)]
    vals += [rnd.random() * 10 ** rnd.randint(-12, 20) for _ in range(2000)]
    vals += [1234.0, -0.0, 1e20, 1234567890123.45, 0.1]
    out = _render_column(vals)
    assert all(float(o) == v for o, v in zip(out, vals, strict=True))
    assert list(out[-5:]) == ["1234", "0", "100000000000000000000", "1234567890123.45", "0.1"]
    mixed = _render_column([1.0, "", " 甲 ", None, True, dt.date(2024, 1, 31), 2.5])
    assert list(mixed) == ["1", None, " 甲 ", None, "1", "2024-01-31", "2.5"]


@pytest.mark.parametrize("split", [64, 1 << 30])
def test_iconv_fast_path_matches_python_codec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: int) -> None:
    """GBK through the system iconv (in two processes when split is small) gives the same bytes as Python."""
    import shutil as sh

    import gaoxin.ingest.encoding as enc_mod

    if sh.which("iconv") is None:
        pytest.skip("no iconv on this system")
    monkeypatch.setattr(enc_mod, "ICONV_SPLIT_BYTES", split)
    monkeypatch.setattr(enc_mod, "ICONV_CHUNK_BYTES", 500)  # many iconv calls per part, cut at line ends
    names = ["比亚迪股份有限公司", "𠀀科技有限公司", "䶮光电有限公司", "华为技术有限公司"]
    lines = ["2024年统计表", ENT_HEADER] + [f"9144{i:014d},{names[i % 4]}{i},Z1,2024,{i},1" for i in range(500)]
    p = tmp_path / "g.csv"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    [fast] = read_file(p, tmp_path / "fast")
    monkeypatch.setenv("GAOXIN_NO_ICONV", "1")
    [slow] = read_file(p, tmp_path / "slow")
    assert fast.csv_path is not None and slow.csv_path is not None
    assert (fast.csv_skip, fast.first_data_row) == (slow.csv_skip, slow.first_data_row) == (0, 3)
    assert b"".join(p.read_bytes() for p in [fast.csv_path, *fast.csv_parts]) == slow.csv_path.read_bytes()
    assert len(fast.csv_parts) == (split < 1000) and not slow.csv_parts
    # part_lines: the data lines before each part, so DuckDB's line numbers map back to the file
    assert fast.part_lines == [fast.csv_path.read_bytes().count(b"\n")] * len(fast.csv_parts)
    assert data_rows(fast)[499][1] == "华为技术有限公司499"
    assert sorted(x.name for x in (tmp_path / "fast").iterdir()) == sorted(
        p.name for p in [fast.csv_path, *fast.csv_parts])  # nothing else left
