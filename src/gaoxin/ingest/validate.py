"""Parse and validate raw tables inside DuckDB, one SQL pass per source.

Why SQL: a return with a million enterprise rows must be validated in
seconds, so every rule (numbers with separators and full-width digits, units,
credit-code check character, ranges, missing tokens) is an expression
evaluated by DuckDB's vectorised engine, never a Python loop per row.

Each source becomes ``raw_<n>`` (the cells as the user wrote them, kept for
messages and the rejection report) and ``stage_<n>``: the typed canonical
columns plus ``_issues``, a list of ``{column, code}`` structs naming every
failed rule of the row.  CSV takes a fast path through DuckDB's typed reader
(plain options, then the missing tokens for the lines it put aside, then the
text path); costly single-cell rules run once per distinct value (credit
codes, low-cardinality coded columns via lookup tables).  Inside the snapshot
transaction the enterprise rows passing every cell rule go straight into the
store and ``stage_<n>`` is a view over them and the few staged rows with
issues (decision 0007).  Values from files and rules are bound parameters
(``ingest/sql.py``).  Batch-wide rules live in ``batch.py``; decision 0002.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import duckdb

from gaoxin.ingest import contract
from gaoxin.ingest.credit_code import sql_is_valid
from gaoxin.ingest.readers import RawTable, is_wide_facts
from gaoxin.ingest.sql import run, word

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space -> ASCII: the
# part of NFKC that matters for numbers and codes, done by DuckDB translate().
_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "

# Messages for issue codes: (English, Chinese).  {x} is filled from context.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("required value missing", "必填项缺失"),
    "not_number": ("not a number", "不是数值"),
    "not_integer": ("not a whole number", "应为整数"),
    "not_finite": ("not a finite number (inf/nan)", "不是有限数值（inf/nan）"),
    "too_large": ("number too large (|value| >= 10^15 in the stored unit)", "数值过大（按存储单位绝对值不小于10^15）"),
    "negative": ("negative value not allowed", "不允许为负数"),
    "not_year": ("not a year", "不是有效年份"),
    "year_range": ("year outside {lo}-{hi}", "年份超出范围 {lo}-{hi}"),
    "not_bool": ("not yes/no (是/否, 1/0, Y/N)", "应为 是/否、1/0 或 Y/N"),
    "credit_code": ("invalid unified social credit code", "统一社会信用代码无效"),
    "industry_code": ("industry code must be 4 digits (GB/T 4754-2017)", "行业代码应为4位数字（GB/T 4754-2017）"),
    "level": ("level must be 国家级/national or 省级/provincial", "级别应为 国家级 或 省级"),
    "province": ("unknown province code (GB/T 2260)", "省份代码无效（GB/T 2260）"),
    "zone_unknown": ("zone not found in this batch or the store", "园区代码在本批次和数据库中均不存在"),
    "duplicate": ("duplicate key in this batch (all copies rejected)", "本批次内重复（所有重复行均被拒绝）"),
    "cell_too_long": ("cell longer than {cell_kb:g} KiB (limit limits.max_cell_kb)",
                      "单元格超过 {cell_kb:g} KiB（上限 limits.max_cell_kb）"),
    "record_too_long": ("line longer than {record_mb:g} MiB (limit limits.max_record_mb): rejected whole, "
                        "cells not read",
                        "该行超过 {record_mb:g} MiB（上限 limits.max_record_mb）：整行拒绝，未读取单元格"),
    # warnings
    "rd_over_revenue": ("R&D expense above revenue", "研发经费高于营业收入"),
    "growth": ("revenue grew more than {x}x over the previous year (unit mix-up?)",
               "营业收入比上年增长超过{x}倍（是否单位错误？）"),
    "founded_after_year": ("founded after the reporting year", "成立年份晚于统计年度"),
    "total_row": ("total/subtotal row dropped", "合计/小计行已删除"),
    "unknown_column": ("unknown column, not imported", "未识别的列，未导入"),
    "duplicate_column": ("column mapped twice, later one ignored", "列重复，后一列被忽略"),
}
FREE_TEXT = {"name", "city"}
WARNING_CODES = {"rd_over_revenue", "growth", "founded_after_year"}


def message(code: str, **ctx) -> tuple[str, str]:
    en, zh = MESSAGES[code]
    r = contract.rules()
    ctx.setdefault("lo", r.year.min)
    ctx.setdefault("hi", max_year())
    ctx.setdefault("x", r.warnings.max_growth_ratio)
    ctx.setdefault("cell_kb", r.limits.max_cell_kb)
    ctx.setdefault("record_mb", r.limits.max_record_mb)
    return en.format(**ctx), zh.format(**ctx)


def max_year() -> int:
    return dt.date.today().year + contract.rules().year.max_offset_from_today


# Money in 千元 and the other measured quantities of enterprise returns are stored exactly (decision 0006):
# sums over any number of rows then do not depend on the order threads add them in.
EXACT_NUMBER = "DECIMAL(18,3)"
MAX_ABS = 1e15  # |value| in the stored unit: DECIMAL(18,3) holds 15 integer digits


def store_type(table: str, c: contract.Column) -> str:
    """SQL type of a number/int column in the store (decision 0006)."""
    if c.type == "int":
        return "BIGINT"
    return EXACT_NUMBER if table == "enterprises" else "DOUBLE"


def params() -> dict[str, Any]:
    """The named parameters of the generated statements: every value from the rules and contract files."""
    r = contract.rules()
    p: dict[str, Any] = {
        "full": _FULL, "half": _HALF, "missing": list(r.missing.tokens), "true": list(r.bool_.true),
        "false": list(r.bool_.false), "provinces": list(contract.provinces()), "year_min": r.year.min,
        "founded_min": r.founded_year.min, "year_max": max_year(),
    }
    p.update({f"total_{i}": t for i, t in enumerate(r.totals.tokens)})
    return p


@dataclass
class Staged:
    """One source loaded into a typed staging table."""

    raw: RawTable
    relation: str                       # staging table name (typed values and issues)
    columns: dict[str, int]             # canonical -> raw column index
    factors: dict[str, float]
    rows: int = 0
    index: int = -1                     # the n of stage_<n>; the _src value of its rows
    raw_relation: str = ""              # raw_<n>: cell text c0..c<k> and _row
    # fast lookup of raw rows (CSV without rejected lines): (table, _row - rowid, cell text select list)
    raw_rowid: tuple[str, int, str] | None = None
    file_notes: list[tuple[str, str | None, str]] = field(default_factory=list)  # (code, column header, value)
    file_error: tuple[str, str] | None = None  # whole source refused: (en, zh)
    # wide zone facts (one column per indicator code): raw column index -> indicator code
    wide: dict[int, str] = field(default_factory=dict)
    # direct write (decision 0002): the rows passing every cell rule went straight into the store's
    # table inside the snapshot transaction, with row_id = direct_base + _row; only the others are staged
    direct_base: int | None = None


def map_headers(raw: RawTable) -> Staged:
    """Match headers to canonical columns; note unknown and duplicate columns."""
    st = Staged(raw, "", {}, {})
    wide = raw.table == "zone_facts" and is_wide_facts(
        {m.column for h in raw.headers if h and str(h).strip() and (m := contract.match_header(raw.table, h)).column})
    for i, h in enumerate(raw.headers):
        if h is None or str(h).strip() == "":
            continue
        m = contract.match_header(raw.table, h)
        if wide and m.column not in ("zone_id", "year"):
            st.wide[i] = contract.fact_code(h)  # the indicator code: as written, or a known fact's Chinese name
        elif m.column is None:
            st.file_notes.append(("unknown_column", h, None))
        elif m.error:
            st.file_error = (f"column '{h}': {m.error}", f"列“{h}”的单位无法识别：{m.unit}")
        elif m.column in st.columns:
            st.file_notes.append(("duplicate_column", h, None))
        else:
            st.columns[m.column] = i
            st.factors[m.column] = m.factor
    spec = contract.tables()[raw.table]
    missing = [c for c in spec.required if c not in st.columns and not (wide and c in ("indicator", "value"))]
    if missing and st.file_error is None:
        zh = "、".join(contract.chinese_header(raw.table, c) for c in missing)
        st.file_error = (f"required column(s) missing: {', '.join(missing)}", f"缺少必填列：{zh}")
    return st


def _fold(col: str) -> str:
    """Trimmed, half-width cell text.

    translate() costs ~2 µs a cell, so only cells holding a full-width
    character pay it (ASCII cells are recognised by byte length = char length).
    """
    return (f"CASE WHEN strlen({col}) = length({col}) THEN trim({col}) "
            f"WHEN regexp_matches({col}, '[\uFF01-\uFF5E\u3000]') "
            f"THEN trim(translate({col}, $full, $half)) ELSE trim({col}) END")


def _clean(t: str) -> str:
    """NULL for the contract's 'missing' tokens, else the folded text ``t``."""
    return f"CASE WHEN list_contains($missing, {t}) THEN NULL ELSE {t} END"


