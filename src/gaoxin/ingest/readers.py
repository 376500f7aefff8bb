"""The file-reading layer of ingest: find the table, its header and the raw cells.

Input files are CSV (UTF-8 or GBK/GB18030) or Excel workbooks as statistics
offices really produce them: title rows above the header, a "单位：万元" line,
headers over several merged rows, units in a second header row.  This module
only locates things; every cell stays a string and all parsing/validation
happens later in SQL.  What it returns per table:

* ``headers``: header text per column, completed so that
  :func:`gaoxin.ingest.contract.match_header` finds the column *and* its unit
  (multi-row headers are joined, a table-wide unit line is appended to money
  headers that carry no unit of their own);
* where the data cells are: a UTF-8 CSV (``csv_path`` minus ``csv_skip``
  leading lines) for text files, a DataFrame of strings for Excel;
* the row number the user sees for every data row, so that a rejection can
  say "row 1234".

Row numbers of CSV data: data line ``i`` (0-based, after ``csv_skip``) of
``csv_path`` is the user's line ``first_data_row + i``.  This counts physical
lines; a quoted field spanning several lines shifts the numbers after it
(rare in statistical returns, accepted).  DuckDB's reader silently skips blank
lines (even with auto_detect=false), which would shift the numbering, so:

* a UTF-8 file without blank lines inside its data is not copied at all:
  ``csv_path`` is the user's file and ``csv_skip`` = ``first_data_row - 1``;
* any other file (GBK/GB18030, UTF-16, or UTF-8 with inner blank lines) is
  written once, streaming, as UTF-8 into ``workdir`` holding only the data
  lines (``csv_skip`` = 0), blank lines replaced by a row of empty fields.
  GBK/GB18030 without blank lines goes through the system ``iconv`` (see
  :func:`gaoxin.ingest.encoding.iconv_to_utf8`), everything else through
  Python's codec.

Excel: cells are read with python-calamine.  Merged ranges are filled with
their anchor value everywhere (header *and* data, e.g. a zone code merged
over its enterprises).  Numbers are rendered as the shortest text that parses
back to the same double, integers without '.0' ('1234', '0.1', '1e-07'); dates
as ISO, booleans as '1'/'0'.  All-empty rows are left out of the frame;
'合计' rows are kept (the caller drops totals).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaoxin.ingest import contract
from gaoxin.ingest.encoding import (
    BROKEN_UTF8_EXTRA,
    HEAD_BYTES,
    DecodeFailure,
    LineStream,
    bad_bytes,
    broken_utf8,
    detect_encoding,
    iconv_to_utf8,
    iter_decoded,
    line_of_offset,
    read_head,
    scan_utf8,
    sniff_encoding,
    write_utf8,
)
from gaoxin.ingest.errors import ReadError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RawTable", "detect_encoding", "find_header", "read_file"]

HEADER_SCAN_ROWS = 15  # the header row must start within the first 15 rows
MAX_HEADER_DEPTH = 3  # a header spans at most 3 rows (group / name / unit)
MIN_SCORE = 2  # recognised columns needed to accept a table found by header only
MIN_SCORE_NAMED = 1  # ... when the sheet/file name already says which table it is
DELIMITERS = (",", "\t", ";")
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Progress = Callable[[int, int], None]


@dataclass
class RawTable:
    """One table found in an input file (a CSV, or one sheet of a workbook)."""

    source: str  # the file path as given by the user
    sheet: str | None  # Excel sheet name, None for CSV
    table: str | None  # 'zones' | 'enterprises' | 'zone_facts' (None if unrecognised)
    headers: list[str]  # header text per column (multi-row headers joined, unit line applied)
    first_data_row: int  # 1-based row (as the user sees it) of the first data row; 0 if none
    # UTF-8 CSV with the data rows, for DuckDB read_csv(all_varchar=true, header=false,
    # skip=csv_skip, delim=csv_delimiter).  For a clean UTF-8 file this is the user's
    # own file (no copy) and csv_skip = first_data_row - 1; otherwise a copy in workdir
    # holding only data rows and csv_skip = 0.
    csv_path: Path | None = None
    csv_delimiter: str = ","
    # Excel: data rows only, cells str or None, columns c0..c{n-1}, int column "_row"
    # = 1-based Excel row.  All-empty rows are left out (their _row is simply missing).
    frame: pd.DataFrame | None = None
    encoding: str | None = None  # CSV: 'utf-8', 'utf-8-sig', 'gb18030', 'utf-16'...
    csv_skip: int = 0  # leading lines of csv_path that are not data (title + header)
    notes: list[str] = field(default_factory=list)  # what the reader decided, for the log


# --------------------------------------------------------------------------- headers


@dataclass
class HeaderFound:
    """Result of :func:`find_header` (row indices are 0-based into the given rows)."""

    table: str
    top: int
    bottom: int  # last header row; data start at bottom + 1 (+1 if a column-code row)
    headers: list[str]
    score: int
    data_start: int  # 0-based index of the first data row
    unit_line: str | None = None  # money unit from a '单位：万元' line, if applied


@cache
def _match(table: str, text: str) -> contract.HeaderMatch:
    return contract.match_header(table, text)


@cache
def _all_units() -> frozenset[str]:
    return frozenset(u for m in contract.units().values() for u in m)


_UNIT_PREFIX = re.compile(r"^(?:计量)?单位[:：]?")
_BRACKETS = "()[]（）【】"


@cache
def _unit_only(part: str) -> str | None:
    """'万元', '（万元）', '单位：万元' -> '万元'; None if the text is not just a unit."""
    n = _UNIT_PREFIX.sub("", contract.normalise_header(part)).strip(_BRACKETS)
    return n if n in _all_units() else None


@cache
def _trailing_unit(part: str) -> str | None:
    """The unit a header part carries: its bracketed unit or the part itself."""
    u = _unit_only(part)
    if u:
        return u
    _base, unit = contract.split_unit(part)
    return unit if unit in _all_units() else None


def _unit_fits(table: str, column: str, unit: str | None) -> bool:
    """Is ``unit`` one of the units of the column's dimension (not just any unit)?"""
    dim = contract.tables()[table].column(column).dim
    return unit is not None and unit in contract.units().get(dim, {})


