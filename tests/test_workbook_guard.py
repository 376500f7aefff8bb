"""Hostile workbooks are refused before calamine allocates what they declare (issue #7 item 7)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ENT_HEADERS
from gaoxin.cli import app
from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.rules import WorkbookLimits
from gaoxin.ingest.workbook_guard import check_workbook


def _workbook(tmp_path: Path, rows, name="企业") -> Path:
    p = tmp_path / "e.xlsx"
    pd.DataFrame(rows, columns=ENT_HEADERS).to_excel(p, sheet_name=name, index=False)
    return p


def _rewrite(path: Path, part: str, fn) -> Path:
    out = path.with_name("hostile.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for i in src.infolist():
            data = src.read(i.filename)
            dst.writestr(i, fn(data) if i.filename == part else data)
    return out


def _sheet_part(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def test_a_declared_range_of_17_billion_cells_is_refused_naming_the_sheet(tmp_path, enterprises_rows):
    ok = _workbook(tmp_path, enterprises_rows)
    check_workbook(ok, "e.xlsx", WorkbookLimits())  # an honest workbook passes
    bad = _rewrite(ok, _sheet_part(ok), lambda d: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"',
                                                         d))
    assert bad.stat().st_size < 10_000
    with pytest.raises(ReadError) as e:
        check_workbook(bad, "hostile.xlsx", WorkbookLimits())
    assert "企业" in str(e.value.en) and "workbook.max_cells" in e.value.en and "上限" in e.value.zh


def test_one_far_away_cell_is_refused_too(tmp_path, enterprises_rows):
    ok = _workbook(tmp_path, enterprises_rows)
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    bad = _rewrite(ok, _sheet_part(ok), lambda d: d.replace(b"</sheetData>", far))
    with pytest.raises(ReadError, match="max_cells"):
        check_workbook(bad, "hostile.xlsx", WorkbookLimits())


def test_inflated_size_and_shared_strings_limits(tmp_path, enterprises_rows):
    ok = _workbook(tmp_path, enterprises_rows)
    with pytest.raises(ReadError, match="max_uncompressed_mb"):
        check_workbook(ok, "e.xlsx", WorkbookLimits(max_uncompressed_mb=0.00001))
    big = [list(r) for r in enterprises_rows]
    for i, r in enumerate(big):  # 20 distinct cells of 30,000 characters (Excel's cap is 32,767): ≈ 1.8 MB of text
        r[1] = f"{i}" + "名" * 30_000
    p = _workbook(tmp_path, big)
    with pytest.raises(ReadError, match="max_shared_strings_mb"):
        check_workbook(p, "e.xlsx", WorkbookLimits(max_shared_strings_mb=0.1))


def test_the_cli_refuses_the_hostile_file_in_one_line(tmp_path, enterprises_rows, zones_csv):
    ok = _workbook(tmp_path, enterprises_rows)
    bad = _rewrite(ok, _sheet_part(ok), lambda d: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"',
                                                         d))
    res = CliRunner().invoke(app, ["ingest", str(zones_csv), str(bad), "--db", str(tmp_path / "s.duckdb"), "--json"],
                             env={"COLUMNS": "300"})
    assert res.exit_code in (0, 1, 2) and "Traceback" not in res.output
    assert "max_cells" in res.output or "max_cells" in str(res.stdout)


def test_used_cells_counts_rows_and_wide_columns(tmp_path):
    import zipfile as zf

    from gaoxin.ingest.workbook_guard import _used_cells

    p = tmp_path / "w.xlsx"
    pd.DataFrame([[i * j for j in range(60)] for i in range(10)], columns=[f"c{j}" for j in range(60)]).to_excel(
        p, index=False)
    with zf.ZipFile(p) as z:
        assert _used_cells(z, _sheet_part(p)) == 11 * 60  # header + 10 rows, columns A..BH
    narrow = tmp_path / "n.xlsx"
    pd.DataFrame([[1, 2, 3]] * 5).to_excel(narrow, index=False)
    with zf.ZipFile(narrow) as z:  # A..AZ counts as 52 columns: the cheap bound
        assert _used_cells(z, _sheet_part(narrow)) == 6 * 52
