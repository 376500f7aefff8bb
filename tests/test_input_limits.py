"""Giant cells, giant records and very wide inputs are accounted for, with their true reason and row (issue #7).

Before: a record with a cell of tens of MB vanished (accepted + rejected < rows read); a 3 MB cell was
rejected as "required value missing" (DuckDB had kept only the line's head); a CSV of 100,000 columns
took minutes in header detection before anything was said.
"""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from conftest import ENT_HEADERS, write_csv
from conftest import ingest_path as ingest
from gaoxin.ingest import contract
from gaoxin.ingest.csv_reader import read_csv
from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.rejections import write_report
from gaoxin.ingest.rules import IngestRules

MB = 2**20


def _limits(monkeypatch, **limits) -> IngestRules:
    rules = IngestRules.model_validate({"limits": limits})
    monkeypatch.setattr(contract, "rules", lambda: rules)
    return rules


def _errors(r):
    return [i for i in r.batch.issues if i.severity == "error"]


def _stored_rows(db) -> list[int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r for (r,) in con.execute("SELECT source_row FROM enterprise_year ORDER BY 1").fetchall()]
    finally:
        con.close()


def test_a_giant_cell_and_a_giant_record_are_rejected_with_their_reason_and_row(db, tmp_path, zones_csv,
                                                                                 enterprises_rows):
    rows = [list(r) for r in enterprises_rows]  # 20 data rows: file lines 2..21
    rows[4][1] = "名" * (MB + 10)  # 3 MiB of UTF-8: over the 1 MiB cell limit, under the 16 MiB record limit
    rows[9][1] = "X" * (17 * MB)   # over the record limit: DuckDB keeps only the line's head
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    fr = r.batch.files[str(f)]
    assert (fr.accepted, fr.rejected) == (18, 2)  # every record read is accounted for
    errs = sorted(_errors(r), key=lambda i: i.row)
    assert [(e.row, e.column) for e in errs] == [(6, "企业名称"), (11, None)]
    assert "1024 KiB" in errs[0].reason_en and "limits.max_cell_kb" in errs[0].reason_zh
    assert "16 MiB" in errs[1].reason_en and "rejected whole" in errs[1].reason_en
    assert len(errs[0].value) < 300 and "3,145,758 characters" not in errs[0].value  # clipped, with its length
    assert f"{MB + 10:,} characters" in errs[0].value
    # the rows after them keep their own line numbers
    assert _stored_rows(db) == [n for n in range(2, 22) if n not in (6, 11)]


def test_the_limits_are_configurable(db, tmp_path, zones_csv, enterprises_rows, monkeypatch):
    _limits(monkeypatch, max_cell_kb=1, max_record_mb=0.01)
    rows = [list(r) for r in enterprises_rows]
    rows[0][1] = "甲" * 400        # 1.2 KiB: over a 1 KiB cell limit
    rows[1][1] = "乙" * 5000       # 15 KiB: over a 10 KiB record limit
    rows[2][1] = "丙" * 300        # 0.9 KiB: fine
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    assert sorted((e.row, e.column is None) for e in _errors(r)) == [(2, False), (3, True)]
    assert r.batch.files[str(f)].accepted == 18


def test_a_giant_record_in_wide_zone_facts_is_not_lost(db, tmp_path, zones_csv, monkeypatch):
    _limits(monkeypatch, max_record_mb=0.01)
    headers = ["园区代码", "年份", "gdp", "专家评分"]
    f = write_csv(tmp_path / "facts.csv", headers, [["GX001", 2023, 100, 7], ["GX001", 2024, "9" * 20000, 8],
                                                    ["GX002", 2024, 5, 6]])
    r = ingest([zones_csv, f], db)
    [e] = _errors(r)
    assert (e.row, e.column) == (3, None) and "rejected whole" in e.reason_en
    assert r.batch.files[str(f)].accepted == 4  # two facts in each of lines 2 and 4


def test_a_giant_cell_in_a_workbook_is_rejected_naming_its_column(db, tmp_path, zones_csv, enterprises_rows,
                                                                  monkeypatch):
    _limits(monkeypatch, max_cell_kb=4)
    rows = [list(r) for r in enterprises_rows]
    rows[3][1] = "很长的名称" * 2000  # 30 KiB (Excel allows 32,767 characters)
    p = tmp_path / "e.xlsx"
    pd.DataFrame(rows, columns=ENT_HEADERS).to_excel(p, sheet_name="企业", index=False)
    r = ingest([zones_csv, p], db)
    [e] = _errors(r)
    assert (e.sheet, e.row, e.column) == ("企业", 5, "企业名称") and "4 KiB" in e.reason_en


def test_the_rejection_report_holds_clipped_cells(db, tmp_path, zones_csv, enterprises_rows):
    rows = [list(r) for r in enterprises_rows]
    rows[0][1] = "=HYPERLINK(1)" + "x" * (2 * MB)
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    [xlsx] = write_report(r.batch, tmp_path / "rep.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None, dtype=str, engine="openpyxl").values()
    cells = [str(c) for sheet in sheets for c in sheet.values.ravel()]
    long = [c for c in cells if "HYPERLINK" in c]
    assert long and all(len(c) < 1000 and c.startswith("'=") for c in long)  # clipped and not a live formula
    raw = json.loads(next(i.raw for i in _errors(r)))
    assert len(raw["企业名称"]) < 300


def test_a_csv_wider_than_the_limit_is_refused_at_once(tmp_path):
    n = 100_000
    f = tmp_path / "wide.csv"
    f.write_text(",".join(ENT_HEADERS + [f"x{i}" for i in range(n - len(ENT_HEADERS))]) + "\n"
                 + ",".join(["1"] * n) + "\n", "utf-8")
    with pytest.raises(ReadError) as e:  # took 24 s of header scoring before (248 s for the whole ingest)
        read_csv(f, "wide.csv", tmp_path / "work", None)
    assert e.value.row == 1 and "100,000 columns" in e.value.en and "limits.max_columns" in e.value.zh


def test_a_csv_at_the_limit_is_read(tmp_path, monkeypatch):
    _limits(monkeypatch, max_columns=len(ENT_HEADERS) + 2)
    f = write_csv(tmp_path / "e.csv", [*ENT_HEADERS, "a", "b"], [["1"] * (len(ENT_HEADERS) + 2)])
    assert len(read_csv(f, "e.csv", tmp_path / "w", None).headers) == len(ENT_HEADERS) + 2
    g = write_csv(tmp_path / "g.csv", [*ENT_HEADERS, "a", "b", "c"], [["1"] * (len(ENT_HEADERS) + 3)])
    with pytest.raises(ReadError):
        read_csv(g, "g.csv", tmp_path / "w", None)


def test_a_sheet_wider_than_the_limit_is_refused_before_loading(db, tmp_path, zones_csv, enterprises_rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(ENT_HEADERS)
    for row in enterprises_rows:
        ws.append(row)
    ws.cell(row=2, column=3000, value="far away")
    p = tmp_path / "wide.xlsx"
    wb.save(p)
    r = ingest([zones_csv, p], db)
    [e] = [e for e in _errors(r) if e.file == str(p)]
    assert "3,000 columns" in e.reason_en and "'企业'" in e.reason_en and "limits.max_columns" in e.reason_zh
