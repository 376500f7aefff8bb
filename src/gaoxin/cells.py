"""Spreadsheet safety of every CSV and XLSX gaoxin writes: text that a spreadsheet would run stays text.

A cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return)
is read by Excel and LibreOffice as a formula — a file a zone submitted could
otherwise carry ``=HYPERLINK(…)`` into an official's workbook.  Such text gets
a leading apostrophe; text that is a plain number (``-3``, ``+1.5``) and real
numbers stay as they are.  One function, used by every writer (exports in
``services/export.py``, the rejection report in ``ingest/rejections.py``).
This module sits below every stage: it imports nothing from gaoxin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_text(value: Any) -> Any:
    """``value`` with an apostrophe in front if it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value.strip()):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are safe (numbers untouched)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = df.copy()
    for c in out.columns:
        if is_object_dtype(out[c]) or is_string_dtype(out[c]):
            out[c] = out[c].map(safe_text)
    out.columns = [safe_text(c) for c in out.columns]
    return out