def _join(parts: Sequence[str]) -> str:
    """Join header parts top-down; a part that is only a unit becomes '（unit）'."""
    out = ""
    for p in parts:
        u = _unit_only(p)
        if u and out:
            out += f"（{u}）"
        else:
            out = f"{out} {p}" if out else p
    return out


@cache
def _resolve_column(table: str, parts: tuple[str, ...]) -> tuple[str, contract.HeaderMatch | None]:
    """Best header text for one column whose header cells read ``parts`` (top-down).

    Try the full join first, then drop group headers from the top ('主要经济指标
    营业收入（千元）' -> '营业收入（千元）').  A suffix without a unit inherits the
    unit of a dropped group part ('金额（万元）' over '营业收入') when the result
    is a valid unit for the column.
    """
    if not parts:
        return "", None
    for i in range(len(parts)):
        base = _join(parts[i:])
        m = _match(table, base)
        if m.column is None:
            continue
        if m.unit is None and i:
            for above in reversed(parts[:i]):
                u = _trailing_unit(above)
                if u:
                    if _unit_fits(table, m.column, u):
                        with_unit = f"{base}（{u}）"
                        return with_unit, _match(table, with_unit)
                    break
        return base, m
    return _join(parts), None


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    s = v if isinstance(v, str) else str(v)
    s = s.strip()
    return s or None


def _block_parts(
    rows: Sequence[Sequence[str | None]], top: int, bottom: int, ncols: int
) -> list[tuple[str, ...]]:
    """Per column, the distinct non-empty header texts of rows top..bottom, top-down."""
    cols: list[tuple[str, ...]] = []
    for c in range(ncols):
        parts: list[str] = []
        for r in range(top, bottom + 1):
            row = rows[r]
            t = _cell_text(row[c]) if c < len(row) else None
            if t and t not in parts:
                parts.append(t)
        cols.append(tuple(parts))
    return cols


