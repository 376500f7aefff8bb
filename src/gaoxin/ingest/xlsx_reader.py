"""Workbook input (.xlsx/.xlsm/.xlsb/.xls/.ods): cells via python-calamine, one RawTable per sheet.

Every worksheet is a candidate table; its header is found with
:func:`gaoxin.ingest.headers.find_header`.  Merged ranges are filled with
their anchor value everywhere (header *and* data, e.g. a zone code merged
over its enterprises).  Numbers are rendered as the shortest text that parses
back to the same double, integers without '.0' ('1234', '0.1', '1e-07'); dates
as ISO, booleans as '1'/'0'.  All-empty rows are left out of the frame;
'合计' rows are kept (the caller drops totals).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.headers import HEADER_SCAN_ROWS, MAX_HEADER_DEPTH, find_header, header_span, named_table
from gaoxin.ingest.raw_table import Progress, RawTable

__all__ = ["OLE_MAGIC", "ZIP_MAGIC", "bad_excel", "read_excel"]

ZIP_MAGIC = b"PK\x03\x04"  # .xlsx/.xlsm/.xlsb/.ods are zip archives
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE2 container)


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
    """Open the workbook by path when signature and suffix agree, else by content; failures -> ReadError."""
    from python_calamine import CalamineWorkbook

    suffix = path.suffix.lower()
    by_path = (magic.startswith(ZIP_MAGIC) and suffix in {".xlsx", ".xlsm", ".xlsb", ".ods"}) or (
        magic.startswith(OLE_MAGIC) and suffix == ".xls"
    )
    with calamine_errors(source):
        if by_path:
            return CalamineWorkbook.from_path(str(path))
        with open(path, "rb") as f:  # content decides (e.g. an .xlsx renamed to .xls)
            return CalamineWorkbook.from_filelike(f)


@contextlib.contextmanager
def calamine_errors(source: str):
    """Turn any calamine failure, including a Rust panic (a BaseException), into ReadError."""
    try:
        yield
    except Exception as e:
        raise bad_excel(source, e) from e
    except BaseException as e:
        if _is_panic(e):
            raise bad_excel(source, e) from None
        raise


def bad_excel(source: str, e: BaseException) -> ReadError:
    """The ReadError for a file that is damaged or not a workbook at all."""
    return ReadError(
        source,
        en=f"cannot read the Excel file (damaged or not a workbook): {e}",
        zh=f"无法读取 Excel 文件（文件已损坏或不是工作簿）：{e}",
    )


def _sheet_table(source: str, name: str, rows: list[list[Any]], merges: Sequence[Any]) -> RawTable:
    """Header detection and data frame for one sheet."""
    import pandas as pd

    ncols = max((len(r) for r in rows), default=0)
    forced = named_table(name)
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
    notes = [f"header in row {header_span(found)}"]
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


def read_excel(path: Path, source: str, magic: bytes, progress: Progress | None) -> list[RawTable]:
    """Every worksheet is a candidate table; unrecognised sheets come back with table=None."""
    if magic.startswith(ZIP_MAGIC):  # declared sizes checked before calamine allocates them
        from gaoxin.ingest.contract import rules
        from gaoxin.ingest.workbook_guard import check_workbook

        check_workbook(path, source, rules().workbook, rules().limits.max_columns)
    wb = _open_workbook(path, source, magic)
    total = path.stat().st_size
    out: list[RawTable] = []
    try:
        metas = [m for m in wb.sheets_metadata if str(m.typ).endswith("WorkSheet")]
        for i, meta in enumerate(metas):
            with calamine_errors(source):
                sheet = wb.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False)
                merges = sheet.merged_cell_ranges or []
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
