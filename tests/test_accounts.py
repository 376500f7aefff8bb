"""Accounts, sessions and the audit log below the API: hand-worked cases of each rule."""

from __future__ import annotations

import datetime as dt

import pytest

from gaoxin.services import Store
from gaoxin.services.access import Access
from gaoxin.services.accounts import add_user, authenticate, change_user, check_scope, list_users
from gaoxin.services.errors import InputError
from gaoxin.services.sessions import Account, Sessions
from gaoxin.store import accounts, audit

PW = "a-long-password"


def test_add_authenticate_change(demo_db):
    with Store(demo_db, "write") as s:
        add_user(s, "ada", "zone", PW, ["GX002", "GX001", "GX001"])
        row = accounts.get(s.con, "ada")
        assert row.zones == ("GX001", "GX002") and row.epoch == 1 and not row.disabled  # sorted, unique
        assert row.password_hash.startswith("$argon2id$")
        assert authenticate(s, "ada", PW).name == "ada"
        assert authenticate(s, "ada", PW + "x") is None and authenticate(s, "nobody", PW) is None
        assert authenticate(s, "'; DROP TABLE app_user; --", PW) is None
        change_user(s, "ada", zones=["GX003"])
        assert accounts.get(s.con, "ada").epoch == 2
        change_user(s, "ada", role="province", provinces=["44", "11"])
        r = accounts.get(s.con, "ada")
        assert (r.role, r.zones, r.provinces, r.epoch) == ("province", (), ("11", "44"), 3)  # zones dropped
        with pytest.raises(InputError, match="needs provinces"):
            change_user(s, "ada", role="province", provinces=[])
        assert "password_hash" not in list_users(s)[0]


def test_scope_rules(demo_db):
    with Store(demo_db, "read") as s:
        assert check_scope(s, "bank", ["GX003"], None).zones == ["GX003"]
        assert check_scope(s, "viewer", None, None).zones == []
        for role, zones, provinces, message in [
                ("zone", [], None, "needs zones"), ("zone", ["GX999"], None, "GX999"),
                ("province", None, ["4"], "two-digit"), ("province", None, ["00"], "two-digit"),
                ("admin", None, ["44"], "takes no provinces"), ("viewer", ["GX001"], None, "takes no zones"),
                ("root", None, None, "unknown role")]:
            with pytest.raises(InputError, match=message):
                check_scope(s, role, zones, provinces)


def test_audit_rows_by_column_name_with_actor(demo_db):
    with Store(demo_db, "write") as s:
        audit.record(s.con, "plain", "t1", k=1)
        with audit.acting("web-user", "10.0.0.7"):
            audit.record(s.con, "acted", "t2")
            audit.record(s.con, "explicit", "t3", user="other", address="::1")
        audit.record(s.con, "after", "t4")
        rows = s.con.execute("SELECT action, user_name, address FROM audit_log WHERE action IN "
                             "('plain', 'acted', 'explicit', 'after') ORDER BY \"at\"").fetchall()
        me = audit.login_name()
        assert rows == [("plain", me, None), ("acted", "web-user", "10.0.0.7"), ("explicit", "other", "::1"),
                        ("after", me, None)]
        total, page = audit.query(s.con, user="web-user")
        assert total == 1 and page[0]["action"] == "acted" and page[0]["detail"] == {}
        total, _ = audit.query(s.con, since=dt.datetime.now() + dt.timedelta(days=1))
        assert total == 0


def _sessions(accounts_by_name: dict, clock: list[float], idle: float = 60) -> Sessions:
    return Sessions(idle, lambda n: accounts_by_name.get(n), clock=lambda: clock[0])


def test_sessions_idle_epoch_and_end():
    clock = [0.0]
    acc = {"ada": Account(Access("ada", "zone", frozenset({"GX001"})), 1, False)}
    s = _sessions(acc, clock)
    token, sess = s.open("ada", 1)
    assert token != sess.csrf and len(token) >= 40
    assert s.resolve(token)[1].zones == frozenset({"GX001"})
    assert s.resolve("forged") is None and s.resolve(None) is None
    clock[0] = 60  # exactly the idle limit: alive
    assert s.resolve(token) is not None
    clock[0] = 120.5
    assert s.resolve(token) is None  # 60.5 s idle
    t2, _ = s.open("ada", 1)
    acc["ada"] = Account(acc["ada"].access, 2, False)  # the account changed in the store …
    assert s.resolve(t2) is not None  # … but the cached epoch is still 1
    s.refresh("ada")
    assert s.resolve(t2) is None and s.count() == 0
    t3, _ = s.open("ada", 2)
    acc["ada"] = Account(acc["ada"].access, 2, True)
    s.refresh("ada")
    assert s.resolve(t3) is None  # disabled
    t4, _ = s.open("ada", 2)
    s.end(t4)
    assert s.resolve(t4) is None