_UNIT_LINE = re.compile(r"单位\s*[:：]\s*([^\s,，;；、)）\]】]+)")
_COLUMN_CODE = re.compile(r"^(?:[甲乙丙丁戊己庚辛壬癸]|\d{1,3})$")


def _money_unit_line(rows: Sequence[Sequence[str | None]], upto: int) -> str | None:
    """A '单位：万元' / '金额单位：千元' cell in the rows above the data."""
    money = contract.units().get("money", {})
    for r in range(min(upto, len(rows))):
        for cell in rows[r]:
            t = _cell_text(cell)
            if not t or "单位" not in t:
                continue
            for m in _UNIT_LINE.finditer(t):
                u = contract.normalise_header(m.group(1))
                if u in money:
                    return u
    return None


def _is_column_code_row(row: Sequence[str | None]) -> bool:
    """The '甲 乙 1 2 3 …' row that statistical forms put under the header."""
    cells = [t for t in (_cell_text(c) for c in row) if t]
    return len(cells) >= 2 and all(_COLUMN_CODE.match(t) for t in cells)


def find_header(
    rows: Sequence[Sequence[str | None]],
    forced: str | None = None,
) -> HeaderFound | None:
    """Locate the header block in the first rows and say which table it belongs to.

    Every block of 1..3 consecutive rows starting in the first 15 rows is scored
    per table with ``header_score`` semantics (distinct recognised columns).
    The best block wins by (score, share of required columns, columns with a
    unit, fewer rows, earlier).  A block that reaches into the data scores
    lower, because joined texts such as '企业名称 比亚迪' match nothing.
    ``forced`` restricts the search to one table (sheet or file name said so).
    Returns None when fewer than MIN_SCORE (MIN_SCORE_NAMED if forced) columns
    are recognised.
    """
    if not rows:
        return None
    ncols = max((len(r) for r in rows[: HEADER_SCAN_ROWS + MAX_HEADER_DEPTH]), default=0)
    specs = contract.tables()
    names = [forced] if forced else list(specs)
    best: tuple | None = None
    best_val: tuple[str, int, int, list[str], int] | None = None
    for top in range(min(HEADER_SCAN_ROWS, len(rows))):
        if not any(_cell_text(c) for c in rows[top]):
            continue
        for depth in range(1, MAX_HEADER_DEPTH + 1):
            bottom = top + depth - 1
            if bottom >= len(rows):
                break
            parts = _block_parts(rows, top, bottom, ncols)
            for t in names:
                headers, matched, nunits = [], set(), 0
                for p in parts:
                    text, m = _resolve_column(t, p)
                    headers.append(text)
                    if m is not None and m.column:
                        matched.add(m.column)
                        nunits += _unit_fits(t, m.column, m.unit)
                required = specs[t].required
                req = len(matched & set(required)) / max(1, len(required))
                key = (len(matched), req, nunits, -depth, -top)
                if best is None or key > best:
                    best, best_val = key, (t, top, bottom, headers, len(matched))
    if best_val is None:
        return None
    table, top, bottom, headers, score = best_val
    if table == "enterprises" and not forced:
        wide = _wide_facts_headers(rows, top, bottom, ncols)
        if wide is not None:
            table, headers, score = "zone_facts", wide, 2
    if score < (MIN_SCORE_NAMED if forced else MIN_SCORE):
        return None
    data_start = bottom + 1
    if data_start < len(rows) and _is_column_code_row(rows[data_start]):
        data_start += 1
    unit = _money_unit_line(rows, bottom + 1)
    if unit:
        headers = [_apply_unit(table, h, unit) for h in headers]
    return HeaderFound(table, top, bottom, headers, score, data_start, unit)


# Columns that make a header an enterprise table, not a wide zone-facts table (see is_wide_facts).
_ENTERPRISE_MARKERS = frozenset({"credit_code", "name", "revenue", "employees"})