def _number(r: str) -> str:
    """Cell text -> DOUBLE, thousands separators and inner spaces removed."""
    return f"TRY_CAST(replace(replace({r}, ',', ''), ' ', '') AS DOUBLE)"


def _scaled(num: str, factor: float) -> str:
    """``num`` times the unit factor; none for a factor of 1 (x * 1.0 = x for every double, inf and nan too)."""
    factor = float(factor)  # from units.toml, validated as a number: rendered as a float literal
    return num if factor == 1.0 else f"({num} * {factor!r})"


def _parse(c: contract.Column, r: str, num: str, factor: float, table: str) -> str:
    """SQL giving the typed canonical value of cleaned cell text ``r`` (``num``: its number).

    TRY_CAST: a non-finite or too large number becomes NULL here and is
    reported by its check (not_finite, too_large) instead of failing the pass.
    """
    scaled = _scaled(num, factor)
    if c.type == "number":
        return f"TRY_CAST({scaled} AS {store_type(table, c)})"
    if c.type == "int":
        return f"TRY_CAST(round({scaled}) AS BIGINT)"
    if c.type == "year":
        return rf"TRY_CAST(regexp_extract({r}, '^(\d{{4}})(\.0+)?([-/.年]|$)', 1) AS INTEGER)"
    if c.type == "bool":
        return f"CASE WHEN list_contains($true, {r}) THEN true WHEN list_contains($false, {r}) THEN false END"
    if c.name == "credit_code":
        return f"upper({r})"
    if c.name == "level":
        return (f"CASE WHEN lower({r}) IN ('国家级', '国家', 'national') THEN 'national' "
                f"WHEN lower({r}) IN ('省级', '省', 'provincial') THEN 'provincial' END")
    if c.name == "province_code":
        return rf"regexp_extract({r}, '^(\d{{2}})(\d{{4}})?(\.0+)?$', 1)"
    if c.name == "industry_code":
        return rf"nullif(regexp_extract({r}, '^[A-Ta-t]?(\d{{4}})(\.0+)?$', 1), '')"
    return r


