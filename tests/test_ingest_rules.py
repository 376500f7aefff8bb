"""Ingest rules as a strict model, non-finite numbers, exact storage types, and user text that looks like SQL."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import openpyxl
import pytest

from conftest import ENT_HEADERS, ZONE_HEADERS, ingest_path, write_csv
from gaoxin.config import ConfigError, load_toml
from gaoxin.ingest import contract
from gaoxin.ingest.contract import IngestRules
from gaoxin.store import db as store_db

NON_FINITE = ["inf", "-inf", "nan", "NaN", "Infinity", "1e400", "-1E999"]


def stored(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _rows_with(enterprises_rows, col, values):
    rows = [list(r) for r in enterprises_rows]
    for i, v in enumerate(values):
        rows[i][col] = v
    return rows


def _check_non_finite(r, file, col, values, sheet=None):
    errs = [i for i in r.batch.issues if i.severity == "error" and "finite" in i.reason_en]
    # header in row 1, rows[i] is row i + 2; every non-finite cell named by file, row and column
    assert sorted(e.row for e in errs) == [i + 2 for i in range(len(values))], [e.reason_en for e in r.batch.issues]
    for e in errs:
        assert (e.file, e.sheet, e.column) == (str(file), sheet, ENT_HEADERS[col])
        assert "有限数值" in e.reason_zh
    assert r.rejected == len(values) and r.accepted == 22 - len(values)


@pytest.mark.parametrize("col", [4, 5, 6])  # revenue (required money), employees (count), R&D expense (money)
def test_non_finite_numbers_rejected_csv(db, tmp_path, zones_csv, enterprises_rows, col):
    rows = _rows_with(enterprises_rows, col, NON_FINITE)
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest_path([zones_csv, f], db)
    _check_non_finite(r, f, col, NON_FINITE)
    assert stored(db, "SELECT count(*) FROM enterprise_years_at(1) WHERE NOT isfinite(revenue::DOUBLE)") == [(0,)]


def test_non_finite_numbers_rejected_xlsx(db, tmp_path, zones_csv, enterprises_rows):
    rows = _rows_with(enterprises_rows, 4, NON_FINITE)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(ENT_HEADERS)
    for row in rows:
        ws.append(row)
    f = tmp_path / "ent.xlsx"
    wb.save(f)
    r = ingest_path([zones_csv, f], db)
    _check_non_finite(r, f, 4, NON_FINITE, sheet="企业")


def test_too_large_for_the_exact_type_is_rejected(db, tmp_path, zones_csv, enterprises_rows):
    rows = _rows_with(enterprises_rows, 4, ["1e15", "999999999999999"])  # the second one fits
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest_path([zones_csv, f], db)
    errs = [i for i in r.batch.issues if i.severity == "error"]
    assert [(e.row, e.column) for e in errs] == [(2, ENT_HEADERS[4])] and "过大" in errs[0].reason_zh


def test_money_and_counts_are_stored_exactly(db, tmp_path, zones_csv, enterprises_rows):
    rows = [list(r) for r in enterprises_rows]
    rows[0][4] = "1234.5678"  # 千元 below 1 元: rounded to 元
    heads = list(ENT_HEADERS)
    f = write_csv(tmp_path / "ent.csv", heads, rows)
    ingest_path([zones_csv, f], db)
    types = dict(stored(db, "SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_name = 'enterprise_year'"))
    assert types["revenue"] == types["rd_expense"] == types["energy_tce"] == "DECIMAL(18,3)"
    assert types["employees"] == types["patent_applications"] == "BIGINT"
    assert stored(db, f"SELECT revenue FROM enterprise_year WHERE credit_code = '{rows[0][0]}' AND year = 2022") == [
        (Decimal("1234.568"),)]


def test_migration_upgrades_an_existing_store(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR,"
                " applied_at TIMESTAMP DEFAULT current_timestamp)")
    for version, name, sql in store_db.migrations()[:2]:  # a store made before migration 003
        con.execute(sql)
        con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
    con.execute("INSERT INTO enterprise_year (row_id, valid_from, credit_code, year, name, zone_id, revenue, employees)"
                " VALUES (1, 1, 'X', 2024, 'n', 'GX001', 0.1 + 0.2, 3)")
    con.close()
    con = store_db.connect(db)
    try:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(store_db.latest_version(),)]
        assert con.execute("SELECT revenue, typeof(revenue) FROM enterprise_year").fetchall() == [
            (Decimal("0.300"), "DECIMAL(18,3)")]
    finally:
        con.close()


# ------------------------------------------------------------------ the rules file as a model

def test_rules_are_a_strict_model_with_defaults():
    r = contract.rules()
    assert isinstance(r, IngestRules)
    assert r == IngestRules()  # the shipped file only comments the defaults
    assert "—" in r.missing.tokens and r.warnings.max_growth_ratio == 10.0


def test_misspelt_rule_is_an_error_naming_key_and_line(tmp_path):
    f = tmp_path / "rules.toml"
    f.write_text("[warnings]\nmax_growth_ration = 5\n", "utf-8")
    with pytest.raises(ConfigError) as e:
        load_toml(f, IngestRules)
    msg = str(e.value)
    assert "warnings.max_growth_ration" in msg and "line 2" in msg and "max_growth_ratio" in msg


def test_rd_expense_warning_follows_its_rule(db, tmp_path, zones_csv, enterprises_rows, monkeypatch):
    rows = [list(r) for r in enterprises_rows]
    rows[0][6] = rows[0][4] * 2  # R&D above revenue
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest_path([zones_csv, f], db)
    assert [i.row for i in r.batch.issues if i.severity == "warning"] == [2]
    off = IngestRules.model_validate({"warnings": {"rd_expense_over_revenue": False}})
    monkeypatch.setattr(contract, "rules", lambda: off)
    r = ingest_path([zones_csv, f], tmp_path / "other.duckdb")
    assert [i for i in r.batch.issues if i.severity == "warning"] == [] and r.accepted == 22


# ------------------------------------------------------------------ user text reaches SQL only as parameters

PAYLOADS = ["x'); DROP TABLE audit_log; --", "GX001' OR '1'='1", "a\"; DELETE FROM enterprise_year; --"]


def test_sql_payloads_in_names_and_cells_change_nothing(db, tmp_path, zones_csv, enterprises_csv, enterprises_rows):
    assert ingest_path([zones_csv, enterprises_csv], db).snapshot == 1
    snap1 = "SELECT count(*), sum(revenue), count(DISTINCT name) FROM enterprise_years_at(1)"
    before, audits = stored(db, snap1), stored(db, "SELECT count(*) FROM audit_log")[0][0]
    d = tmp_path / PAYLOADS[0].replace("/", "_")
    d.mkdir()
    rows = [list(r) for r in enterprises_rows]
    rows[0][1] = PAYLOADS[0]  # a firm name
    rows[1][2] = PAYLOADS[1]  # a zone code: unknown zone, rejected
    rows[2][4] = PAYLOADS[2]  # a number cell: rejected
    f = write_csv(d / "企业'; DROP TABLE snapshot; --.csv", ENT_HEADERS, rows)
    zones = write_csv(d / "zones'--.csv", [*ZONE_HEADERS, PAYLOADS[0]], [["GX003", "园'区", "省级", "44", "市", "1"]])
    wb = openpyxl.Workbook()
    wb.active.title = PAYLOADS[0]  # a sheet name
    wb.active.append(ENT_HEADERS)
    wb.active.append([*rows[0][:3], 2024, *rows[0][4:]])
    x = d / "book'.xlsx"
    wb.save(x)
    r = ingest_path([zones, f, x], db, snapshot_name=PAYLOADS[1])
    assert r.snapshot == 2 and {(e.file, e.row) for e in r.batch.issues if e.severity == "error"} == {
        (str(f), 3), (str(f), 4)}
    assert stored(db, "SELECT id, name FROM snapshot ORDER BY id")[1] == (2, PAYLOADS[1])
    assert stored(db, "SELECT count(*) FROM audit_log")[0][0] == audits + 1  # this ingest's own entry only
    assert stored(db, snap1) == before  # snapshot 1 exactly as it was
    names = [n for (n,) in stored(db, "SELECT name FROM enterprise_years_at(2)")]
    assert names.count(PAYLOADS[0]) == 2  # stored as written, CSV and sheet
    assert stored(db, "SELECT DISTINCT source_file FROM enterprise_year WHERE valid_from = 2 ORDER BY 1") == sorted(
        [(str(f),), (str(x),)])
    assert stored(db, "SELECT zone_id, name FROM zones_at(2) WHERE zone_id = 'GX003'") == [("GX003", "园'区")]


def test_lines_of_every_reading_pass_keep_values_and_row_numbers(db, tmp_path, zones_csv, enterprises_rows):
    """Plain typed read, the second DuckDB pass (tokens, separators) and the Python text path agree."""
    rows = [list(r) for r in enterprises_rows]
    rows[0][4] = "1,234"  # second pass: thousands separator
    rows[1][6] = "—"  # second pass: missing token in an optional number
    rows[2][4] = "１２３"  # text path: full-width digits
    rows[3][4] = "abc"  # text path: not a number -> rejected, row 5
    rows[9][5] = "-2"  # plain pass: negative count -> rejected, row 11 (after all the lines set aside)
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows)
    r = ingest_path([zones_csv, f], db)
    errs = sorted((e.row, e.column) for e in r.batch.issues if e.severity == "error")
    assert errs == [(5, ENT_HEADERS[4]), (11, ENT_HEADERS[5])]
    got = dict(((c, y), (rev, rd)) for c, y, rev, rd in stored(
        db, "SELECT credit_code, year, revenue, rd_expense FROM enterprise_years_at(1)"))
    assert got[(rows[0][0], rows[0][3])][0] == Decimal("1234")
    assert got[(rows[1][0], rows[1][3])][1] is None
    assert got[(rows[2][0], rows[2][3])][0] == Decimal("123")
    assert stored(db, "SELECT source_row FROM enterprise_year WHERE credit_code = "
                      f"'{rows[2][0]}' AND year = {rows[2][3]}") == [(4,)]


def test_gbk_in_two_iconv_parts_keeps_row_numbers(db, tmp_path, zones_csv, enterprises_rows, monkeypatch):
    import shutil

    import gaoxin.ingest.encoding as enc_mod

    if shutil.which("iconv") is None:
        pytest.skip("no iconv on this system")
    monkeypatch.setattr(enc_mod, "ICONV_SPLIT_BYTES", 64)  # two parts, read by DuckDB as one table
    rows = [list(r) for r in enterprises_rows]
    rows[1][4] = "abc"  # first part: text path, row 3
    rows[15][4] = "1,5"  # second part: second pass, accepted as 15
    rows[17][5] = "-1"  # second part: plain pass, row 19
    f = write_csv(tmp_path / "ent.csv", ENT_HEADERS, rows, encoding="gbk")
    r = ingest_path([zones_csv, f], db)
    assert sorted(e.row for e in r.batch.issues if e.severity == "error") == [3, 19]
    assert stored(db, "SELECT source_row, revenue FROM enterprise_year WHERE credit_code = "
                      f"'{rows[15][0]}' AND year = {rows[15][3]}") == [(17, Decimal("15"))]
    assert stored(db, "SELECT count(*), min(source_row), max(source_row) FROM enterprise_years_at(1)") == [(18, 2, 21)]
