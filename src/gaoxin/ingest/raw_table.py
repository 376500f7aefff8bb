"""RawTable: what the readers hand to validation for one table found in a file.

Every cell is still a string; the data sit either in a UTF-8 CSV for DuckDB
(text input) or in a DataFrame of strings (Excel).  See :mod:`gaoxin.ingest.readers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Progress", "RawTable"]

Progress = Callable[[int, int], None]  # progress(done_bytes, total_bytes)


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
    # a transcoded file may come in parts (one per iconv process, csv_skip = 0), read by DuckDB as one
    # table: csv_parts follow csv_path in order, part_lines[i] = data lines before csv_parts[i]
    csv_parts: list[Path] = field(default_factory=list)
    part_lines: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the reader decided, for the log
