"""Turn a validated batch into a new snapshot, all or nothing.

One DuckDB transaction per ingest, from the first read to COMMIT (decision
0007): the snapshot id is read inside it, the clean enterprise rows are
written once by the cell pass, and the snapshot row, the closed and the new
data rows, the issues and the log are committed together.  A refusal rolls it
back; a crash or a ``kill -9`` before COMMIT leaves only an uncommitted
transaction, which DuckDB discards on the next open, so earlier snapshots are
untouched and no partial snapshot is ever visible (tests/test_kill.py).  A full
disk at any point (the store, its WAL, DuckDB's temp dir) rolls back and raises
one :class:`~gaoxin.store.db.DiskFull` naming the file (tests/test_disk_full.py).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

import gaoxin
from gaoxin.ingest import contract
from gaoxin.ingest.batch import (
    OK_CONDITION,
    Batch,
    FileResult,
    Issue,
    StageFailed,
    cross_check,
    extra_columns,
    read_batch,
)
from gaoxin.ingest.sql import run
from gaoxin.store import audit
from gaoxin.store.db import commit, disk_full, rollback, store_file
from gaoxin.store.snapshots import DATA_TABLES, latest, value_columns

KIND_TO_TABLE = {v: k for k, v in DATA_TABLES.items()}


@dataclass
class IngestResult:
    snapshot: int | None
    snapshot_name: str | None
    accepted: int
    rejected: int
    warnings: int
    replaced: int
    unchanged: int
    exit_code: int  # 0 snapshot created, 1 refused (strict / nothing accepted), 2 nothing readable
    batch: Batch = field(repr=False)
    message_en: str = ""
    message_zh: str = ""

    def summary(self) -> dict:
        return {"snapshot": self.snapshot, "accepted": self.accepted, "rejected": self.rejected,
                "warnings": self.warnings, "replaced": self.replaced}


def ingest(
    con: duckdb.DuckDBPyConnection,
    paths: list[str | Path],
    *,
    snapshot_name: str | None = None,
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    stage_hook: Callable[[str], None] | None = None,
) -> IngestResult:
    """Read, validate and store ``paths`` as one batch (see module docstring).

    ``con`` is an open, migrated, writable connection owned by the caller (the
    Store); ingest never opens or closes the database itself.
    """
    with tempfile.TemporaryDirectory(prefix="gaoxin-ingest-") as work:
        return _ingest(con, paths, Path(work), snapshot_name, strict, progress, stage_hook or (lambda s: None))


def _ingest(con, paths, work, snapshot_name, strict, progress, hook) -> IngestResult:
    """One transaction from the first read to COMMIT: the snapshot id is read inside it, the clean
    enterprise rows are written once (by the cell pass), and any refusal or failure rolls it all back."""
    started = dt.datetime.now()
    hook("read")
    store = store_file(con)
    con.execute("BEGIN TRANSACTION")
    try:
        result = _in_transaction(con, paths, work, snapshot_name, strict, progress, hook, started)
    except StageFailed as e:
        rollback(con)
        if (full := disk_full(e.__cause__ or e, store)) is not None:
            raise full from e  # the store, its WAL or <store>.tmp, not the file being read
        b = Batch(issues=[Issue("error", None, e.file, e.sheet, None, None, None, e.en, e.zh)],
                  files={e.file: FileResult(e.file, error=f"{e.zh} / {e.en}")})
        return IngestResult(None, None, 0, 0, 0, 0, 0, 1, b, e.en, e.zh)
    except BaseException as e:
        rollback(con)  # never masks ``e``: after a fatal IO error there is no transaction to roll back
        if (full := disk_full(e, store)) is not None:
            raise full from e
        raise
    if result.snapshot is None:
        rollback(con)
    else:
        commit(con, store)  # a full disk here is DiskFull: the WAL record is written last, nothing is stored
    return result


def _in_transaction(con, paths, work, snapshot_name, strict, progress, hook, started) -> IngestResult:
    prev = latest(con) or 0
    sid = prev + 1  # read inside the transaction that commits it: a concurrent writer makes COMMIT fail
    name = snapshot_name or f"s{sid}-{started:%Y%m%d-%H%M%S}"
    if con.execute("SELECT count(*) FROM snapshot WHERE name = ?", [name]).fetchall()[0][0]:
        raise ValueError(f"快照名称已存在 / snapshot name already exists: {name}")
    # views cannot take bound parameters; prev is an int read from the store, not user text
    con.execute(f"CREATE OR REPLACE TEMP VIEW _known_zones AS SELECT zone_id FROM zones_at({int(prev)})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _prior AS SELECT credit_code, year, revenue "
                f"FROM enterprise_years_at({int(prev)})")
    batch = read_batch(con, paths, work, progress, sid=sid)
    if batch.readable == 0:
        return IngestResult(None, None, 0, batch.rejected, 0, 0, 0, 2, batch,
                            "no input could be read", "没有可读取的输入文件")
    hook("validate")
    cross_check(con, batch, "_known_zones", "_prior")
    base = (batch.accepted, batch.rejected, batch.warnings)
    if strict and batch.rejected:
        return IngestResult(None, None, *base, 0, 0, 1, batch,
                            f"--strict: {batch.rejected} rejected rows, nothing written",
                            f"--strict：有 {batch.rejected} 行被拒绝，未写入任何数据")
    if batch.accepted == 0:
        return IngestResult(None, None, *base, 0, 0, 1, batch,
                            "no row accepted, no snapshot created", "没有被接受的行，未创建快照")
    hook("write")
    replaced = unchanged = 0
    for kind in contract.TABLES:
        if kind in batch.kinds():
            r, u = _apply(con, batch, kind, prev, sid)
            replaced, unchanged = replaced + r, unchanged + u
    sources = json.dumps([str(p) for p in paths], ensure_ascii=False)
    con.execute(
        "INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sid, name, started, sources, batch.accepted, batch.rejected, batch.warnings, replaced,
         unchanged, _user()],
    )
    _write_issues(con, batch, sid)
    files = json.dumps([f.__dict__ for f in batch.files.values()], ensure_ascii=False)
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?)",
        [sid, started, dt.datetime.now(), files, json.dumps({"strict": strict, "user": _user()}),
         gaoxin.__version__],
    )
    audit.record(con, "ingest", f"snapshot {sid}", name=name, files=[str(p) for p in paths],
                 accepted=batch.accepted, rejected=batch.rejected)
    return IngestResult(sid, name, *base, replaced, unchanged, 0, batch)


def _apply(con: duckdb.DuckDBPyConnection, batch: Batch, kind: str, prev: int, sid: int) -> tuple[int, int]:
    """Make the new snapshot's rows of ``kind`` exactly the batch's accepted rows; close the rows they replace.

    Sources written directly by the cell pass (validate.DIRECT) lose the rows a
    batch rule rejects; the others' accepted rows are inserted from the batch
    view.  Then, against the rows current in ``prev``: a changed row closes the
    old one, an unchanged row is dropped again (the old one stays valid).

    row_id = snapshot · 2^40 + source · 2^32 + source row: unique (a key appears
    once per source after duplicate rejection) and free of a sequence's cost.
    Zone facts use their rank within the source instead of the row, since a
    wide file's row holds several facts.
    """
    table = KIND_TO_TABLE[kind]
    key = list(contract.tables()[kind].key)
    cols = value_columns(con, table)
    other = [c for c in cols if c not in key]
    staged = [s for s in batch.staged if s.relation and s.raw.table == kind]
    direct = [int(s.index) for s in staged if s.direct_base is not None]
    inserted = [s for s in staged if s.direct_base is None]
    row_id = f"{sid} * {1 << 40} + _src * {1 << 32}"
    if direct:
        con.execute(f"DELETE FROM {table} WHERE row_id IN (SELECT {row_id} + _row FROM _batch_issues_{kind} "
                    f"WHERE NOT {OK_CONDITION} AND _src IN ({', '.join(map(str, direct))}))")
    if inserted:
        # file names are user text: bound parameters, one per source
        files = " ".join(f"WHEN {int(s.index)} THEN $file_{i}" for i, s in enumerate(inserted))
        names = {f"file_{i}": s.raw.source for i, s in enumerate(inserted)}
        srcs = ", ".join(str(int(s.index)) for s in inserted)
        # zone facts of a wide file share their source row: number them instead
        local = "row_number() OVER (PARTITION BY _src ORDER BY _row, _col)" if extra_columns(kind) else "_row"
        col_list = ", ".join(cols)
        run(con, f"""INSERT INTO {table} (row_id, valid_from, valid_to, {col_list}, source_file, source_row)
            SELECT {row_id} + {local}, {sid}, NULL, {col_list}, CASE _src {files} END, _row
            FROM batch_{kind} WHERE _ok AND _src IN ({srcs})""", names)
    current = f"valid_from <= {int(prev)} AND (valid_to IS NULL OR valid_to > {int(prev)})"
    if not con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {current} LIMIT 1)").fetchall()[0][0]:
        return 0, 0  # nothing to replace (first load of this kind): no join
    on = " AND ".join(f"b.{k} = c.{k}" for k in key)
    differ = " OR ".join(f"b.{c} IS DISTINCT FROM c.{c}" for c in other) or "false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _acc AS
        SELECT b.row_id AS _new, c.row_id AS _old, NOT ({differ}) AS _same
        FROM (SELECT * FROM {table} WHERE valid_from = {int(sid)}) b
        JOIN (SELECT * FROM {table} WHERE {current}) c ON {on}"""
    )
    replaced, unchanged = con.execute(
        "SELECT count(*) FILTER (WHERE NOT _same), count(*) FILTER (WHERE _same) FROM _acc").fetchall()[0]
    con.execute(f"UPDATE {table} SET valid_to = {int(sid)} WHERE row_id IN (SELECT _old FROM _acc WHERE NOT _same)")
    con.execute(f"DELETE FROM {table} WHERE row_id IN (SELECT _new FROM _acc WHERE _same)")
    con.execute("DROP TABLE _acc")
    return replaced, unchanged


def _write_issues(con: duckdb.DuckDBPyConnection, batch: Batch, sid: int) -> None:
    if not batch.issues:
        return
    # bound lists zipped by unnest, no DataFrame: importing pandas costs ~0.3 s and ~100 MB of a clean run
    fields = {"severity": "VARCHAR", "table": "VARCHAR", "file": "VARCHAR", "sheet": "VARCHAR", "row": "INTEGER",
              "column": "VARCHAR", "value": "VARCHAR", "reason_en": "VARCHAR", "reason_zh": "VARCHAR",
              "raw": "VARCHAR"}
    cols = {name: [getattr(i, name) for i in batch.issues] for name in fields}
    cols["value"] = [v if v is None or isinstance(v, str) else str(v) for v in cols["value"]]
    con.execute(
        f"INSERT INTO ingest_issue SELECT {int(sid)}, "
        + ", ".join(f"unnest(${name}::{typ}[])" for name, typ in fields.items()),
        cols,
    )


def _user() -> str:
    return audit.current_user()
