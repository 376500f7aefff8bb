"""Warning notes (migration 012): the uploader's explanation of an ingest warning, kept with the snapshot.

A snapshot's warnings are numbered 1, 2, … in (file, sheet, row, column, reason, value) order — a stable
order of an append-only table, so the number a page shows names the same warning later.
"""

from __future__ import annotations

import datetime as dt

import duckdb

_NUMBERED = """
    SELECT row_number() OVER (ORDER BY file, sheet NULLS FIRST, "row" NULLS FIRST, "column" NULLS FIRST,
                              reason_en, value NULLS FIRST) AS issue,
           file, sheet, "row", "column", value, reason_en, reason_zh
    FROM ingest_issue WHERE snapshot_id = ? AND severity = 'warning'
"""


def warnings(con: duckdb.DuckDBPyConnection, snapshot: int, limit: int = 1000) -> tuple[int, list[dict]]:
    """(number of warnings, the first ``limit`` of them numbered, each with its note or None)."""
    total = con.execute("SELECT count(*) FROM ingest_issue WHERE snapshot_id = ? AND severity = 'warning'",
                        [int(snapshot)]).fetchall()[0][0]
    rows = con.execute(
        f"SELECT w.*, n.text, n.user_name FROM ({_NUMBERED}) w LEFT JOIN warning_note n "
        "ON n.snapshot_id = ? AND n.issue = w.issue ORDER BY w.issue LIMIT ?",
        [int(snapshot), int(snapshot), int(limit)]).fetchall()
    keys = ("issue", "file", "sheet", "row", "column", "value", "message_en", "message_zh", "note", "note_by")
    return int(total), [dict(zip(keys, r, strict=True)) for r in rows]


def warning_count(con: duckdb.DuckDBPyConnection, snapshot: int) -> int:
    return int(con.execute("SELECT count(*) FROM ingest_issue WHERE snapshot_id = ? AND severity = 'warning'",
                           [int(snapshot)]).fetchall()[0][0])


def set_note(con: duckdb.DuckDBPyConnection, snapshot: int, issue: int, text: str, user: str) -> None:
    """Replace warning ``issue``'s note (inside the caller's transaction)."""
    con.execute("DELETE FROM warning_note WHERE snapshot_id = ? AND issue = ?", [int(snapshot), int(issue)])
    con.execute("INSERT INTO warning_note VALUES (?, ?, ?, ?, ?)",
                [int(snapshot), int(issue), text, user, dt.datetime.now()])
