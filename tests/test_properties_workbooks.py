"""Arbitrary workbook structures built with openpyxl, ingested through the real ingest (the in-process CLI):
never a traceback, every data row written is accounted for (accepted + rejected + totals dropped), and a
batch that fails leaves the store as it was (issue 7, property tests).

A workbook has one enterprise sheet (its header at a random row and column, in one row or two with merged
cells, empty rows and columns around and between) and, at random, a zone sheet and sheets of junk under odd
names; the data cells are numbers, text (long, full-width digits, CJK), dates, times, formulas, booleans and
blanks.  A data row "written" is one with a cell the reader can see: formulas written by openpyxl have no
cached value and read as empty, an all-empty row is not a row, and a row of column codes ('甲 乙 1 2 3')
right under the header is the form's column numbering, which the reader skips.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ingest_path
from gaoxin.cli import app
from gaoxin.ingest.credit_code import make_codes
from gaoxin.ingest.headers import named_table

pytestmark = pytest.mark.slow  # 60 workbooks through the CLI: ≈ 70 s

HEADERS = ["统一社会信用代码", "企业名称", "园区代码", "年份", "营业收入（千元）", "年末从业人员", "是否高新技术企业"]
CODES = list(make_codes(np.random.default_rng(11), np.array(["440300"] * 30)))
ZONES = ["GX001", "GX002"]

# what a statistician's sheet can hold in a data cell
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "—", "N/A", "１２３４", "１，２３４．５", "12,345", "(12)", "1e400", "-0", "是", "否",
                     "合计", "其中：小计", "=1+1 (text)", "'0012", "\t", "年份", "2024年", "示例企业"]),
    st.text(alphabet="零一二三四五六七八九十百千万亿０１２３４５６７８９．，", max_size=12),
    st.builds(lambda n, ch: ch * n, st.integers(300, 5000), st.sampled_from(["长", "x", "９"])),
)
FORMULA = st.sampled_from(["=1+1", "=A1", "=SUM(E1:E9)", '="合计"', "=1/0", "=NOW()"])
CELL = st.one_of(
    st.none(),
    st.integers(-10**15, 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    TEXT,
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 12, 31)),
    st.booleans(),
    FORMULA,
)
# cells of the enterprise columns: mostly plausible, sometimes anything
CODE = st.one_of(st.sampled_from(CODES), CELL)
ZONE = st.one_of(st.sampled_from(ZONES), CELL)
YEAR = st.one_of(st.integers(2015, 2025), CELL)
NUMBER = st.one_of(st.integers(0, 10**9), st.floats(0, 1e9), CELL)
ROW = st.tuples(CODE, TEXT | st.none(), ZONE, YEAR, NUMBER, NUMBER, st.sampled_from(["是", "否", 1, 0, None]) | CELL)

BAD_SHEET_CHARS = set("[]:*?/\\")
SHEET_NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=31).filter(
    lambda s: not (set(s) & BAD_SHEET_CHARS) and s.strip() and not s.startswith("'") and not s.endswith("'")
    and s.lower() != "history" and named_table(s) is None)


@st.composite
def workbooks(draw) -> dict:
    """The structure of one workbook (built by :func:`build`)."""
    return {
        "title_rows": draw(st.integers(0, 3)),
        "blank_rows": draw(st.integers(0, 2)),
        "left": draw(st.integers(0, 2)),
        "gap_col": draw(st.one_of(st.none(), st.integers(1, len(HEADERS) - 1))),
        "two_row_header": draw(st.booleans()),
        "rows": draw(st.lists(st.one_of(ROW, st.just(None)), max_size=12)),  # None: an empty row
        "zones": draw(st.booleans()),
        "junk": draw(st.lists(st.tuples(SHEET_NAME, st.lists(st.lists(CELL, max_size=5), max_size=4)),
                              max_size=3, unique_by=lambda t: t[0].lower())),
        "enterprise_sheet": draw(SHEET_NAME),
        "first": draw(st.booleans()),
    }


def visible(v) -> bool:
    """What the reader sees of a cell openpyxl wrote: formulas have no cached value, blank text is empty."""
    v = _safe(v)
    return not (v is None or (isinstance(v, str) and (not v.strip() or v.startswith("="))))


def build(spec: dict, path: Path) -> int:
    """Write the workbook; return the number of data rows written to the enterprise sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    junk = [n for n, _ in spec["junk"] if n.lower() != spec["enterprise_sheet"].lower()]
    order = ["ent", *junk] if spec["first"] else [*junk, "ent"]
    if spec["zones"]:
        order.append("zones")
    for name in order:
        if name == "ent":
            _enterprise_sheet(wb.create_sheet(spec["enterprise_sheet"]), spec)
        elif name == "zones":
            ws = wb.create_sheet("园区")
            ws.append(["园区代码", "园区名称", "级别", "省份代码"])
            ws.append(["GX001", "示例高新区001", "国家级", "44"])
            ws.append(["GX002", "示例高新区002", "省级", "11"])
        else:
            ws = wb.create_sheet(name)
            for r in dict(spec["junk"])[name]:
                ws.append([_safe(v) for v in r])
    wb.save(path)
    rows = list(spec["rows"])
    if rows and rows[0] is not None and column_codes(rows[0]):
        rows = rows[1:]  # the reader skips a '甲 乙 1 2 3' row right under the header (documented, headers.py)
    return sum(1 for r in rows if r is not None and any(visible(v) for v in r))