def _checks(c: contract.Column, r: str, num: str, p: str, factor: float = 1.0) -> list[tuple[str, str]]:
    """(condition, code) pairs: the row fails rule ``code`` for column c when condition holds."""
    out = []
    if c.required:
        out.append((f"{r} IS NULL", "required"))
    if c.type in ("number", "int"):
        out.append((f"{r} IS NOT NULL AND {num} IS NULL", "not_number"))
        out.append((f"NOT isfinite({num})", "not_finite"))  # inf, -inf, nan, 1e400 (parsed as inf)
        out.append((f"isfinite({num}) AND abs({_scaled(num, factor)}) >= {MAX_ABS!r}", "too_large"))
        if c.type == "int":
            out.append((f"{num} IS NOT NULL AND {num} <> round({num})", "not_integer"))
        if not c.signed:
            out.append((f"{num} < 0", "negative"))
    elif c.type == "year":
        out.append((f"{r} IS NOT NULL AND {p} IS NULL", "not_year"))
        lo = "$founded_min" if c.name == "founded_year" else "$year_min"
        out.append((f"{p} NOT BETWEEN {lo} AND $year_max", "year_range"))
    elif c.type == "bool":
        out.append((f"{r} IS NOT NULL AND {p} IS NULL", "not_bool"))
    elif c.name == "credit_code":
        out.append((f"{r} IS NOT NULL AND NOT {sql_is_valid(p)}", "credit_code"))
    elif c.name == "industry_code":
        out.append((f"{r} IS NOT NULL AND {p} IS NULL", "industry_code"))
    elif c.name == "level":
        out.append((f"{r} IS NOT NULL AND {p} IS NULL", "level"))
    elif c.name == "province_code":
        out.append((f"{r} IS NOT NULL AND NOT list_contains($provinces, coalesce({p}, ''))", "province"))
    return out


# store table written directly by the cell pass (the bulk of every batch; zones and zone facts are small)
DIRECT = {"enterprises": "enterprise_year"}
_ISSUES_TYPE = 'STRUCT("column" VARCHAR, code VARCHAR)[]'


def stage(con: duckdb.DuckDBPyConnection, st: Staged, n: int, sid: int | None = None) -> Staged:
    """Load one mapped source into ``stage_<n>`` (typed values, per-row issues) and ``raw_<n>`` (cell text).

    CSV takes a fast path: DuckDB's own typed reader parses the numeric columns
    and puts the lines it cannot parse aside (``store_rejects``); see
    :func:`_csv_fast`.  Excel frames always take the text path.

    ``sid``: the snapshot being written, inside its transaction.  Enterprise
    rows that pass every cell rule are then inserted into the store at once
    (one write of the bulk); ``stage_<n>`` is a view over them and the few
    staged rows with issues, and the batch rules later delete the rows they
    reject (see ``store/load.py``).
    """
    raw = st.raw
    names = [f"c{i}" for i in range(len(raw.headers))]
    if sid is not None and raw.table in DIRECT and st.file_error is None:
        st.direct_base = (sid << 40) + (n << 32)
    if raw.frame is not None:
        con.register(f"_frame_{n}", raw.frame)
        _text_source(con, f"SELECT {', '.join(names)}, _row FROM _frame_{n}", names, f"raw_{n}")
        _build_source(con, st, f"raw_{n}", f"stage_{n}_a", n, typed=False)
        parts = [f"stage_{n}_a"]
    else:
        parts = _csv_fast(con, st, n, names)
    if st.direct_base is not None:
        cols = ", ".join(c.name for c in contract.tables()[raw.table].columns)
        lo = st.direct_base
        parts.insert(0, f"(SELECT {n} AS _src, source_row AS _row, false AS _is_total, {cols}, "
                        f"CAST([] AS {_ISSUES_TYPE}) AS _issues FROM {DIRECT[raw.table]} "
                        f"WHERE row_id >= {lo} AND row_id < {lo + (1 << 32)})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW stage_{n} AS "
                + " UNION ALL ".join(f"SELECT * FROM {p}" for p in parts))
    st.relation, st.index, st.raw_relation = f"stage_{n}", n, f"raw_{n}"
    st.rows = con.execute(f"SELECT count(*) FROM stage_{n} WHERE NOT _is_total").fetchall()[0][0]
    return st


def _not_blank(names: list[str], cast: bool = False) -> str:
    cells = [f"nullif(trim(CAST({c} AS VARCHAR)), '')" if cast else f"nullif(trim({c}), '')" for c in names]
    # shortcut, 3x cheaper than trim(): a first cell starting with printable ASCII is not blank
    first = f"CAST({names[0]} AS VARCHAR)" if cast else names[0]
    return f"(ascii({first}) BETWEEN 33 AND 126 OR coalesce({', '.join(cells)}) IS NOT NULL)"


