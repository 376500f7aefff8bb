"""Running generated SQL with the user's values as bound parameters.

The statements of ingest are generated (one expression per contract column),
but no value from a file, a file name or a TOML file is ever pasted into
them: such values are named parameters (``$missing``, ``$path`` …) bound by
DuckDB.  DuckDB refuses parameters the statement does not use, so
:func:`run` passes only those named in the text.  Views cannot take
parameters: the views of ingest hold no user values (lookups go through
temporary tables instead).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import duckdb

_NAMED = re.compile(r"\$([A-Za-z_]\w*)")
_WORD = re.compile(r"^[a-z][a-z0-9_]*$")


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute ``sql`` binding the named parameters it mentions (``$name``) from ``params``."""
    used = set(_NAMED.findall(sql))
    if not used:
        return con.execute(sql)
    missing = used - set(params or {})
    if missing:
        raise KeyError(f"unbound SQL parameters: {sorted(missing)}")
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})


def word(text: str) -> str:
    """``text`` as a SQL string literal, for the code's own words only (column names, issue codes).

    They come from the contract and this package, never from input; the check
    makes that an invariant rather than a hope.
    """
    if not _WORD.match(text):
        raise ValueError(f"not a contract word: {text!r}")
    return f"'{text}'"
