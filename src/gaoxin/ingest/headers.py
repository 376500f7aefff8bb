"""Header detection: which rows are the header, which table it is, what each column means.

Input files carry title rows above the header, a "单位：万元" line, headers over
up to three (merged) rows and units in a row of their own.  :func:`find_header`
scores every block of 1–3 rows near the top against each table of the contract
and returns the header text per column completed so that
:func:`gaoxin.ingest.contract.match_header` finds the column *and* its unit:

* multi-row headers are joined top-down, a part that is only a unit becomes
  '（unit）', and group headers are dropped when the rest matches better;
* a table-wide unit line ('单位：万元') is appended to money headers that carry
  no unit of their own;
* the '甲 乙 1 2 3 …' column-code row under a statistical form's header is
  skipped;
* a header that reads like an enterprise table but is really a wide zone-facts
  table (zone, year, one column per indicator) is recognised as zone facts.

Works on rows of ``str | None`` cells and knows nothing about CSV or Excel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from gaoxin.ingest import contract

__all__ = [
    "HEADER_SCAN_ROWS",
    "MAX_HEADER_DEPTH",
    "HeaderFound",
    "find_header",
    "header_span",
    "is_wide_facts",
    "named_table",
]

HEADER_SCAN_ROWS = 15  # the header row must start within the first 15 rows
MAX_HEADER_DEPTH = 3  # a header spans at most 3 rows (group / name / unit)
MIN_SCORE = 2  # recognised columns needed to accept a table found by header only
MIN_SCORE_NAMED = 1  # ... when the sheet/file name already says which table it is


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


def header_span(found: HeaderFound) -> str:
    """The header's 1-based rows as the user sees them ('3' or '2-4'), for the notes."""
    top, bottom = found.top + 1, found.bottom + 1
    return f"{top}-{bottom}" if bottom > top else str(top)


def named_table(name: str) -> str | None:
    """Table whose sheet_names contain ``name`` (sheet name or CSV file stem)."""
    n = contract.normalise_header(name)
    for t, spec in contract.tables().items():
        if n in {contract.normalise_header(s) for s in spec.sheet_names}:
            return t
    return None
