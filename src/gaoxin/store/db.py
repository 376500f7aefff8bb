"""The embedded DuckDB store: where the database lives and its schema migrations.

The schema evolves by forward-only numbered SQL files in ``store/migrations``;
``connect`` applies the missing ones, each in its own transaction, so an old
database file is upgraded in place and never downgraded.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import duckdb

DEFAULT_DB = "gaoxin.duckdb"


def db_path(path: str | os.PathLike | None = None) -> Path:
    """``--db PATH`` wins, then the ``GAOXIN_DB`` environment variable, then ./gaoxin.duckdb."""
    return Path(path or os.environ.get("GAOXIN_DB") or DEFAULT_DB)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    out = []
    for f in resources.files("gaoxin.store").joinpath("migrations").iterdir():
        m = re.match(r"(\d+)_(.+)\.sql$", f.name)
        if m:
            out.append((int(m.group(1)), m.group(2), f.read_text("utf-8")))
    return sorted(out)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR,"
        " applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply missing migrations; return the schema version afterwards."""
    current = schema_version(con)
    for version, name, sql in migrations():
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = version
    return current


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and migrate the store."""
    p = db_path(path)
    if read_only:
        if not p.exists():
            raise FileNotFoundError(f"数据库不存在 / database not found: {p}")
        con = duckdb.connect(str(p), read_only=True)
        con.execute("SET enable_progress_bar = false")
        return con
    p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p))
    con.execute("SET enable_progress_bar = false")  # our own Rich progress is shown instead
    migrate(con)
    return con
