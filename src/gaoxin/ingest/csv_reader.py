"""Text input (CSV/TSV): encoding, delimiter, header lines, and the data lines for DuckDB.

The encoding is sniffed from the head of the file (UTF-8, GBK/GB18030,
UTF-16; see :mod:`gaoxin.ingest.encoding`).  The first lines are parsed with
each of ``,``, tab and ``;``; the delimiter whose header scores best wins.

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
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from gaoxin.ingest import contract
from gaoxin.ingest.encoding import (
    BROKEN_UTF8_EXTRA,
    HEAD_BYTES,
    DecodeFailure,
    LineStream,
    bad_bytes,
    broken_utf8,
    iconv_to_utf8,
    iter_decoded,
    line_of_offset,
    read_head,
    scan_utf8,
    sniff_encoding,
    write_utf8,
)
from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.headers import (
    HEADER_SCAN_ROWS,
    MAX_HEADER_DEPTH,
    HeaderFound,
    find_header,
    header_span,
    named_table,
)
from gaoxin.ingest.raw_table import Progress, RawTable

__all__ = ["DELIMITERS", "read_csv"]

DELIMITERS = (",", "\t", ";")


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


def _width(row: list[str | None]) -> int:
    """Columns up to the last non-blank cell."""
    w = len(row)
    while w and row[w - 1] is None:
        w -= 1
    return w


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


def read_csv(path: Path, source: str, workdir: Path, progress: Progress | None) -> RawTable:
    """Detect encoding, delimiter and header; hand back the data lines (see module doc)."""
    head, at_eof = read_head(path)
    enc = sniff_encoding(head, at_eof, source)
    try:
        lines = _head_lines(path, enc, HEADER_SCAN_ROWS + MAX_HEADER_DEPTH + 1)
    except DecodeFailure as e:  # sniffing saw only the first MB
        raise bad_bytes(source, enc, (e.offset, line_of_offset(path, e.offset))) from None
    forced = named_table(path.stem)
    found: HeaderFound | None = None
    delim = ","
    limit = contract.rules().limits.max_columns
    too_wide: tuple[int, int] | None = None  # (line, columns) of the first line over the limit
    for d in DELIMITERS:
        if d != "," and not any(d in ln for ln in lines):
            continue
        rows = _parse_lines(lines, d)
        # header detection scores every cell: a 100,000-column file would take minutes before any refusal
        wide = next(((i + 1, w) for i, r in enumerate(rows) if (w := _width(r)) > limit), None)
        if wide:
            too_wide = too_wide or wide
            continue
        f = find_header(rows, forced)
        if f and (found is None or f.score > found.score):
            found, delim = f, d
    if found is None:
        if too_wide:
            line, width = too_wide
            raise ReadError(source, row=line,
                            en=f"{width:,} columns, more than the limit of {limit:,} (limits.max_columns)",
                            zh=f"共 {width:,} 列，超过上限 {limit:,}（limits.max_columns）")
        raise _no_header(source)
    skip = found.data_start
    notes = [f"header in line {header_span(found)}"]
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
        parts = iconv_to_utf8(path, enc, out, _line_offset(path, skip))
        if parts is not None:
            table.csv_path, table.csv_skip = out, 0
            table.csv_parts, table.part_lines = [p for p, _ in parts], [n for _, n in parts]
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
