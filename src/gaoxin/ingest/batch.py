"""A batch: every file of one ``gaoxin ingest`` call, validated together.

Per-source staging (validate.stage) checks each cell; this module adds the
rules that need the whole batch and the store's current state: duplicate keys
within the batch, zone existence, and the warnings that compare a row with
the same enterprise's previous year.  The result is one view per kind
(``batch_zones``, ``batch_enterprises``, ``batch_zone_facts``) with a boolean
``_ok`` and the full list of issues per row.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from gaoxin.ingest import contract
from gaoxin.ingest.credit_code import why_invalid
from gaoxin.ingest.errors import ReadError
from gaoxin.ingest.readers import RawTable, read_file
from gaoxin.ingest.sql import run, word
from gaoxin.ingest.validate import WARNING_CODES, Staged, map_headers, message, stage


@dataclass
class Issue:
    severity: str  # error | warning | info
    table: str | None
    file: str
    sheet: str | None
    row: int | None
    column: str | None  # the header as the user wrote it
    value: str | None
    reason_en: str
    reason_zh: str
    raw: str | None = None  # JSON of the source row, for rejected rows


@dataclass
class FileResult:
    file: str
    accepted: int = 0
    rejected: int = 0
    warnings: int = 0
    totals_dropped: int = 0
    error: str | None = None


@dataclass
class Batch:
    staged: list[Staged] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    files: dict[str, FileResult] = field(default_factory=dict)
    readable: int = 0

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files.values())

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files.values())

    @property
    def warnings(self) -> int:
        return sum(f.warnings for f in self.files.values())

    def kinds(self) -> set[str]:
        return {s.raw.table for s in self.staged if s.file_error is None}


_WARN_LIST = "[" + ", ".join(word(c) for c in sorted(WARNING_CODES)) + "]"
# most rows have no issue at all: only the others pay the list filter
OK_CONDITION = f"(len(_issues) = 0 OR len(list_filter(_issues, lambda x: NOT list_contains({_WARN_LIST}, x.code))) = 0)"


class StageFailed(Exception):
    """DuckDB failed on a source inside the snapshot transaction: nothing of the batch is written."""

    def __init__(self, file: str, sheet: str | None, error: Exception):
        self.file, self.sheet = file, sheet
        where = file + (f" [{sheet}]" if sheet else "")
        self.en = f"cannot parse file {where}: {error}; nothing written"
        self.zh = f"文件无法解析：{where}，未写入任何数据"
        super().__init__(f"{self.zh} / {self.en}")


def read_batch(
    con: duckdb.DuckDBPyConnection,
    paths: list[str | Path],
    workdir: Path,
    progress: Callable[[str, int, int], None] | None = None,
    sid: int | None = None,
) -> Batch:
    """Read, map and stage every file; cell-level rules run here.

    ``sid``: the snapshot being written, when called inside its transaction:
    the clean enterprise rows are then written into the store at once
    (``validate.stage``).  A DuckDB error then aborts the transaction, so it
    ends the batch (:class:`StageFailed`) instead of skipping the file.
    """
    b = Batch()
    n = 0
    for p in paths:
        fname = str(p)
        fr = b.files.setdefault(fname, FileResult(fname))
        try:
            cb = (lambda d, t, f=fname: progress(f, d, t)) if progress else None
            raws = read_file(p, workdir, progress=cb)
        except ReadError as e:
            fr.error = f"{e.zh} / {e.en}"
            b.issues.append(Issue("error", None, fname, None, e.row, e.column, None, e.en, e.zh))
            continue
        b.readable += 1
        for raw in raws:
            if raw.table is None:
                en = "no recognisable header: sheet ignored"
                zh = "未识别到表头，已忽略该工作表"
                b.issues.append(Issue("info", None, fname, raw.sheet, None, None, None, en, zh))
                continue
            st = map_headers(raw)
            for code, header, value in st.file_notes:
                en, zh = message(code)
                b.issues.append(Issue("info", raw.table, fname, raw.sheet, raw.first_data_row - 1,
                                      header, value, en, zh))
            if st.file_error:
                en, zh = st.file_error
                b.issues.append(Issue("error", raw.table, fname, raw.sheet, None, None, None, en, zh))
                fr.error = f"{zh} / {en}"
            try:
                stage(con, st, n, sid)
            except duckdb.Error as e:
                if sid is not None:
                    raise StageFailed(fname, raw.sheet, e) from e
                en = f"cannot parse file: {e}"
                b.issues.append(Issue("error", raw.table, fname, raw.sheet, None, None, None, en,
                                      "文件无法解析"))
                fr.error = en
                b.readable -= 1 if len(raws) == 1 else 0
                continue
            n += 1
            if st.file_error:  # the whole source is refused: count its rows as rejected
                fr.rejected += st.rows
                st.relation = ""
            b.staged.append(st)
    return b


def _union(b: Batch, kind: str) -> str | None:
    parts = [s.relation for s in b.staged if s.raw.table == kind and s.relation]
    if not parts:
        return None
    cols = ", ".join(["_src", "_row", *extra_columns(kind), "_is_total",
                      *[c.name for c in contract.tables()[kind].columns], "_issues"])
    return " UNION ALL ".join(f"SELECT {cols} FROM {p}" for p in parts)


def extra_columns(kind: str) -> list[str]:
    """Bookkeeping columns of staged rows besides _src/_row: zone facts know their raw column (wide files)."""
    return ["_col"] if kind == "zone_facts" else []


def _item(cond: str, code: str, column: str, value: str) -> tuple[str, str]:
    """(condition, SQL of the issue struct when it holds)."""
    return cond, (f"CASE WHEN {cond} THEN {{'column': {word(column)}, 'code': {word(code)}, "
                  f"'value': CAST({value} AS VARCHAR)}} END")


def cross_check(con: duckdb.DuckDBPyConnection, b: Batch, known_zones: str, prior: str) -> None:
    """Batch-wide rules; builds a ``batch_<kind>`` view with ``_ok`` per kind.

    ``known_zones`` is a relation with column zone_id (zones of the current
    snapshot); ``prior`` one with credit_code, year, revenue (the current
    snapshot's enterprise rows), both supplied by the store.

    The staged rows are not copied: a key aggregate finds the keys that can
    fail a batch rule (duplicates; for enterprises, also the keys whose revenue
    grew too much, tested per key since a key of one row has that row's
    revenue), then ``_batch_issues_<kind>`` keeps the batch issues of the
    (few) rows that fail one, and ``batch_<kind>`` merges them into the staged
    rows as they are read.
    """
    rules = contract.rules()
    sql_params = {"ratio": float(rules.warnings.max_growth_ratio)}
    provinces = contract.provinces()
    # province -> region as a small table the zones view joins (values from provinces.toml, bound)
    run(con, "CREATE OR REPLACE TEMP TABLE _regions AS SELECT unnest($codes::VARCHAR[]) AS code, "
        "unnest($regions::VARCHAR[]) AS region",
        {"codes": list(provinces), "regions": [p["region"] for p in provinces.values()]})
    built: set[str] = set()
    for kind in contract.TABLES:
        u = _union(b, kind)
        if u is None:
            con.execute(f"DROP VIEW IF EXISTS batch_{kind}")
            continue
        key = list(contract.tables()[kind].key)
        keys = ", ".join(key)
        on = " AND ".join(f"d.{k} = u.{k}" for k in key)
        notnull = " AND ".join(f"u.{k} IS NOT NULL" for k in key)
        items = [_item(f"coalesce(d._n > 1, false) AND {notnull}", "duplicate", key[0], f"u.{key[0]}")]
        joins = f" LEFT JOIN _bkeys_{kind} d ON {on}"
        extra = ""
        con.execute(f"CREATE OR REPLACE TEMP VIEW _union_{kind} AS SELECT * FROM ({u}) WHERE NOT _is_total")
        if kind == "enterprises":
            # one aggregate per key: its row count and revenue (max over duplicates, as the growth rule reads it)
            con.execute(f"""CREATE OR REPLACE TEMP TABLE _bkeys_{kind} AS
                SELECT {keys}, count(*) AS _n, max(revenue) AS revenue FROM _union_{kind} GROUP BY ALL""")
            # previous year's revenue: from this batch, else from the current snapshot (none to look up
            # when the store is empty and the batch holds one year)
            prev = f"_bkeys_{kind}"
            if not _has_rows(con, prior) and con.execute(
                f"SELECT count(DISTINCT year) < 2 FROM _bkeys_{kind}"
            ).fetchall()[0][0]:
                prev = "(SELECT NULL::VARCHAR AS credit_code, NULL::INTEGER AS year, NULL::DOUBLE AS revenue LIMIT 0)"
            elif _has_rows(con, prior):
                prev = f"""(SELECT credit_code, year, max(revenue) AS revenue FROM (
                    SELECT credit_code, year, revenue FROM {prior} q WHERE NOT EXISTS (
                        SELECT 1 FROM _bkeys_{kind} n WHERE n.credit_code = q.credit_code AND n.year = q.year)
                    UNION ALL SELECT credit_code, year, revenue FROM _bkeys_{kind}) GROUP BY ALL)"""
            # keep the keys that can fail: duplicated, or grown too much (a key of one row has that row's revenue)
            run(con, f"""CREATE OR REPLACE TEMP TABLE _bkeys_{kind} AS
                SELECT k.credit_code, k.year, k._n, p.revenue AS _prev FROM _bkeys_{kind} k
                LEFT JOIN {prev} p ON p.credit_code = k.credit_code AND p.year = k.year - 1
                WHERE k._n > 1 OR (k.revenue > $ratio * p.revenue AND p.revenue > 0)""", sql_params)
            if rules.warnings.rd_expense_over_revenue:
                items.append(_item("u.rd_expense > u.revenue", "rd_over_revenue", "rd_expense", "u.rd_expense"))
            items += [
                _item("u.founded_year > u.year", "founded_after_year", "founded_year", "u.founded_year"),
                _item("u.revenue > $ratio * d._prev AND d._prev > 0", "growth", "revenue", "u.revenue"),
            ]
        else:
            con.execute(f"""CREATE OR REPLACE TEMP TABLE _bkeys_{kind} AS
                SELECT {keys}, count(*) AS _n FROM _union_{kind} GROUP BY ALL HAVING count(*) > 1""")
        if kind in ("enterprises", "zone_facts"):
            zones_ok = f"SELECT zone_id FROM {known_zones}"
            if "zones" in built:
                zones_ok += " UNION SELECT zone_id FROM batch_zones WHERE _ok"
            joins += f" LEFT JOIN ({zones_ok}) z ON z.zone_id = u.zone_id"
            items.append(_item("u.zone_id IS NOT NULL AND z.zone_id IS NULL", "zone_unknown", "zone_id", "u.zone_id"))
        if kind == "zones":
            extra = ", (SELECT r.region FROM _regions r WHERE r.code = u.province_code) AS region"
        row_key = ["_src", "_row", *extra_columns(kind)]
        run(con,
            f"""CREATE OR REPLACE TEMP TABLE _batch_issues_{kind} AS
            SELECT {', '.join(f'u.{c}' for c in row_key)},
                   list_filter([{', '.join(i for _, i in items)}], lambda x: x IS NOT NULL) AS _issues
            FROM _union_{kind} u{joins}
            WHERE coalesce({' OR '.join(f'({c})' for c, _ in items)}, false)""", sql_params)
        match = " AND ".join(f"f.{c} {'IS NOT DISTINCT FROM' if c == '_col' else '='} u.{c}" for c in row_key)
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW batch_{kind} AS
            SELECT *, {OK_CONDITION} AS _ok FROM (
                SELECT u.* EXCLUDE (_issues){extra},
                       CASE WHEN f._src IS NULL THEN u._issues ELSE list_concat(u._issues, f._issues) END AS _issues
                FROM _union_{kind} u LEFT JOIN _batch_issues_{kind} f ON {match})"""
        )
        built.add(kind)
    _collect(con, b)