def _wide_facts_headers(
    rows: Sequence[Sequence[str | None]], top: int, bottom: int, ncols: int
) -> list[str] | None:
    """Headers of a wide zone-facts table ('园区代码, 年份, gdp, 绿化覆盖率 …'), else None.

    Such a header also matches the enterprise table on 园区代码 and 年份 (and
    may match more on indicator codes such as 净利润).  It is zone facts when it
    has zone and year, no 指标/数值 columns, and none of the columns an
    enterprise return cannot do without (credit code, name, revenue, employees).
    """
    facts, ent = [], set()
    for p in _block_parts(rows, top, bottom, ncols):
        text, m = _resolve_column("zone_facts", p)
        facts.append((text, m.column if m else None))
        e = _resolve_column("enterprises", p)[1]
        if e is not None and e.column:
            ent.add(e.column)
    cols = {c for _t, c in facts if c}
    if is_wide_facts(cols) and not ent & _ENTERPRISE_MARKERS:
        return [t for t, _c in facts]
    return None


def is_wide_facts(columns: set[str] | dict[str, int]) -> bool:
    """Matched zone-facts columns say 'wide format': zone and year, no indicator and no value column."""
    return {"zone_id", "year"} <= set(columns) and not {"indicator", "value"} & set(columns)


def _apply_unit(table: str, header: str, unit: str) -> str:
    """'营业收入' + table unit 万元 -> '营业收入（万元）', only for money columns without a unit."""
    if not header:
        return header
    m = _match(table, header)
    if m.column is None or m.unit is not None:
        return header
    if contract.tables()[table].column(m.column).dim != "money":
        return header
    return f"{header}（{unit}）"


def _span(found: HeaderFound) -> str:
    top, bottom = found.top + 1, found.bottom + 1
    return f"{top}-{bottom}" if bottom > top else str(top)


def _named_table(name: str) -> str | None:
    """Table whose sheet_names contain ``name`` (sheet name or CSV file stem)."""
    n = contract.normalise_header(name)
    for t, spec in contract.tables().items():
        if n in {contract.normalise_header(s) for s in spec.sheet_names}:
            return t
    return None


# --------------------------------------------------------------------------- CSV


def _head_lines(path: Path, encoding: str, n: int) -> list[str]:
    """First ``n`` physical lines of the file, decoded (without line ends)."""
    lines: list[str] = []
    carry = ""
    read = 0
    for text in iter_decoded(path, encoding, chunk=64 << 10):
        carry += text
        read += len(text)
        parts = carry.split("\n")
        lines.extend(parts[:-1])
        carry = parts[-1]
        if len(lines) >= n or read > 8 * HEAD_BYTES:
            break
    else:
        if carry:
            lines.append(carry)
    return [ln.removesuffix("\r") for ln in lines[:n]]


def _parse_lines(lines: list[str], delimiter: str) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    for ln in lines:
        try:
            row = next(csv.reader([ln], delimiter=delimiter), [])
        except csv.Error:
            row = ln.split(delimiter)
        rows.append([c if c.strip() else None for c in row])
    return rows


def _no_header(file: str) -> ReadError:
    examples = "统一社会信用代码, 企业名称, 园区代码, 年份, 营业收入"
    return ReadError(
        file,
        en=f"no recognisable header in the first {HEADER_SCAN_ROWS} rows "
        f"(expected column names such as {examples})",
        zh=f"前 {HEADER_SCAN_ROWS} 行中找不到可识别的表头（应包含 {examples} 等列名）",
    )


def _new_output(workdir: Path, path: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=workdir, prefix=f"{path.stem[:40]}.", suffix=".utf8.csv")
    os.close(fd)
    return Path(name)


def _line_offset(path: Path, n: int) -> int:
    """Byte offset just after the ``n``-th newline (where line n + 1 starts)."""
    pos = 0
    with open(path, "rb") as f:
        while n and (b := f.read(HEAD_BYTES)):
            start = 0
            while n:
                i = b.find(b"\n", start)
                if i < 0:
                    break
                start, n = i + 1, n - 1
            pos += start if not n else len(b)
    return pos