def column_codes(row) -> bool:
    """A statistical form's column-code row: ≥ 2 visible cells, each 甲…癸 or a number of 1–3 digits as shown."""
    import re

    shown = []
    for v in row:
        if not visible(v) or isinstance(v, dt.date):
            shown.append(None if not visible(v) else "date")
        elif isinstance(v, bool):
            shown.append("1" if v else "0")
        elif isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
            shown.append(str(int(v)))
        else:
            shown.append(str(_safe(v)).strip())
    cells = [t for t in shown if t]
    return len(cells) >= 2 and all(re.fullmatch(r"[甲乙丙丁戊己庚辛壬癸]|\d{1,3}", t) for t in cells)


def _safe(v):
    # openpyxl refuses control characters in text (Excel cannot store them); a formula is kept as one
    if isinstance(v, str) and not v.startswith("="):
        return openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", v)
    return v


def _columns(spec: dict) -> list[int]:
    """Sheet column (1-based) of each header, with the left margin and the empty column between."""
    cols, c = [], 1 + spec["left"]
    for i in range(len(HEADERS)):
        if spec["gap_col"] == i:
            c += 1  # an empty column inside the table
        cols.append(c)
        c += 1
    return cols


def _enterprise_sheet(ws, spec: dict) -> None:
    cols = _columns(spec)
    r = 1
    for t in range(spec["title_rows"]):
        ws.cell(r, cols[0], f"2024年高新区企业主要经济指标（表{t + 1}）")
        ws.merge_cells(start_row=r, start_column=cols[0], end_row=r, end_column=cols[-1])
        r += 1
    r += spec["blank_rows"]
    if spec["two_row_header"]:  # a group header over the money columns, the others merged vertically
        for i, h in enumerate(HEADERS):
            if i in (4, 5):
                ws.cell(r + 1, cols[i], h)
            else:
                ws.cell(r, cols[i], h)
                ws.merge_cells(start_row=r, start_column=cols[i], end_row=r + 1, end_column=cols[i])
        ws.cell(r, cols[4], "主要经济指标")
        ws.merge_cells(start_row=r, start_column=cols[4], end_row=r, end_column=cols[5])
        r += 2
    else:
        for i, h in enumerate(HEADERS):
            ws.cell(r, cols[i], h)
        r += 1
    for row in spec["rows"]:
        if row is not None:
            for c, v in zip(cols, row, strict=True):
                if v is not None:
                    ws.cell(r, c, _safe(v))
        r += 1


def store_state(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*), hash(list(t ORDER BY ALL)) FROM {t} t").fetchall()[0]
                     for t in ("snapshot", "enterprise_year", "zone", "zone_fact", "ingest_issue"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    """A store with one snapshot of zone GX001 only (so GX002 rows are rejected unless the batch has zones)."""
    d = tmp_path_factory.mktemp("wbprop")
    zones = d / "zones.csv"
    zones.write_text("园区代码,园区名称,级别,省份代码\nGX001,示例高新区001,国家级,44\n", "utf-8")
    assert ingest_path([zones], d / "base.duckdb").snapshot == 1
    return d / "base.duckdb"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=workbooks(), strict=st.booleans())
def test_any_workbook_structure_is_accounted_for_and_never_a_traceback(spec, strict, base_store, tmp_path_factory):
    d = tmp_path_factory.mktemp("wb")
    book, db = d / "返回 表.xlsx", d / "s.duckdb"
    written = build(spec, book)
    shutil.copyfile(base_store, db)
    before = store_state(db)
    res = CliRunner().invoke(app, ["ingest", str(book), "--db", str(db), "--json", *(["--strict"] * strict)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code in (0, 1, 2), res.output
    out = json.loads(res.stdout) if res.stdout.lstrip().startswith("{") else None
    event(f"exit {res.exit_code}" + (f", accepted {min(out['accepted'], 1)}+" if out else ""))
    if res.exit_code == 2:  # a user error (one line) or nothing readable
        assert out is None or out["exit_code"] == 2, res.output
        assert store_state(db) == before
        return
    assert out is not None, res.output
    counted = sum(f["accepted"] + f["rejected"] + f["totals_dropped"] for f in out["files"])
    zone_rows = 2 if spec["zones"] else 0
    assert counted == written + zone_rows, (written, out["files"])
    if res.exit_code == 1 or out["snapshot"] is None:
        assert store_state(db) == before  # a refused batch writes nothing
    else:
        assert out["snapshot"] == 2 and store_state(db)[0][0] == 2
