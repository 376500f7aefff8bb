"""Ingest end to end into the real DuckDB store: validators, units, snapshots, strictness, reports."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ENT_HEADERS, write_csv
from conftest import ingest_path as ingest
from gaoxin.cli import app
from gaoxin.ingest.rejections import write_report
from gaoxin.store import snapshots


def stored(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def errors_of(result, code_part=None):
    return [i for i in result.batch.issues if i.severity == "error" and (code_part is None or code_part in i.reason_en)]


def test_valid_batch_creates_snapshot(db, zones_csv, enterprises_csv):
    r = ingest([zones_csv, enterprises_csv], db)
    assert (r.snapshot, r.exit_code, r.accepted, r.rejected) == (1, 0, 22, 0)
    assert stored(db, "SELECT count(*) FROM enterprise_years_at(1)") == [(20,)]
    assert stored(db, "SELECT zone_id, level, province_code, region FROM zones_at(1) ORDER BY 1") == [
        ("GX001", "national", "44", "east"), ("GX002", "provincial", "11", "east")]
    # source file and the row the user sees (header is line 1)
    assert stored(db, "SELECT min(source_row), max(source_row) FROM enterprise_year") == [(2, 21)]


@pytest.mark.parametrize(
    ("col", "value", "reason"),
    [
        (0, "91440300192317458E", "credit code"),
        (0, "", "required"),
        (2, "GX999", "zone not found"),
        (3, "1850", "year outside"),
        (3, "二〇二二", "not a year"),
        (4, "abc", "not a number"),
        (4, "-5", "negative"),
        (4, "—", "required"),  # a missing token in a required field
        (5, "12.5", "whole number"),
        (5, "-1", "negative"),
        (7, "也许", "yes/no"),
    ],
)
def test_each_validator_rejects_with_file_row_column(db, tmp_path, zones_csv, enterprises_rows, col, value, reason):
    rows = [list(r) for r in enterprises_rows]
    rows[4][col] = value
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    errs = errors_of(r, reason)
    assert len(errs) == 1, [e.reason_en for e in r.batch.issues]
    e = errs[0]
    assert e.file == str(f) and e.row == 6 and e.column == ENT_HEADERS[col]  # header line 1, rows[4] is line 6
    # a missing token read by DuckDB's typed CSV reader comes back as NULL, not its text
    assert e.reason_zh and e.value in ({value, None} if value == "—" else {value if value != "" else None})
    assert r.rejected == 1 and r.accepted == 21
    assert json.loads(e.raw)[ENT_HEADERS[1]] == rows[4][1]


def test_duplicates_in_batch_both_rejected(db, tmp_path, zones_csv, enterprises_rows):
    rows = [*enterprises_rows, list(enterprises_rows[3])]
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    dup = errors_of(r, "duplicate")
    assert sorted(e.row for e in dup) == [5, 22]
    assert r.rejected == 2


def test_zone_check_uses_store_and_batch(db, tmp_path, zones_csv, enterprises_csv):
    assert ingest([zones_csv], db).snapshot == 1
    r = ingest([enterprises_csv], db)  # zones come from snapshot 1
    assert r.rejected == 0 and r.snapshot == 2
    assert stored(db, "SELECT count(*) FROM zones_at(2)") == [(2,)]


def test_warnings_keep_rows(db, tmp_path, zones_csv, enterprises_rows):
    rows = [list(r) for r in enterprises_rows]
    rows[0][6] = 999999  # R&D above revenue
    rows[3][4] = rows[2][4] * 50  # 2023 revenue 50x the 2022 one: unit mix-up
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    warns = [i for i in r.batch.issues if i.severity == "warning"]
    assert sorted(w.reason_en.split(" ")[0] for w in warns) == ["R&D", "revenue"]
    assert r.rejected == 0 and r.warnings == 2 and r.accepted == 22


def test_units_converted_to_thousand_yuan(db, tmp_path, zones_csv, codes):
    base = [[codes[0], "甲", "GX001", 2023], [codes[1], "乙", "GX001", 2023]]
    values = {"元": [1234500, 7_000_000], "千元": [1234.5, 7000], "万元": [123.45, 700]}
    got = {}
    for unit, vals in values.items():
        hdr = ["统一社会信用代码", "企业名称", "园区代码", "年份", f"营业收入（{unit}）", "年末从业人员"]
        f = write_csv(tmp_path / f"e_{unit}.csv", hdr, [[*b, v, 5] for b, v in zip(base, vals, strict=True)])
        d = tmp_path / f"{unit}.duckdb"
        assert ingest([zones_csv, f], d).accepted == 4
        got[unit] = [v for (v,) in stored(d, "SELECT revenue FROM enterprise_years_at(1) ORDER BY credit_code")]
    assert got["元"] == pytest.approx(got["千元"]) and got["万元"] == pytest.approx(got["千元"])
    assert sorted(got["千元"]) == [1234.5, 7000.0]


def test_numbers_with_separators_and_full_width(db, tmp_path, zones_csv, codes):
    hdr = ["统一社会信用代码", "企业名称", "园区代码", "年份", "营业收入（万元）", "年末从业人员"]
    f = write_csv(tmp_path / "e.csv", hdr, [[codes[0], "甲", "GX001", "２０２３", "1,234.5", "１２"]])
    r = ingest([zones_csv, f], db)
    assert r.rejected == 0
    assert stored(db, "SELECT year, revenue, employees FROM enterprise_years_at(1)") == [(2023, 12345.0, 12)]


def test_money_in_the_stored_unit_is_rounded_as_written(db, tmp_path, zones_csv, codes):
    """Read straight as DECIMAL(18,3): the text is rounded half away from zero, never via a binary double."""
    hdr = ["统一社会信用代码", "企业名称", "园区代码", "年份", "营业收入（千元）", "净利润（千元）", "年末从业人员"]
    rows = [[codes[0], "甲", "GX001", 2023, "2.0005", "-0.0005", 1],
            [codes[1], "乙", "GX001", 2023, "1e3", " 5.5", 2],
            [codes[2], "丙", "GX001", 2023, "1,234.5", "1234567890123456", 3],
            [codes[3], "丁", "GX001", 2023, "inf", "1", 4]]
    r = ingest([zones_csv, write_csv(tmp_path / "e.csv", hdr, rows)], db)
    got = stored(db, "SELECT name, CAST(revenue AS VARCHAR), CAST(net_profit AS VARCHAR) FROM enterprise_years_at(1) "
                     "ORDER BY name")
    assert sorted(got) == sorted([("甲", "2.001", "-0.001"), ("乙", "1000.000", "5.500")])
    assert sorted((i.row, i.reason_en) for i in r.batch.issues if i.severity == "error") == [
        (4, "number too large (|value| >= 10^15 in the stored unit)"), (5, "not a finite number (inf/nan)")]


def test_strict_refuses_and_writes_nothing(db, tmp_path, zones_csv, enterprises_rows, enterprises_csv):
    assert ingest([zones_csv, enterprises_csv], db).snapshot == 1
    before = stored(db, "SELECT * FROM enterprise_year ORDER BY row_id")
    rows = [list(r) for r in enterprises_rows]
    rows[0][4] = "abc"
    rows[1][4] = 5
    f = write_csv(tmp_path / "bad.csv", ENT_HEADERS, rows)
    r = ingest([f], db, strict=True)
    assert (r.exit_code, r.snapshot, r.rejected) == (1, None, 1)
    assert stored(db, "SELECT count(*) FROM snapshot") == [(1,)]
    assert stored(db, "SELECT * FROM enterprise_year ORDER BY row_id") == before


def test_reingest_is_idempotent_and_replacement_reported(db, tmp_path, zones_csv, enterprises_rows, enterprises_csv):
    ingest([zones_csv, enterprises_csv], db)
    r2 = ingest([zones_csv, enterprises_csv], db)
    assert (r2.snapshot, r2.replaced, r2.unchanged) == (2, 0, 22)
    q = "SELECT * EXCLUDE (source_file, source_row) FROM enterprise_years_at({}) ORDER BY credit_code, year"
    assert stored(db, q.format(1)) == stored(db, q.format(2))
    rows = [list(r) for r in enterprises_rows]
    rows[0][4] = 4321
    f = write_csv(tmp_path / "fix.csv", ENT_HEADERS, rows[:1])
    r3 = ingest([f], db)
    assert (r3.replaced, r3.unchanged, r3.accepted) == (1, 0, 1)
    assert stored(db, f"SELECT revenue FROM enterprise_years_at(3) WHERE credit_code = '{rows[0][0]}' AND year = 2022")\
        == [(4321.0,)]
    assert stored(db, f"SELECT revenue FROM enterprise_years_at(2) WHERE credit_code = '{rows[0][0]}' AND year = 2022")\
        == [(float(enterprises_rows[0][4]),)]
    con = duckdb.connect(str(db), read_only=True)
    d = {x.table: (x.added, x.changed, x.removed) for x in snapshots.diff(con, 1, 3)}
    assert d["enterprise_year"] == (0, 1, 0) and d["zone"] == (0, 0, 0)
    assert snapshots.resolve(con, "latest") == 3
    con.close()


def test_totals_and_unknown_columns_reported(db, tmp_path, zones_csv, enterprises_rows):
    hdr = [*ENT_HEADERS, "备注"]
    rows = [[*r, "x"] for r in enterprises_rows] + [["合计", "", "", "", 99999, 999, 1, ""]]
    f = write_csv(tmp_path / "e.csv", hdr, rows)
    r = ingest([zones_csv, f], db)
    assert r.rejected == 0 and r.accepted == 22
    notes = [i for i in r.batch.issues if i.severity == "info"]
    assert any(i.column == "备注" and "unknown column" in i.reason_en for i in notes)
    assert any(i.row == 22 and "total" in i.reason_en for i in notes)
    assert r.batch.files[str(f)].totals_dropped == 1


def test_missing_required_column_refuses_the_file(db, tmp_path, zones_csv, enterprises_rows):
    f = write_csv(tmp_path / "e.csv", ENT_HEADERS[:4] + ENT_HEADERS[5:], [r[:4] + r[5:] for r in enterprises_rows])
    r = ingest([zones_csv, f], db)
    assert r.batch.files[str(f)].rejected == 20 and "营业收入" in r.batch.files[str(f)].error
    assert r.snapshot == 1 and r.accepted == 2  # the zones file still lands


def test_gbk_file_ingests(db, tmp_path, zones_csv, enterprises_rows):
    f = write_csv(tmp_path / "gbk.csv", ENT_HEADERS, enterprises_rows, encoding="gbk")
    r = ingest([zones_csv, f], db)
    assert r.accepted == 22
    assert stored(db, "SELECT count(*) FROM enterprise_years_at(1) WHERE name LIKE '示例企业%'") == [(20,)]


def test_nothing_readable_exit_2(db, tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"")
    assert ingest([f], db).exit_code == 2


def test_report_files(db, tmp_path, zones_csv, enterprises_rows):
    rows = [list(r) for r in enterprises_rows]
    rows[2][0] = rows[2][0][:17] + ("0" if rows[2][0][17] != "0" else "1")
    f = write_csv(tmp_path / "e.csv", ENT_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    xlsx = write_report(r.batch, tmp_path / "rep.xlsx")[0]
    sheets = pd.read_excel(xlsx, sheet_name=None, dtype=str, engine="calamine")
    issues = sheets["问题清单 issues"]
    assert issues["行 row"].tolist() == ["4"] and "校验位" in issues["原因"][0]
    rejected = next(v for k, v in sheets.items() if k.startswith("被拒"))
    assert rejected[ENT_HEADERS[0]].tolist() == [rows[2][0]]  # original layout, fixable
    csvs = write_report(r.batch, tmp_path / "rep.csv")
    assert len(csvs) == 2 and pd.read_csv(csvs[1], dtype=str)[ENT_HEADERS[1]].tolist() == [rows[2][1]]


def test_cli_json_and_exit_codes(db, tmp_path, zones_csv, enterprises_csv, enterprises_rows):
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(zones_csv), str(enterprises_csv), "--db", str(db), "--json"])
    assert res.exit_code == 0
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("snapshot", "accepted", "rejected", "warnings", "replaced", "exit_code")} == {
        "snapshot": 1, "accepted": 22, "rejected": 0, "warnings": 0, "replaced": 0, "exit_code": 0}
    assert [f["accepted"] for f in summary["files"]] == [2, 20]
    rows = [list(r) for r in enterprises_rows]
    rows[0][5] = "-3"
    bad = write_csv(tmp_path / "bad.csv", ENT_HEADERS, rows)
    res = runner.invoke(app, ["ingest", str(bad), "--db", str(db), "--strict", "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout.strip().splitlines()[-1])["snapshot"] is None
    rep = tmp_path / "rep.xlsx"
    res = runner.invoke(app, ["ingest", str(bad), "--db", str(db), "--report", str(rep), "--json"])
    assert res.exit_code == 0 and rep.exists()
    assert stored(db, "SELECT action, target FROM audit_log WHERE action = 'export'") == [("export", str(rep))]
    res = runner.invoke(app, ["snapshots", "--db", str(db), "--json"])
    assert [s["id"] for s in json.loads(res.stdout)] == [1, 2]
    res = runner.invoke(app, ["snapshots", "diff", "1", "1", "--db", str(db), "--json"])
    assert res.exit_code == 0 and all(d["added"] == 0 for d in json.loads(res.stdout)["tables"])


# ------------------------------------------------------------------ wide zone facts (contract §3)

WIDE_HEADERS = ["园区代码", "年份", "gdp", "green_coverage_rate", "专家评分"]
WIDE_ROWS = [
    ["GX001", 2023, 100, 0.4, ""],
    ["GX001", 2024, "abc", 0.45, "—"],  # one bad cell; '—' and blanks are "no value"
    ["GX002", 2024, "", "", 7],
]


def _check_wide(db, r, f, sheet=None, bad_row=3):
    facts = stored(db, "SELECT zone_id, year, indicator, value FROM zone_facts_at(1) ORDER BY ALL")
    assert facts == [("GX001", 2023, "gdp", 100.0), ("GX001", 2023, "green_coverage_rate", 0.4),
                     ("GX001", 2024, "green_coverage_rate", 0.45), ("GX002", 2024, "专家评分", 7.0)]
    # counts are facts (one per non-blank indicator cell); only the bad cell's fact is rejected
    assert r.batch.files[str(f)].accepted == 4 and r.batch.files[str(f)].rejected == 1
    [e] = errors_of(r)
    assert (e.file, e.sheet, e.row, e.column, e.value) == (str(f), sheet, bad_row, "gdp", "abc")
    assert "not a number" in e.reason_en
    raw = json.loads(e.raw)
    assert raw.pop("专家评分") in ("—", None)  # DuckDB's CSV reader reads missing tokens as NULL
    assert raw == {"园区代码": "GX001", "年份": "2024", "gdp": "abc", "green_coverage_rate": "0.45"}
    assert stored(db, "SELECT DISTINCT source_row FROM zone_fact ORDER BY 1") == [(bad_row + d,) for d in (-1, 0, 1)]


def test_wide_zone_facts_csv(db, tmp_path, zones_csv):
    f = write_csv(tmp_path / "facts.csv", WIDE_HEADERS, WIDE_ROWS)  # recognised by its header, not its name
    r = ingest([zones_csv, f], db)
    _check_wide(db, r, f)
    rep = write_report(r.batch, tmp_path / "rep.csv")
    rejected = pd.read_csv(rep[1], dtype=str)
    assert rejected["gdp"].tolist() == ["abc"] and "gdp" in rejected["错误原因 reason"][0]


def test_wide_zone_facts_xlsx(db, tmp_path, zones_csv):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "园区指标"
    ws.append(["2024年园区指标"])  # title row above the header
    ws.append(WIDE_HEADERS)
    for row in WIDE_ROWS:
        ws.append([None if v == "" else v for v in row])
    ws.append(["合计", None, 100, None, 7])  # a total row: dropped and reported once
    f = tmp_path / "returns.xlsx"
    wb.save(f)
    r = ingest([zones_csv, f], db)
    _check_wide(db, r, f, sheet="园区指标", bad_row=4)
    notes = [i for i in r.batch.issues if i.severity == "info" and "total" in i.reason_en]
    assert [i.row for i in notes] == [6] and r.batch.files[str(f)].totals_dropped == 1


def test_wide_zone_facts_bad_zone_rejects_the_row_and_reingest(db, tmp_path, zones_csv):
    rows = [["GX999", 2024, 1, 2, ""], ["GX001", 2024, 5, "", ""]]
    f = write_csv(tmp_path / "zone_facts.csv", WIDE_HEADERS, rows)
    r = ingest([zones_csv, f], db)
    errs = errors_of(r, "zone not found")
    assert [(e.row, e.column) for e in errs] == [(2, "园区代码"), (2, "园区代码")]  # both facts of the row
    assert stored(db, "SELECT indicator, value FROM zone_facts_at(1)") == [("gdp", 5.0)]
    r2 = ingest([f], db)  # idempotent: the same fact is unchanged
    assert (r2.unchanged, r2.replaced) == (1, 0)


def test_ingest_uses_the_callers_connection(db, zones_csv, enterprises_csv):
    from gaoxin.store.db import connect
    from gaoxin.store.load import ingest as ingest_con

    con = connect(db)
    try:
        assert ingest_con(con, [zones_csv]).snapshot == 1
        assert ingest_con(con, [enterprises_csv]).snapshot == 2  # id read inside the committing transaction
        assert con.execute("SELECT count(*) FROM enterprise_years_at(2)").fetchall() == [(20,)]
        # a refused batch rolls its transaction back: nothing written, the connection free for the next one
        bad = write_csv(enterprises_csv.with_name("bad.csv"), ENT_HEADERS, [["x", "n", "GX001", 2024, 1, 1, 1, "是"]])
        assert ingest_con(con, [bad], strict=True).exit_code == 1
        assert con.execute("SELECT max(id), count(*) FROM snapshot").fetchall() == [(2, 2)]
        assert con.execute("SELECT count(*) FROM enterprise_year WHERE valid_from > 2").fetchall() == [(0,)]
        assert ingest_con(con, [zones_csv]).snapshot == 3
    finally:
        con.close()