def _read_csv(path: Path, source: str, workdir: Path, progress: Progress | None) -> RawTable:
    """Detect encoding, delimiter and header; hand back the data lines (see module doc)."""
    head, at_eof = read_head(path)
    enc = sniff_encoding(head, at_eof, source)
    try:
        lines = _head_lines(path, enc, HEADER_SCAN_ROWS + MAX_HEADER_DEPTH + 1)
    except DecodeFailure as e:  # sniffing saw only the first MB
        raise bad_bytes(source, enc, (e.offset, line_of_offset(path, e.offset))) from None
    forced = _named_table(path.stem)
    found: HeaderFound | None = None
    delim = ","
    for d in DELIMITERS:
        if d != "," and not any(d in ln for ln in lines):
            continue
        f = find_header(_parse_lines(lines, d), forced)
        if f and (found is None or f.score > found.score):
            found, delim = f, d
    if found is None:
        raise _no_header(source)
    skip = found.data_start
    notes = [f"header in line {_span(found)}"]
    if found.unit_line:
        notes.append(f"unit line: money columns without a unit are in {found.unit_line}")
    table = RawTable(
        source=source,
        sheet=None,
        table=found.table,
        headers=found.headers,
        first_data_row=skip + 1,
        csv_delimiter=delim,
        encoding=enc,
        notes=notes,
    )
    ncols = len(found.headers)
    fill = delim * (ncols - 1) if ncols > 1 else '""'

    if enc in ("utf-8", "utf-8-sig"):
        stats: dict[str, int] = {}
        try:
            offset = _line_offset(path, skip)
            blank = scan_utf8(path, enc, offset, progress=progress, stats=stats)
        except DecodeFailure as e:
            if e.extra >= BROKEN_UTF8_EXTRA:
                raise broken_utf8(source, (e.offset, line_of_offset(path, e.offset))) from None
            enc = "gb18030"  # (nearly) ASCII until here, GBK further down
            table.encoding = enc
        else:
            if not blank:
                table.csv_path, table.csv_skip = path.resolve(), skip
                return table
            notes.append("blank lines inside the data: copied with empty rows in their place")

    out = _new_output(workdir, path)
    try:
        # Fast path: the system iconv transcodes the data lines (cut on the raw bytes);
        # a file with blank lines in its data goes the Python way below.
        if iconv_to_utf8(path, enc, out, _line_offset(path, skip)):
            table.csv_path, table.csv_skip = out, 0
            if progress is not None:
                size = path.stat().st_size
                progress(size, size)
            return table
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    try:
        write_utf8(LineStream(skip).segments(iter_decoded(path, enc, progress=progress)), out, fill)
    except DecodeFailure as e:
        out.unlink(missing_ok=True)
        raise bad_bytes(source, enc, (e.offset, line_of_offset(path, e.offset))) from None
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    table.csv_path, table.csv_skip = out, 0
    return table


# --------------------------------------------------------------------------- Excel


def _render(v: Any) -> str | None:
    """One Excel cell as the string the user sees, without losing precision."""
    t = type(v)
    if t is str:
        return v if v and not v.isspace() else None
    if t is float:
        return _format_floats(np.array([v]))[0]
    if v is None:
        return None
    if t is bool:
        return "1" if v else "0"
    if t is int:
        return str(v)
    if t is dt.datetime:
        if v.time() == dt.time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if t in (dt.date, dt.time):
        return v.isoformat()
    return str(v) or None


_EXACT_INT = 2.0**53  # integer-valued floats below this print exactly as integers