def _text_source(con: duckdb.DuckDBPyConnection, source: str, names: list[str], out: str,
                 keep: str | None = None) -> None:
    """Non-blank rows of ``source`` into ``out``; ``keep``: a boolean column whose rows are kept even if blank."""
    cond = f"({keep} OR {_not_blank(names)})" if keep else _not_blank(names)
    run(con, f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM ({source}) WHERE {cond}")


def _numeric_index(st: Staged) -> set[int]:
    spec = contract.tables()[st.raw.table]
    return {k for name, k in st.columns.items() if spec.column(name).type in ("number", "int")}


def _decimal_index(st: Staged) -> set[int]:
    """Numeric columns DuckDB's reader parses straight into the store's exact type (no cast when inserting).

    Enterprise money and quantities in the stored unit (factor 1): the text is
    rounded to 3 decimals half away from zero as written (``2.0005`` -> 2.001),
    never through a binary double.  Values the type cannot hold (>= 10^15, inf)
    fail the read and take the text path, which names them.
    """
    if st.raw.table not in DIRECT:
        return set()
    spec = contract.tables()[st.raw.table]
    return {k for name, k in st.columns.items()
            if spec.column(name).type == "number" and float(st.factors[name]) == 1.0
            and store_type(st.raw.table, spec.column(name)) == EXACT_NUMBER}


def _read_type(k: int, numeric: set[int], decimal: set[int]) -> str:
    return EXACT_NUMBER if k in decimal else "DOUBLE" if k in numeric else "VARCHAR"


def _read_typed(con: duckdb.DuckDBPyConnection, st: Staged, out: str, paths: list[str], skip: int, types: str,
                full: bool) -> None:
    """DuckDB's typed read of ``paths`` into ``out``; lines it cannot parse go to ``rej_<out>``.

    ``full``: with the contract's missing tokens and thousands separators.  The
    plain read is cheaper (≈ 0.6 s per 1M rows) and enough for most lines.
    """
    opts = ", nullstr=$missing, thousands=','" if full else ""
    run(con,
        f"""CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM read_csv($paths, columns={types},
            header=false, skip={int(skip)}, delim=$delim, quote='"', escape='"', auto_detect=false,
            null_padding=true, strict_mode=false, max_line_size={max_record_bytes()}{opts},
            store_rejects=true, rejects_table='rej_{out}', rejects_scan='rejscan_{out}')""",
        {"paths": paths, "delim": st.raw.csv_delimiter, **params()})


def max_record_bytes() -> int:
    """DuckDB's ``max_line_size``: a longer CSV record is put aside and rejected whole (``record_too_long``)."""
    return int(contract.rules().limits.max_record_mb * 2**20)


def max_cell_bytes() -> int:
    return int(contract.rules().limits.max_cell_kb * 2**10)


# DuckDB's rejects table names a line longer than max_line_size by this error type (and keeps its first 10,000
# characters only): such a line is rejected whole, never split into cells (they would be wrong)
LINE_TOO_LONG = "LINE SIZE OVER MAXIMUM"


def _first_rowid(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Row ids of a table made inside a transaction start at a large offset (DuckDB's local storage)."""
    return int(con.execute(f"SELECT coalesce(min(rowid), 0) FROM {table}").fetchall()[0][0])


def _rejected(con: duckdb.DuckDBPyConnection, out: str, starts: list[int]) -> list[tuple[int, str]]:
    """(line, text) of the lines ``_read_typed`` put aside, lines counted over all parts, in order.

    The text of a line longer than the record limit is ``None``: DuckDB keeps only its head.
    """
    sql = (f"SELECT CAST(line AS BIGINT) + $starts[CAST(file_id AS BIGINT) + 1] AS l, "
           f"CASE WHEN bool_or(error_type = $long) THEN NULL ELSE any_value(csv_line) END "
           f"FROM rej_{out} GROUP BY ALL ORDER BY l")
    return [(int(a), b) for a, b in run(con, sql, {"starts": starts, "long": LINE_TOO_LONG}).fetchall()]


def _csv_fast(con: duckdb.DuckDBPyConnection, st: Staged, n: int, names: list[str]) -> list[str]:
    """Typed read in two passes, then the text path for what is left.

    Pass 1 reads every line with plain options; the lines it puts aside are
    read again by DuckDB with the missing tokens and thousands separators
    (pass 2); only lines failing both go through Python's csv module and the
    text path, which folds full-width digits and names every bad cell.
    """
    raw = st.raw
    numeric, decimal = _numeric_index(st), _decimal_index(st)
    types = "{" + ", ".join(f"'{c}': '{_read_type(k, numeric, decimal)}'" for k, c in enumerate(names)) + "}"
    paths = [str(raw.csv_path), *map(str, raw.csv_parts)]
    _read_typed(con, st, f"raw_{n}_t", paths, raw.csv_skip, types, full=False)
    bad = _rejected(con, f"raw_{n}_t", [0, *raw.part_lines])
    r0 = _first_rowid(con, f"raw_{n}_t")
    base = raw.first_data_row - 1 - raw.csv_skip  # file line -> row the user sees
    # rowid i of a good row -> its file line: i + 1 + csv_skip + (rejected lines before it)
    if bad:
        # the m-th rejected line has (data index - m) good rows before it: good rowids from there shift by m
        thr = [line - raw.csv_skip - m for m, (line, _) in enumerate(bad, 1)]
        run(con, f"""CREATE OR REPLACE TEMP TABLE thr_{n} AS SELECT thr, max(m) AS m
            FROM (SELECT unnest($thr::BIGINT[]) AS thr, unnest($m::BIGINT[]) AS m) GROUP BY thr""",
            {"thr": thr, "m": list(range(1, len(bad) + 1))})
        rowexpr = f"CAST(t.rowid - {r0} + 1 + {int(raw.csv_skip)} + coalesce(s.m, 0) + {int(base)} AS INTEGER)"
        join = f"ASOF LEFT JOIN thr_{n} s ON t.rowid - {r0} >= s.thr"
    else:
        rowexpr, join = f"CAST(t.rowid - {r0} + 1 + {int(raw.csv_skip)} + {int(base)} AS INTEGER)", ""
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW raw_{n}_v AS SELECT t.*, {rowexpr} AS _row
            FROM raw_{n}_t t {join} WHERE {_not_blank(names, cast=True)}"""
    )
    source, cells = f"raw_{n}_v", f"raw_{n}_t"
    too_long = [line for line, t in bad if t is None]
    rest = parsable = [(line, t) for line, t in bad if t is not None]
    if parsable and not any("\n" in t.strip("\r\n") or "\r" in t.strip("\r\n") for _, t in parsable):
        rest = _second_pass(con, st, n, names, types, parsable, base)
        if len(rest) < len(parsable):
            cells = f"raw_{n}_ta"
            con.execute(f"CREATE OR REPLACE TEMP VIEW {cells} AS SELECT * FROM raw_{n}_t UNION ALL "
                        f"SELECT * FROM raw_{n}_t2")
            source = f"raw_{n}_va"
            con.execute(f"CREATE OR REPLACE TEMP VIEW {source} AS SELECT * FROM raw_{n}_v UNION ALL "
                        f"SELECT * FROM raw_{n}_v2")
    _build_source(con, st, source, f"stage_{n}_a", n, typed=True, distinct_from=cells)
    text_cells = ", ".join(
        f"CASE WHEN {c} = trunc({c}) AND abs({c}) < 1e15 THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
        f"ELSE CAST({c} AS VARCHAR) END AS {c}" if k in numeric else c for k, c in enumerate(names))
    if not bad:
        st.raw_rowid = (f"raw_{n}_t", 1 + raw.csv_skip + base - r0, text_cells)
    if not rest and not too_long:
        con.execute(f"CREATE OR REPLACE TEMP VIEW raw_{n} AS SELECT {text_cells}, _row FROM {source}")
        return [f"stage_{n}_a"]
    # lines DuckDB could not parse: split them with Python's csv module, then the text path;
    # lines over the record limit are not split (DuckDB kept only their head): rejected whole
    rows = []
    for line, text in rest:
        row = next(csv.reader([text.strip("\r\n")], delimiter=raw.csv_delimiter), [])
        row = (row + [None] * len(names))[: len(names)]
        rows.append([c if c != "" else None for c in row] + [line + base, False])
    rows += [[None] * len(names) + [line + base, True] for line in too_long]
    rows.sort(key=lambda r: r[-2])
    import pandas as pd  # only when lines need the text path: pandas costs ~100 MB of a clean run's memory

    frame = pd.DataFrame(rows, columns=[*names, "_row", "_too_long"]).astype({c: object for c in names})
    con.register(f"_frame_{n}_b", frame)
    _text_source(con, f"SELECT * FROM _frame_{n}_b", names, f"raw_{n}_b", keep="_too_long")
    _build_source(con, st, f"raw_{n}_b", f"stage_{n}_b", n, typed=False, record_flag="_too_long")
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw_{n} AS SELECT {text_cells}, _row FROM {source} "
                f"UNION ALL SELECT * EXCLUDE (_too_long) FROM raw_{n}_b")
    return [f"stage_{n}_a", f"stage_{n}_b"]


def _second_pass(con: duckdb.DuckDBPyConnection, st: Staged, n: int, names: list[str], types: str,
                 bad: list[tuple[int, str]], base: int) -> list[tuple[int, str]]:
    """Read the lines pass 1 put aside again, with the missing tokens and thousands separators.

    Builds ``raw_<n>_t2`` and ``raw_<n>_v2`` (with the user's row numbers) from
    the lines that parse now; returns the (line, text) pairs that still fail.
    """
    fd, name = tempfile.mkstemp(prefix="gaoxin-lines-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.writelines(t.strip("\r\n") + "\n" for _, t in bad)
        _read_typed(con, st, f"raw_{n}_t2", [name], 0, types, full=True)
        again = {line - 1 for line, _ in _rejected(con, f"raw_{n}_t2", [0])}
    finally:
        os.unlink(name)
    good = [line for i, (line, _) in enumerate(bad) if i not in again]
    run(con, f"CREATE OR REPLACE TEMP TABLE lines_{n} AS SELECT unnest($i::BIGINT[]) AS i, "
        "unnest($line::BIGINT[]) AS line", {"i": list(range(len(good))), "line": good})
    r0 = _first_rowid(con, f"raw_{n}_t2")
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW raw_{n}_v2 AS SELECT t.*, CAST(l.line + {int(base)} AS INTEGER) AS _row
            FROM raw_{n}_t2 t JOIN lines_{n} l ON l.i = t.rowid - {r0}
            WHERE {_not_blank(names, cast=True)}""")
    return [bad[i] for i in sorted(again)]


LONG_FACT_HEADERS = ["园区代码", "年份", "指标", "数值"]


def _build_source(con: duckdb.DuckDBPyConnection, st: Staged, source: str, out: str, n: int, *, typed: bool,
                  distinct_from: str | None = None, record_flag: str | None = None) -> None:
    """:func:`_build`, after unpivoting a wide zone-facts source to long rows.

    Wide: each non-blank indicator cell becomes one row (c0 zone, c1 year, c2
    indicator code, c3 value cell) remembering its column in ``_col``, so an
    issue names the indicator's header and the raw row stays the user's wide
    row.  Blank cells and the contract's missing tokens (—, NA …) are no value.
    """
    if not st.wide:
        _build(con, st, source, out, n, typed=typed, distinct_from=distinct_from, record_flag=record_flag)
        return
    zi, yi = st.columns.get("zone_id"), st.columns.get("year")
    zone, year = (f"c{zi}" if zi is not None else "NULL"), (f"c{yi}" if yi is not None else "NULL")
    # the indicator codes are header text: bound as a list, picked by the column's position in it
    codes = list(st.wide.values())
    parts = [f"SELECT _row, {zone} AS c0, {year} AS c1, $codes[{i + 1}] AS c2, c{k} AS c3, {int(k)} AS _col "
             f"FROM {source} WHERE nullif(trim(c{k}), '') IS NOT NULL AND NOT list_contains($missing, trim(c{k}))"
             for i, k in enumerate(st.wide)]
    if not parts:
        parts = [f"SELECT _row, {zone} AS c0, {year} AS c1, NULL::VARCHAR AS c2, NULL::VARCHAR AS c3, "
                 f"NULL::INTEGER AS _col FROM {source} WHERE false"]
    if record_flag:  # a line rejected whole has no cells: one row carries its issue
        parts = [f"SELECT *, false AS {record_flag} FROM ({p})" for p in parts]
        parts.append(f"SELECT _row, NULL, NULL, NULL, NULL, NULL::INTEGER, true FROM {source} WHERE {record_flag}")
    run(con, f"CREATE OR REPLACE TEMP TABLE {source}_long AS {' UNION ALL '.join(parts)}",
        {"codes": codes, **params()})
    long = dataclasses.replace(
        st, raw=dataclasses.replace(st.raw, headers=LONG_FACT_HEADERS),
        columns={"zone_id": 0, "year": 1, "indicator": 2, "value": 3},
        factors={"zone_id": 1.0, "year": 1.0, "indicator": 1.0, "value": 1.0}, wide={})
    _build(con, long, f"{source}_long", out, n, typed=False, col="_col", record_flag=record_flag)


def _long_cells(con: duckdb.DuckDBPyConnection, st: Staged, source: str, numeric: set[int]) -> set[str]:
    """The mapped text columns of ``source`` holding a cell over ``limits.max_cell_kb``.

    DuckDB's column statistics bound every string's length at no cost (``stats()``); only a column whose
    bound is over the limit is scanned for its true longest cell (an ordinary file: no scan at all).
    """
    text = {c: k for c, k in st.columns.items() if k not in numeric}
    if not text:
        return set()
    limit = max_cell_bytes()
    bounds = con.execute(f"SELECT {', '.join(f'stats(c{k})' for k in text.values())} FROM {source} LIMIT 1"
                         ).fetchall()
    if not bounds:
        return set()
    maybe = {c: k for (c, k), b in zip(text.items(), bounds[0], strict=True)
             if not isinstance(b, dict) or b.get("max_string_length") is None or b["max_string_length"] > limit}
    if not maybe:
        return set()
    longest = con.execute(f"SELECT {', '.join(f'max(strlen(CAST(c{k} AS VARCHAR)))' for k in maybe.values())} "
                          f"FROM {source}").fetchall()[0]
    return {c for c, m in zip(maybe, longest, strict=True) if m is not None and m > limit}


def _bad_cells(con: duckdb.DuckDBPyConnection, source: str, k: int, out: str, c: contract.Column,
               factor: float) -> None:
    """Table ``out`` (column v): the distinct cells c<k> of ``source`` that fail rule ``c.name`` (credit code)."""
    r, p = _clean(_fold("v")), _parse(c, "r", "NULL", factor, "")
    (cond, _), = [x for x in _checks(c, "r", "NULL", "p") if x[1] == c.name]
    # two statements: in one, the optimiser pushes (part of) the filter below DISTINCT, onto every row
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT DISTINCT c{k} AS v FROM {source}")
    run(con, f"""CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT v FROM (SELECT v, r, {p} AS p FROM (SELECT v, {r} AS r FROM {out})) WHERE {cond}""", params())


# Coded columns (zone, year, industry, yes/no …) repeat a few values over a whole return: when a column has
# fewer distinct cells than this share of its rows, each distinct cell is folded, cleaned and parsed once
# into a small lookup table that the cell pass joins, instead of trimming and parsing every row's cell.
LOOKUP_SHARE = 0.1
_LOOKUP_HEAD = 20_000  # rows looked at first, to skip the exact distinct count of plainly high-cardinality columns


def _lookups(con: duckdb.DuckDBPyConnection, st: Staged, source: str, numeric: set[int], out: str) -> dict[str, str]:
    """Lookup tables (v raw cell, r cleaned text, p parsed value) for the low-cardinality coded columns.

    Returns canonical column -> table.  Decided at run time per column: fewer
    distinct non-NULL cells than ``LOOKUP_SHARE`` of the rows.  The credit code
    (one code per firm) and free text are never candidates; neither are number
    columns, which hardly repeat.
    """
    spec = contract.tables()[st.raw.table]
    cand = {c.name: k for c in spec.columns if (k := st.columns.get(c.name)) is not None and k not in numeric
            and c.name not in FREE_TEXT and c.name != "credit_code" and c.type not in ("number", "int")}
    if not cand:
        return {}
    head = con.execute(f"SELECT count(*), {', '.join(f'approx_count_distinct(c{k})' for k in cand.values())} "
                       f"FROM (SELECT * FROM {source} LIMIT {_LOOKUP_HEAD})").fetchall()[0]
    cand = {name: k for (name, k), d in zip(cand.items(), head[1:], strict=True) if d < LOOKUP_SHARE * head[0]}
    if not cand:
        return {}
    cells = ", ".join(f"c{k}" for k in cand.values())
    # one scan for every candidate: a grouping set per column, plus () for the row count
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _d_{out} AS
        SELECT grouping_id({cells}) AS _g, count(*) AS _n, {cells} FROM {source}
        GROUP BY GROUPING SETS ({', '.join(f'(c{k})' for k in cand.values())}, ())""")
    rows, *counts = con.execute(
        f"SELECT max(_n) FILTER (WHERE _g = {(1 << len(cand)) - 1}), "
        f"{', '.join(f'count(c{k})' for k in cand.values())} FROM _d_{out}").fetchall()[0]
    tables = {}
    for (name, k), d in zip(cand.items(), counts, strict=True):
        if rows is None or d >= LOOKUP_SHARE * rows:
            continue
        c = spec.column(name)
        t = f"_lk_{out}_{name}"
        parsed = _parse(c, 'r', 'NULL', st.factors[name], st.raw.table)
        run(con, f"""CREATE OR REPLACE TEMP TABLE {t} AS SELECT v, r, {parsed} AS p
            FROM (SELECT v, {_clean(_fold('v'))} AS r FROM (SELECT c{k} AS v FROM _d_{out} WHERE c{k} IS NOT NULL))""",
            params())
        tables[name] = t
    con.execute(f"DROP TABLE _d_{out}")
    return tables


def _build(con: duckdb.DuckDBPyConnection, st: Staged, source: str, out: str, n: int, *, typed: bool,
           col: str | None = None, distinct_from: str | None = None, record_flag: str | None = None) -> None:
    """The cell rules over ``source`` (cells c<k> and _row) into table ``out``.

    ``typed``: numeric cells are already DOUBLE (fast path), so they skip
    folding and text-to-number conversion.  Zone facts carry ``_col`` (the raw
    column of a wide source's value, else NULL): ``col`` names it in ``source``.
    ``distinct_from``: a relation holding at least the cells of ``source`` (a
    cheaper one to scan), for rules checked once per distinct cell.
    ``record_flag``: a boolean column of ``source`` marking lines rejected whole
    (longer than the record limit); their only issue is ``record_too_long``.
    """
    spec = contract.tables()[st.raw.table]
    ncols = len(st.raw.headers)
    numeric = _numeric_index(st) if typed else set()
    decimal = _decimal_index(st) if typed else set()
    lookups = _lookups(con, st, distinct_from or source, numeric, out)
    long_cells = _long_cells(con, st, distinct_from or source, numeric)
    joins = "".join(f" LEFT JOIN {t} l_{name} ON l_{name}.v = s.c{st.columns[name]}" for name, t in lookups.items())
    fold_sel, clean_sel, num_sel, parse_sel, issue_items, conds = [], [], [], [], [], []
    for c in spec.columns:
        r, num = f"r_{c.name}", f"n_{c.name}"
        if c.name in st.columns:
            k = st.columns[c.name]
            if c.name in lookups:  # cleaned and parsed once per distinct cell
                fold_sel.append(f"l_{c.name}.r AS {r}, l_{c.name}.p AS lp_{c.name}")
                clean_sel.append(f"{r}, lp_{c.name}")
            elif k in numeric:  # r_ is only used for 'missing' checks: the number stands in for it
                fold_sel.append(f"c{k} AS t_{c.name}")
                clean_sel.append(f"t_{c.name} AS {r}")
                num_sel.append(f"{r} AS {num}")
            elif c.name in FREE_TEXT:  # names are kept as written (trimmed), not folded
                fold_sel.append(f"trim(c{k}) AS t_{c.name}")
                clean_sel.append(f"{_clean(f't_{c.name}')} AS {r}")
            else:
                fold_sel.append(f"{_fold(f'c{k}')} AS t_{c.name}")
                clean_sel.append(f"{_clean(f't_{c.name}')} AS {r}")
                if c.type in ("number", "int"):
                    num_sel.append(f"{_number(r)} AS {num}")
            p = f"lp_{c.name}" if c.name in lookups else _parse(c, r, num, st.factors[c.name], st.raw.table)
            for cond, code in _checks(c, r, num, f"p_{c.name}", st.factors[c.name]):
                if code == "not_number" and k in numeric:
                    continue  # DuckDB's typed reader put unparsable lines aside: r_ = n_, never fails
                if code in ("not_finite", "too_large") and k in decimal:
                    continue  # read as DECIMAL(18,3): finite and below 10^15 by its type
                if code == "credit_code":
                    # 17 weighted terms per row cost ~0.35 s per 1M rows; a return repeats each firm's
                    # code once a year, so check the distinct cells once and look the bad ones up
                    bad = f"_bad_{out}_{c.name}"
                    _bad_cells(con, distinct_from or source, k, bad, c, st.factors[c.name])
                    fold_sel.append(f"coalesce(c{k} IN (SELECT v FROM {bad}), false) AS _bad_{c.name}")
                    clean_sel.append(f"_bad_{c.name}")
                    cond = f"_bad_{c.name}"
                conds.append(cond)
                issue_items.append(f"CASE WHEN {cond} THEN {{'column': {word(c.name)}, 'code': {word(code)}}} END")
            if c.name in long_cells:  # only columns holding such a cell pay for the check
                fold_sel.append(f"coalesce(strlen(c{k}) > {max_cell_bytes()}, false) AS _long_{c.name}")
                clean_sel.append(f"_long_{c.name}")
                conds.append(f"_long_{c.name}")
                issue_items.append(f"CASE WHEN _long_{c.name} THEN {{'column': {word(c.name)}, "
                                   f"'code': 'cell_too_long'}} END")
        else:
            p = "NULL"
        parse_sel.append(f"{p} AS p_{c.name}")
    if record_flag:
        fold_sel.append(f"s.{record_flag} AS _too_long")
        clean_sel.append("_too_long")
        conds.append("_too_long")
    ntotals = len(contract.rules().totals.tokens)
    text_cols = [f"coalesce(CAST(c{i} AS VARCHAR), '')" for i in range(min(ncols, 3))]
    total_cond = " OR ".join(f"contains({t}, $total_{j})" for t in text_cols for j in range(ntotals)) or "false"
    # Building a list of structs per row is the costly part: only rows failing a rule pay it.
    issues = (f"CASE WHEN coalesce({' OR '.join(f'({c})' for c in conds)}, false) "
              f"THEN list_filter([{', '.join(issue_items)}], lambda x: x IS NOT NULL) ELSE [] END"
              if issue_items else "[]")
    if record_flag:
        issues = f"CASE WHEN _too_long THEN [{{'column': '_record', 'code': 'record_too_long'}}] ELSE {issues} END"
    typed_cols = ", ".join(f"p_{c.name} AS {c.name}" for c in spec.columns)
    # Materialising costs a copy of every column: worth it only when text cells are converted
    # (typed path: measured 2x faster without, 1M rows x 39 columns).
    mat = "" if typed else "MATERIALIZED"
    col_sel = ""
    if st.raw.table == "zone_facts":
        col_sel = f"{col} AS _col, " if col else "CAST(NULL AS INTEGER) AS _col, "
    def cell_pass(rows: str, select: str) -> str:
        return f"""
        WITH folded AS {mat} (
            SELECT _row, {col_sel}{', '.join(fold_sel) or 'NULL AS _none'}, ({total_cond}) AS _is_total
            FROM {rows} s{joins}),
        cleaned AS {mat} (SELECT _row, {'_col, ' if col_sel else ''}_is_total, {', '.join(clean_sel) or 'NULL AS _none'}
                          FROM folded),
        numbers AS {mat} (SELECT *{', ' if num_sel else ''}{', '.join(num_sel)} FROM cleaned),
        parsed AS {mat} (SELECT *, {', '.join(parse_sel)} FROM numbers)
        {select}"""

    staged = (f"SELECT {n} AS _src, _row, {'_col, ' if col_sel else ''}_is_total, {typed_cols}, "
              f"CASE WHEN _is_total THEN [] ELSE {issues} END AS _issues FROM parsed")
    if st.direct_base is None:
        run(con, f"CREATE OR REPLACE TEMP TABLE {out} AS {cell_pass(source, staged)}", params())
        return
    # direct: the clean rows go into the store once; the rest (issues, totals: few) are staged
    names = ", ".join(c.name for c in spec.columns)
    clean = " OR ".join(f"({c})" for c in conds) or "false"
    written = run(con, f"""INSERT INTO {DIRECT[st.raw.table]} (row_id, valid_from, valid_to, {names}, source_file,
        source_row) {cell_pass(source, f"SELECT $base + _row, $sid, NULL, {typed_cols}, $file, _row FROM parsed "
                                       f"WHERE NOT _is_total AND NOT coalesce({clean}, false)")}""",
                  {**params(), "base": st.direct_base, "sid": st.direct_base >> 40, "file": st.raw.source})
    n_written = written.fetchall()[0][0]
    # the source's rows: at most those of distinct_from (cheap to count), exactly those of source
    if any(n_written == con.execute(f"SELECT count(*) FROM {r}").fetchall()[0][0]
           for r in dict.fromkeys([distinct_from or source, source])):
        rest = f"(SELECT * FROM {source} LIMIT 0)"  # every row written (the usual case): nothing to stage
    else:  # the rows not written, by an anti-join on the row number
        lo, hi = st.direct_base, st.direct_base + (1 << 32)
        rest = (f"(SELECT r.* FROM {source} r ANTI JOIN (SELECT CAST(row_id - {lo} AS INTEGER) AS _row "
                f"FROM {DIRECT[st.raw.table]} WHERE row_id >= {lo} AND row_id < {hi}) d ON d._row = r._row)")
    run(con, f"CREATE OR REPLACE TEMP TABLE {out} AS {cell_pass(rest, staged)}", params())
