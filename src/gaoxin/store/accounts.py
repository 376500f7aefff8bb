"""Accounts table (migration 012): the only SQL that reads or writes ``app_user``.

Rows come back as :class:`UserRow`; the password hash is a field of the row for the services'
verification only — no surface serialises it (``UserRow.public``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

TABLE = "app_user"
_COLUMNS = "name, role, zones, provinces, password_hash, disabled, epoch, created_at, changed_at"


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    zones: tuple[str, ...]
    provinces: tuple[str, ...]
    password_hash: str
    disabled: bool
    epoch: int
    created_at: dt.datetime
    changed_at: dt.datetime

    def public(self) -> dict:
        """Everything but the hash, JSON-ready."""
        return {"name": self.name, "role": self.role, "zones": list(self.zones), "provinces": list(self.provinces),
                "disabled": self.disabled, "created_at": self.created_at.isoformat(timespec="seconds"),
                "changed_at": self.changed_at.isoformat(timespec="seconds")}


def _row(r: tuple) -> UserRow:
    return UserRow(r[0], r[1], tuple(json.loads(r[2])), tuple(json.loads(r[3])), r[4], bool(r[5]), int(r[6]),
                   r[7], r[8])


def get(con: duckdb.DuckDBPyConnection, name: str) -> UserRow | None:
    rows = con.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE name = ?", [name]).fetchall()
    return _row(rows[0]) if rows else None


def listing(con: duckdb.DuckDBPyConnection) -> list[UserRow]:
    return [_row(r) for r in con.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY name").fetchall()]


def count_enabled(con: duckdb.DuckDBPyConnection, role: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {TABLE} WHERE role = ? AND NOT disabled", [role]).fetchall()[0][0])


def insert(con: duckdb.DuckDBPyConnection, name: str, role: str, zones: list[str], provinces: list[str],
           password_hash: str) -> None:
    now = dt.datetime.now()
    con.execute(f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, false, 1, ?, ?)",
                [name, role, json.dumps(zones), json.dumps(provinces), password_hash, now, now])


def update(con: duckdb.DuckDBPyConnection, name: str, *, role: str | None = None, zones: list[str] | None = None,
           provinces: list[str] | None = None, password_hash: str | None = None, disabled: bool | None = None,
           end_sessions: bool = True) -> None:
    """Change the given fields; with ``end_sessions`` the epoch moves on, ending the account's sessions.

    Column names are constants of this function; every value is a bound parameter.
    """
    sets, params = ["changed_at = ?"], [dt.datetime.now()]
    for column, value in (("role", role), ("zones", None if zones is None else json.dumps(zones)),
                          ("provinces", None if provinces is None else json.dumps(provinces)),
                          ("password_hash", password_hash), ("disabled", disabled)):
        if value is not None:
            sets.append(f"{column} = ?")
            params.append(value)
    if end_sessions:
        sets.append("epoch = epoch + 1")
    con.execute(f"UPDATE {TABLE} SET {', '.join(sets)} WHERE name = ?", [*params, name])
