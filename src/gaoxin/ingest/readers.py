"""The file-reading layer of ingest: find the table, its header and the raw cells.

Input files are CSV (UTF-8 or GBK/GB18030) or Excel workbooks as statistics
offices really produce them: title rows above the header, a "单位：万元" line,
headers over several merged rows, units in a second header row.  This layer
only locates things; every cell stays a string and all parsing/validation
happens later in SQL.  What it returns per table (a :class:`RawTable`):

* ``headers``: header text per column, completed so that
  :func:`gaoxin.ingest.contract.match_header` finds the column *and* its unit
  (multi-row headers are joined, a table-wide unit line is appended to money
  headers that carry no unit of their own);
* where the data cells are: a UTF-8 CSV (``csv_path`` minus ``csv_skip``
  leading lines) for text files, a DataFrame of strings for Excel;
* the row number the user sees for every data row, so that a rejection can
  say "row 1234".

This module is the public entry (:func:`read_file`, :class:`RawTable`) and
decides the file kind; the work is done in

* :mod:`gaoxin.ingest.raw_table` -- the :class:`RawTable` result;
* :mod:`gaoxin.ingest.headers` -- header-row detection and completion;
* :mod:`gaoxin.ingest.csv_reader` -- text files (delimiter, row numbering, UTF-8 copy);
* :mod:`gaoxin.ingest.xlsx_reader` -- workbooks (calamine, merged ranges, cell text);
* :mod:`gaoxin.ingest.encoding` -- encoding sniffing and transcoding.
"""

from __future__ import annotations

from pathlib import Path

from gaoxin.ingest.csv_reader import read_csv
from gaoxin.ingest.encoding import detect_encoding
from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.headers import find_header, is_wide_facts
from gaoxin.ingest.raw_table import Progress, RawTable
from gaoxin.ingest.xlsx_reader import OLE_MAGIC, ZIP_MAGIC, bad_excel, read_excel
from gaoxin.ingest.xlsx_reader import _render_column as _render_column  # re-exported for tests

__all__ = ["RawTable", "detect_encoding", "find_header", "is_wide_facts", "read_file"]

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


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
        if magic.startswith((ZIP_MAGIC, OLE_MAGIC)):
            return read_excel(p, source, magic, progress)
        if suffix in EXCEL_SUFFIXES - {".xls"}:
            raise bad_excel(source, ValueError("not a zip archive"))
        if suffix == ".xls" and magic.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<")):
            raise ReadError(
                source,
                en="this .xls is an HTML page, not a workbook; open it in Excel and save as .xlsx",
                zh="该 .xls 文件实为网页（HTML），请用 Excel 打开后另存为 .xlsx",
            )
        return [read_csv(p, source, Path(workdir), progress)]
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