def _format_floats(arr: np.ndarray) -> np.ndarray:
    """Floats -> shortest round-trip text, integer values without '.0' (vectorised).

    Python's repr costs ~0.45 µs a cell; Arrow's cast does the same job (shortest
    text that parses back to the same double) several times faster.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.empty(len(arr), dtype=object)
    isint = np.isfinite(arr) & (np.trunc(arr) == arr) & (np.abs(arr) < _EXACT_INT)
    if isint.any():
        ints = pa.array(arr[isint].astype(np.int64)).cast(pa.string())
        out[isint] = ints.to_numpy(zero_copy_only=False)
    rest = ~isint
    if rest.any():
        big = rest & np.isfinite(arr) & (np.trunc(arr) == arr)  # e.g. 1e20: all digits
        out[big] = [str(int(v)) for v in arr[big]]
        other = rest & ~big
        if other.any():
            vals = arr[other]
            txt = pa.array(vals).cast(pa.string())
            texts = txt.to_numpy(zero_copy_only=False)
            # Arrow writes 1234567890123.45 as '1.23456789012345e+12'; users should see
            # what Python (and Excel) show, so exponent forms are redone with repr().
            exp = pc.match_substring(txt, "e").to_numpy(zero_copy_only=False)
            if exp.any():
                texts[exp] = [repr(v) for v in vals[exp].tolist()]
            out[other] = texts
    return out


def _render_column(col: Sequence[Any]) -> np.ndarray:
    """A column of calamine values as an object array of str/None (floats vectorised)."""
    kinds = set(map(type, col))
    if kinds == {float}:
        return _format_floats(np.array(col, dtype=np.float64))
    out = np.array([_render(v) if type(v) is not float else None for v in col], dtype=object)
    if float in kinds:
        isfloat = np.fromiter((type(v) is float for v in col), dtype=bool, count=len(col))
        out[isfloat] = _format_floats(np.array([v for v in col if type(v) is float], np.float64))
    return out


def _fill_merged(rows: list[list[Any]], merges: Sequence[Any], ncols: int) -> None:
    """Copy each merged range's anchor value into the other cells of the range.

    In the header this makes '主要经济指标' (C2:E2) a part of C, D and E and a
    vertically merged '企业名称' (A2:A3) the name of column A in every header
    row.  In the data it repeats, e.g., a zone code merged over its enterprises,
    which is what the sheet shows.
    """
    nrows = len(rows)
    for rng in merges:
        try:
            (r0, c0), (r1, c1) = rng
        except (TypeError, ValueError):
            continue
        if r0 >= nrows or c0 >= ncols:
            continue
        anchor = rows[r0][c0]
        for r in range(r0, min(r1, nrows - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, ncols - 1) + 1):
                if (r, c) != (r0, c0) and (row[c] is None or row[c] == ""):
                    row[c] = anchor


def _is_panic(e: BaseException) -> bool:
    """pyo3 turns Rust panics into PanicException, a BaseException."""
    return type(e).__name__ == "PanicException"


def _open_workbook(path: Path, source: str, magic: bytes):
    from python_calamine import CalamineWorkbook

    suffix = path.suffix.lower()
    by_path = (magic.startswith(_ZIP_MAGIC) and suffix in {".xlsx", ".xlsm", ".xlsb", ".ods"}) or (
        magic.startswith(_OLE_MAGIC) and suffix == ".xls"
    )
    try:
        if by_path:
            return CalamineWorkbook.from_path(str(path))
        with open(path, "rb") as f:  # content decides (e.g. an .xlsx renamed to .xls)
            return CalamineWorkbook.from_filelike(f)
    except Exception as e:
        raise _bad_excel(source, e) from e
    except BaseException as e:
        if _is_panic(e):
            raise _bad_excel(source, e) from None
        raise


def _bad_excel(source: str, e: BaseException) -> ReadError:
    return ReadError(
        source,
        en=f"cannot read the Excel file (damaged or not a workbook): {e}",
        zh=f"无法读取 Excel 文件（文件已损坏或不是工作簿）：{e}",
    )


def _sheet_table(source: str, name: str, rows: list[list[Any]], merges: Sequence[Any]) -> RawTable:
    """Header detection and data frame for one sheet."""
    import pandas as pd

    ncols = max((len(r) for r in rows), default=0)
    forced = _named_table(name)
    _fill_merged(rows, merges, ncols)
    head = [[_render(v) for v in r] for r in rows[: HEADER_SCAN_ROWS + MAX_HEADER_DEPTH + 1]]
    found = find_header(head, forced)
    if found is None:
        return RawTable(source, name, None, [], 0, notes=["no recognisable header: sheet ignored"])
    start = found.data_start
    data = rows[start:]
    columns: dict[str, Any] = {f"c{i}": np.full(len(data), None, object) for i in range(ncols)}
    if data:
        if any(len(r) != ncols for r in data):  # calamine rows are rectangular; be safe
            data = [list(r) + [None] * (ncols - len(r)) for r in data]
        for i, col in enumerate(zip(*data, strict=True)):
            columns[f"c{i}"] = _render_column(col)
    # dtype=object: pandas 3 would otherwise infer its 'str' dtype and turn None into NaN
    frame = pd.DataFrame(columns, dtype=object, copy=False)
    frame["_row"] = np.arange(start + 1, start + 1 + len(data), dtype=np.int64)
    filled = frame.drop(columns="_row").notna().any(axis=1)
    if not filled.all():  # drop all-empty rows (their _row just goes missing)
        frame = frame[filled].reset_index(drop=True)
    headers = found.headers + [""] * (ncols - len(found.headers))
    notes = [f"header in row {_span(found)}"]
    if forced:
        notes.append(f"table chosen by sheet name {name!r}")
    if found.unit_line:
        notes.append(f"unit line: money columns without a unit are in {found.unit_line}")
    return RawTable(
        source=source,
        sheet=name,
        table=found.table,
        headers=headers,
        first_data_row=start + 1,
        frame=frame,
        notes=notes,
    )


def _read_excel(path: Path, source: str, magic: bytes, progress: Progress | None) -> list[RawTable]:
    """Every worksheet is a candidate table; unrecognised sheets come back with table=None."""
    wb = _open_workbook(path, source, magic)
    total = path.stat().st_size
    out: list[RawTable] = []
    try:
        metas = [m for m in wb.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        for i, meta in enumerate(metas):
            try:
                sheet = wb.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False)
                merges = sheet.merged_cell_ranges or []
            except Exception as e:
                raise _bad_excel(source, e) from e
            except BaseException as e:
                if _is_panic(e):
                    raise _bad_excel(source, e) from None
                raise
            out.append(_sheet_table(source, meta.name, rows, merges))
            if progress is not None:
                progress(total * (i + 1) // len(metas), total)
    finally:
        with contextlib.suppress(Exception):
            wb.close()
    if not any(t.table for t in out):
        names = "、".join(t.sheet or "" for t in out) or "-"
        raise ReadError(
            source,
            en=f"no sheet with a recognisable header (sheets: {names})",
            zh=f"没有任何工作表包含可识别的表头（工作表：{names}）",
        )
    return out


# --------------------------------------------------------------------------- entry


def read_file(
    path: str | Path,
    workdir: Path,
    progress: Progress | None = None,
) -> list[RawTable]:
    """Read one input file into raw tables (one for a CSV, one per sheet for Excel).

    The file kind is decided by content (zip/OLE signature) before the suffix,
    so an .xlsx renamed .xls or a tab-separated text saved as .xls still reads.
    Raises ReadError, and only ReadError, when the file cannot be read at all.
    ``progress(done_bytes, total_bytes)`` is called per chunk while a text file
    is validated/transcoded (a UTF-8 file needing a copy reports two passes)
    and per sheet for a workbook.
    """
    source = str(path)
    p = Path(path)
    try:
        if not p.is_file():
            raise ReadError(source, en="file not found", zh="文件不存在")
        with open(p, "rb") as f:
            magic = f.read(8)
        if not magic:
            raise ReadError(source, en="the file is empty", zh="文件为空")
        suffix = p.suffix.lower()
        if magic.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            return _read_excel(p, source, magic, progress)
        if suffix in EXCEL_SUFFIXES - {".xls"}:
            raise _bad_excel(source, ValueError("not a zip archive"))
        if suffix == ".xls" and magic.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<")):
            raise ReadError(
                source,
                en="this .xls is an HTML page, not a workbook; open it in Excel and save as .xlsx",
                zh="该 .xls 文件实为网页（HTML），请用 Excel 打开后另存为 .xlsx",
            )
        return [_read_csv(p, source, Path(workdir), progress)]
    except ReadError:
        raise
    except OSError as e:
        raise ReadError(source, en=f"cannot read the file: {e}", zh=f"无法读取文件：{e}") from e
    except Exception as e:  # contract: callers only ever see ReadError
        raise ReadError(
            source,
            en=f"unexpected error while reading: {type(e).__name__}: {e}",
            zh=f"读取文件时出现意外错误：{type(e).__name__}: {e}",
        ) from e
