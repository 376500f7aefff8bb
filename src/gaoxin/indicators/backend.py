"""The one place that adapts Ibis 12's DuckDB backend to duckdb 2.x (decision 0008).

What breaks: duckdb 2.0 removed ``DuckDBPyConnection.fetch_arrow_table``
(relations keep ``fetch_arrow_table``/``to_arrow_table``).  Ibis 12 calls it on a
connection in ``Backend.sql()`` (via ``_get_schema_using_query``), ``list_tables``,
``list_catalogs`` and ``list_databases``, which raise ``AttributeError``.  The paths
used here — ``Backend.table`` (``DESCRIBE`` through a relation), ``compile``,
``execute`` and ``to_pyarrow`` (``con.sql(compiled)`` → relation) — work, so we
never call the broken ones; no pin, no monkey-patch.

Second, ``from_connection`` runs ``SET TimeZone = 'UTC'`` and
``SET python_enable_replacements = false`` on the connection it is given: the
store's own connection, shared with the rest of gaoxin.  We put both settings
back, so binding the compiler to a store changes nothing else about it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import duckdb

_KEPT_SETTINGS = ("TimeZone", "python_enable_replacements")


def duckdb_backend(con: duckdb.DuckDBPyConnection) -> Any:
    """An Ibis DuckDB backend over the store's existing connection, its settings unchanged."""
    import ibis

    before = [con.execute("SELECT current_setting(?)", [k]).fetchone()[0] for k in _KEPT_SETTINGS]  # type: ignore[index]
    backend = ibis.duckdb.from_connection(con)
    for key, value in zip(_KEPT_SETTINGS, before, strict=True):
        con.execute(f"SET {key} = ?", [value])  # key: one of two constants; value bound
    return backend


# Spark's optimizer infers constraints (IS NOT NULL, equalities) across every alias
# and predicate of a plan; on the tier near-miss and funnel queries (hundreds of
# CASE branches over aliased columns) that inference alone ran > 10 min at
# local[1], and 13 s / 7 s with it off, same rows (decision 0039).
_SPARK_CONF = {"spark.sql.constraintPropagation.enabled": "false"}


def tune_spark(backend: Any) -> None:
    """Set the Spark session options the compiled gaoxin queries need (decision 0039)."""
    session = getattr(backend, "_session", None)
    if session is not None:
        for key, value in _SPARK_CONF.items():
            session.conf.set(key, value)


def run_on_duckdb(backend: Any, sql: str) -> Any:
    """Run Ibis-compiled SQL of a bound expression the way ``Backend.to_pyarrow`` does (``con.sql``).

    Used so a cached compilation is not redone per request; returns a pandas frame.
    """
    return backend.con.sql(sql).df()


_COLUMNS_SQL = """
SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = current_schema() AND table_name IN (?, ?, ?)
ORDER BY table_name, column_index
"""


def duckdb_schemas(con: duckdb.DuckDBPyConnection) -> Any:
    """The store tables' Ibis schemas in one catalog query (types parsed once per distinct schema).

    Ibis's own ``Backend.table`` reads each schema through the deprecated
    ``fetch_arrow_table`` and re-parses every type with sqlglot on each call (~7 ms/table).
    """
    from gaoxin.indicators.tables import STORE_TABLES

    rows = tuple(con.execute(_COLUMNS_SQL, list(STORE_TABLES)).fetchall())
    return _to_schemas(rows)


@lru_cache(maxsize=16)
def _to_schemas(rows: tuple[tuple[str, str, str, bool], ...]) -> Any:
    import ibis
    from ibis.backends.sql.datatypes import DuckDBType

    from gaoxin.indicators.tables import STORE_TABLES, Schemas

    cols: dict[str, dict[str, Any]] = {t: {} for t in STORE_TABLES}
    for table, name, typ, nullable in rows:
        cols[table][name] = DuckDBType.from_string(typ, nullable=bool(nullable))
    missing = [t for t, c in cols.items() if not c]
    if missing:
        raise LookupError(f"not a gaoxin store: table(s) {', '.join(missing)} missing")
    return Schemas(*(ibis.schema(cols[t]) for t in STORE_TABLES))