def _has_rows(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    return con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {relation} LIMIT 1)").fetchall()[0][0] > 0


def _collect(con: duckdb.DuckDBPyConnection, b: Batch) -> None:
    """Per-file counts and the issue list (with the raw row of rejected rows)."""
    for s in b.staged:
        if not s.relation:
            continue
        fr = b.files[s.raw.source]
        kind = s.raw.table
        acc, rej, warn = con.execute(
            f"""SELECT count(*) FILTER (WHERE _ok), count(*) FILTER (WHERE NOT _ok),
                       count(*) FILTER (WHERE _ok AND len(_issues) > 0)
                FROM batch_{kind} WHERE _src = {s.index}"""
        ).fetchall()[0]
        fr.accepted += acc
        fr.rejected += rej
        fr.warnings += warn
        totals = con.execute(f"SELECT DISTINCT _row FROM {s.relation} WHERE _is_total ORDER BY _row").fetchall()
        fr.totals_dropped += len(totals)
        en, zh = message("total_row")
        b.issues += [Issue("info", kind, s.raw.source, s.raw.sheet, r, None, None, en, zh) for (r,) in totals]
        col = "_col" if extra_columns(kind) else "NULL AS _col"
        found = con.execute(
            f"""SELECT _row, _ok, x.column, x.code, _col FROM (
                SELECT _row, _ok, {col}, unnest(_issues) AS x FROM batch_{kind}
                WHERE _src = {s.index} AND len(_issues) > 0)
                ORDER BY _row, _col"""
        ).fetchall()
        if not found:
            continue
        # the raw cells of the (few) rows with issues only
        cells = ", ".join(f"c{k}" for k in range(len(s.raw.headers)))
        wanted = sorted({r for r, *_ in found})
        if s.raw_rowid:  # by rowid: DuckDB fetches just those rows instead of scanning the file's table
            table, off, text_cells = s.raw_rowid
            sql = (f"SELECT rowid + {off}, [{cells}] FROM (SELECT rowid, {text_cells} FROM {table} "
                   f"WHERE rowid IN (SELECT unnest(?::BIGINT[])))")
            wanted = [r - off for r in wanted]
        else:
            sql = f"SELECT _row, [{cells}] FROM {s.raw_relation} WHERE _row IN (SELECT unnest(?::INTEGER[]))"
        raw = dict(con.execute(sql, [wanted]).fetchall())
        headers = [str(h) if h not in (None, "") else f"c{k}" for k, h in enumerate(s.raw.headers)]
        for row, ok, column, code, col in found:
            if row not in raw:
                continue
            values = raw[row]
            k = s.columns.get(column)
            if k is None and col is not None and column in ("indicator", "value"):
                k = col  # wide zone facts: the indicator's own column
            value = clip(values[k]) if k is not None else None
            en, zh = message(code)
            if code == "credit_code" and value is not None:
                why = why_invalid(_fold(value))
                en = f"{en}: {why}" if why else en
                zh = f"{zh}（{_zh_why(why)}）" if why else zh
            sev = "warning" if code in WARNING_CODES else "error"
            raw_json = None if ok else json.dumps(dict(zip(headers, map(clip, values), strict=True)),
                                                  ensure_ascii=False)
            b.issues.append(Issue(sev, kind, s.raw.source, s.raw.sheet, row, s.raw.headers[k] if k is not None
                                  else None if column == "_record" else column, value, en, zh, raw_json))


CLIP_CHARS = 200


def clip(text: str | None) -> str | None:
    """A cell as shown in messages and the rejection report: at most ``CLIP_CHARS`` characters, with the length.

    A rejected cell can be megabytes long (and a spreadsheet cell holds at most 32,767 characters).
    """
    if text is None or len(text) <= CLIP_CHARS:
        return text
    return f"{text[:CLIP_CHARS]}…（共 {len(text):,} 字符 / {len(text):,} characters）"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def _zh_why(why: str) -> str:
    return (why.replace("check character should be", "校验位应为").replace("length", "长度")
            .replace("expected", "应为").replace("character", "字符").replace("not allowed", "不允许")
            .replace("missing", "缺失"))



__all__ = ["OK_CONDITION", "Batch", "FileResult", "Issue", "RawTable", "StageFailed", "cross_check", "read_batch"]
