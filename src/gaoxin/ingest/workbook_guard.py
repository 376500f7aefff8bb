"""Hostile-workbook checks made on the zip container before any cell is loaded.

calamine allocates a sheet's whole declared range: a 5 KB .xlsx whose
``<dimension ref="A1:XFD1048576"/>`` (or one far-away cell) claims 17 billion
cells aborts the process asking for hundreds of GB.  Here the declared and the
used ranges, the inflated size of all parts and of the shared strings are
checked against ``IngestRules.workbook`` first; a refusal names the sheet and
the limit, in Chinese and English.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.rules import WorkbookLimits

_WIDE = re.compile(rb'r="([B-Z][A-Z]|[A-Z]{3})[0-9]')  # a cell reference in column BA (53) or beyond
_ROW = re.compile(rb'row\b[^>]*?\br="(\d{1,7})"')
NARROW = 52  # columns A..AZ: never collected one by one (most sheets stop there), counted as 52
# literal-first patterns (any namespace prefix, any attribute order) so the regex engine can skip ahead
_DIM = re.compile(rb'dimension\b[^>]*?\bref="(?:[A-Z]{1,3}\d{1,7}:)?([A-Z]{1,3})(\d{1,7})"')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"|'
                  rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
MB = 2**20
CHUNK = 4 * MB


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _sheet_names(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → sheet name (best effort; unnamed parts keep their file name)."""
    try:
        wb, rels = z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        t = target.decode(errors="replace").lstrip("/")
        targets[rid.decode()] = t if t.startswith("xl/") else "xl/" + t
    return {targets.get(rid.decode(), ""): name.decode(errors="replace") for name, rid in _SHEET.findall(wb)}


def _used_range(z: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """(rows, columns) of the range a sheet declares, or of its farthest cell when larger.

    Only row numbers and references from column BA on are collected (a sheet in
    A–AZ counts as 52 columns wide), so the scan runs near the speed of the
    decompression instead of one regex match per cell.
    """
    rows, cols, tail = 0, NARROW, b""
    with z.open(part) as f:
        while chunk := f.read(CHUNK):
            data = tail + chunk
            for m in _DIM.finditer(data):
                cols, rows = max(cols, _col(m.group(1))), max(rows, int(m.group(2)))
            wide = set(_WIDE.findall(data))
            if wide:
                cols = max(cols, *(_col(c) for c in wide))
            rnums = _ROW.findall(data)
            if rnums:
                rows = max(rows, max(map(int, rnums)))
            tail = data[-64:]
    return rows, cols


def _used_cells(z: zipfile.ZipFile, part: str) -> int:
    rows, cols = _used_range(z, part)
    return rows * cols


def check_workbook(path: Path, source: str, limits: WorkbookLimits, max_columns: int | None = None) -> None:
    """Refuse an .xlsx/.xlsm that breaks a limit; a damaged zip is left to the reader, which names the damage.

    ``max_columns``: ``limits.max_columns`` of the ingest rules (sheets wider than it are refused).
    """
    try:
        with zipfile.ZipFile(path) as z:
            _check(z, source, limits, max_columns)
    except ReadError:
        raise
    except Exception:  # damaged in any way zipfile can tell (bad CRC, unknown zip version …): the reader says so
        return


def _check(z: zipfile.ZipFile, source: str, limits: WorkbookLimits, max_columns: int | None) -> None:
    infos = z.infolist()
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_mb * MB:
        raise ReadError(source, en=f"the workbook inflates to {total / MB:,.0f} MiB, more than the limit of "
                                   f"{limits.max_uncompressed_mb} MiB (workbook.max_uncompressed_mb)",
                        zh=f"工作簿解压后 {total / MB:,.0f} MiB，超过上限 {limits.max_uncompressed_mb} MiB"
                           "（workbook.max_uncompressed_mb）")
    for i in infos:
        if i.filename.lower().endswith("sharedstrings.xml") and i.file_size > limits.max_shared_strings_mb * MB:
            raise ReadError(source, en=f"the workbook's text cells take {i.file_size / MB:,.0f} MiB, more than "
                                       f"{limits.max_shared_strings_mb} MiB (workbook.max_shared_strings_mb)",
                            zh=f"工作簿文本单元格共 {i.file_size / MB:,.0f} MiB，超过上限 "
                               f"{limits.max_shared_strings_mb} MiB（workbook.max_shared_strings_mb）")
    names = _sheet_names(z)
    for i in infos:
        if not (i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")):
            continue
        rows, cols = _used_range(z, i.filename)
        cells = rows * cols
        sheet = names.get(i.filename, Path(i.filename).stem)
        if cells > limits.max_cells:
            raise ReadError(source, en=f"sheet {sheet!r} declares or uses {cells:,} cells, more than the limit of "
                                       f"{limits.max_cells:,} (workbook.max_cells)",
                            zh=f"工作表“{sheet}”声明或使用了 {cells:,} 个单元格，超过上限 {limits.max_cells:,}"
                               "（workbook.max_cells）")
        if max_columns is not None and cols > max_columns:
            raise ReadError(source, en=f"sheet {sheet!r} declares or uses {cols:,} columns, more than the limit of "
                                       f"{max_columns:,} (limits.max_columns)",
                            zh=f"工作表“{sheet}”声明或使用了 {cols:,} 列，超过上限 {max_columns:,}"
                               "（limits.max_columns）")
