"""Sign-in, sessions, CSRF and the login rate limit over a real store (decision 0029)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from conftest import TEST_PASSWORD, add_users, login
from gaoxin.api.app import Settings, create_app

USERS = {"root": {"role": "admin"}, "ada": {"role": "zone", "zones": ["GX001", "GX002"]},
         "pat": {"role": "province", "provinces": ["44"]}}


def _audit(client, action: str) -> list[tuple]:
    con = client.app.state.store.cursor()
    try:
        return con.execute('SELECT user_name, target, address, detail FROM audit_log WHERE action = ? '
                           'ORDER BY "at"', [action]).fetchall()
    finally:
        con.close()


def test_login_me_logout(demo_db):
    add_users(demo_db, USERS)
    with TestClient(create_app(Settings(db=demo_db))) as client:
        assert client.get("/api/v1/auth/me").status_code == 401
        res = client.post("/api/v1/auth/login", json={"username": "ada", "password": TEST_PASSWORD})
        assert res.status_code == 200
        body = res.json()
        assert body["user"] == {"name": "ada", "role": "zone", "zones": ["GX001", "GX002"], "provinces": []}
        cookie = res.headers["set-cookie"].lower()
        assert "gaoxin_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert "secure" not in cookie  # Settings.secure_cookies is off by default (plain http on loopback)
        assert body["csrf_token"] not in res.headers["set-cookie"]  # the cookie holds only the session token
        me = client.get("/api/v1/auth/me").json()
        assert me["user"]["name"] == "ada" and me["csrf_token"] == body["csrf_token"]
        client.headers["X-CSRF-Token"] = body["csrf_token"]
        assert client.post("/api/v1/auth/logout").status_code == 200
        assert client.get("/api/v1/auth/me").status_code == 401
        logins = _audit(client, "login")
        assert [r[0] for r in logins] == ["ada"] and logins[0][2] == "testclient"
        assert [r[0] for r in _audit(client, "logout")] == ["ada"]


def test_logout_ends_the_session_for_a_stolen_cookie_too(demo_db):
    add_users(demo_db, USERS)
    with TestClient(create_app(Settings(db=demo_db))) as client:
        login(client, "ada")
        token = client.cookies.get("gaoxin_session")
        assert client.post("/api/v1/auth/logout").status_code == 200
        client.cookies.set("gaoxin_session", token)  # replaying the old cookie
        assert client.get("/api/v1/auth/me").status_code == 401


def test_secure_cookie_behind_https(demo_db):
    add_users(demo_db, USERS)
    with TestClient(create_app(Settings(db=demo_db, secure_cookies=True)), base_url="https://testserver") as c:
        res = c.post("/api/v1/auth/login", json={"username": "ada", "password": TEST_PASSWORD})
        assert "secure" in res.headers["set-cookie"].lower()


def test_wrong_password_unknown_user_and_disabled_are_one_answer(demo_db):
    add_users(demo_db, {**USERS, "gone": {"role": "viewer"}})
    from gaoxin.services import Store
    from gaoxin.services.accounts import change_user

    with Store(demo_db, "write") as s:
        change_user(s, "gone", disabled=True)
    with TestClient(create_app(Settings(db=demo_db))) as client:
        answers = [client.post("/api/v1/auth/login", json={"username": u, "password": p})
                   for u, p in (("ada", "wrong-password"), ("nobody", TEST_PASSWORD), ("gone", TEST_PASSWORD))]
        assert {r.status_code for r in answers} == {401}
        assert {r.json()["error"]["code"] for r in answers} == {"login_failed"}
        assert all("set-cookie" not in r.headers for r in answers)
        failed = _audit(client, "login failed")
        assert [r[0] for r in failed] == ["ada", "nobody", "gone"]
        assert all(r[2] == "testclient" and "bad_credentials" in r[3] for r in failed)


def test_csrf_is_required_on_state_changing_requests(demo_db):
    add_users(demo_db, USERS)
    with TestClient(create_app(Settings(db=demo_db))) as client:
        token = login(client, "ada")
        del client.headers["X-CSRF-Token"]
        res = client.post("/api/v1/auth/logout")
        assert res.status_code == 403 and res.json()["error"]["code"] == "csrf"
        res = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token[:-1] + "x"})
        assert res.status_code == 403 and res.json()["error"]["code"] == "csrf"
        assert client.get("/api/v1/auth/me").status_code == 200  # still signed in: the forged request did nothing
        assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 200


def test_idle_sessions_end(demo_db):
    add_users(demo_db, USERS)
    app = create_app(Settings(db=demo_db))
    clock = [1000.0]
    with TestClient(app) as client:
        app.state.sessions._clock = lambda: clock[0]  # the session table's clock, advanced by hand
        login(client, "ada")
        clock[0] += 29 * 60
        assert client.get("/api/v1/auth/me").status_code == 200  # 29 min idle: alive, and touched
        clock[0] += 29 * 60
        assert client.get("/api/v1/auth/me").status_code == 200  # 58 min since login, 29 idle
        clock[0] += 30 * 60 + 1
        assert client.get("/api/v1/auth/me").status_code == 401  # 30 min and 1 s idle: ended
        assert app.state.sessions.count() == 0


def test_password_role_change_and_disable_end_sessions(demo_db):
    add_users(demo_db, USERS)
    from gaoxin.services.accounts import change_user

    app = create_app(Settings(db=demo_db))
    with TestClient(app) as a:
        b = TestClient(app)  # a second browser of the running app
        # each change is made by the server (as the admin page does) and must end the account's open sessions
        password = TEST_PASSWORD
        for change in ({"password": "another-pass-1"}, {"role": "national", "provinces": []}, {"disabled": True}):
            login(a, "pat", password)
            login(b, "pat", password)
            view = app.state.store.view()
            try:
                change_user(view, "pat", **change)
            finally:
                view.close()
            app.state.sessions.refresh("pat")
            password = change.get("password", password)
            assert a.get("/api/v1/auth/me").status_code == 401, change
            assert b.get("/api/v1/auth/me").status_code == 401, change


def test_an_epoch_changed_behind_the_cache_ends_the_session(demo_db):
    """A session remembers its account's epoch; once the cached account is reread, an older one is refused."""
    add_users(demo_db, USERS)
    from gaoxin.services.accounts import change_user

    app = create_app(Settings(db=demo_db))
    with TestClient(app) as client:
        login(client, "ada")
        view = app.state.store.view()
        try:
            change_user(view, "ada", zones=["GX003"])
        finally:
            view.close()
        app.state.sessions._accounts.clear()  # the cache forgets (as after a restart): the epoch is reread
        assert client.get("/api/v1/auth/me").status_code == 401


def test_login_rate_limit_per_account_and_per_address(demo_db):
    add_users(demo_db, USERS)
    app = create_app(Settings(db=demo_db, login_attempts=3, login_window_seconds=60))
    clock = [0.0]
    with TestClient(app) as client:
        app.state.limiter._clock = lambda: clock[0]
        for _ in range(3):
            assert client.post("/api/v1/auth/login", json={"username": "ada", "password": "nope-nope"}
                               ).status_code == 401
        res = client.post("/api/v1/auth/login", json={"username": "ada", "password": TEST_PASSWORD})
        assert res.status_code == 429 and res.json()["error"]["code"] == "rate_limited"  # even the right password
        assert res.json()["error"]["detail"]["retry_after"] == 60
        # the address is blocked too: another account from the same address waits as well
        assert client.post("/api/v1/auth/login", json={"username": "pat", "password": TEST_PASSWORD}
                           ).status_code == 429
        clock[0] += 61  # the window has passed
        login(client, "ada")
        assert any("rate_limited" in r[3] for r in _audit(client, "login failed"))


def test_rate_limit_per_account_from_many_addresses():
    from gaoxin.api.security import RateLimiter

    clock = [0.0]
    r = RateLimiter(2, 10, clock=lambda: clock[0])
    r.failed("user:ada", "addr:1.1.1.1")
    r.failed("user:ada", "addr:2.2.2.2")
    assert r.retry_after("user:ada", "addr:3.3.3.3") == 10  # the account is blocked from a fresh address
    assert r.retry_after("user:bob", "addr:1.1.1.1") is None  # one failure from that address: not blocked
    clock[0] = 4
    assert r.retry_after("user:ada") == 6
    clock[0] = 10.5
    assert r.retry_after("user:ada") is None


def test_oversized_json_body_is_413(demo_db):
    with TestClient(create_app(Settings(db=demo_db))) as client:
        res = client.post("/api/v1/auth/login", content=b"{" + b" " * (1 << 20) + b"}",
                          headers={"content-type": "application/json"})
        assert res.status_code == 413 and res.json()["error"]["code"] == "too_large"


def test_admin_users_routes_never_return_a_hash(demo_db):
    add_users(demo_db, USERS)
    app = create_app(Settings(db=demo_db))
    with TestClient(app) as admin:
        ada = TestClient(app)
        login(ada, "ada")
        assert ada.get("/api/v1/users").status_code == 403
        assert ada.get("/api/v1/audit").status_code == 403
        assert ada.post("/api/v1/users", json={"name": "x", "role": "viewer"}).status_code == 403
        login(admin, "root")
        listed = admin.get("/api/v1/users").json()
        assert [u["name"] for u in listed] == ["ada", "pat", "root"]
        made = admin.post("/api/v1/users", json={"name": "bank1", "role": "bank", "zones": ["GX003"]})
        assert made.status_code == 201
        password = made.json()["password"]
        assert made.json()["user"]["zones"] == ["GX003"]
        bad = admin.post("/api/v1/users", json={"name": "z", "role": "zone", "zones": ["GX404"]})
        assert bad.status_code == 400 and "GX404" in bad.json()["error"]["message_en"]
        assert "不存在" in bad.json()["error"]["message_zh"] and "/" not in bad.json()["error"]["message_zh"]
        changed = admin.patch("/api/v1/users/ada", json={"zones": ["GX003"]})
        assert changed.status_code == 200 and changed.json()["zones"] == ["GX003"]
        assert ada.get("/api/v1/auth/me").status_code == 401  # the scope change ended ada's session
        everything = json.dumps([admin.get("/api/v1/users").json(), made.json(), changed.json()])
        assert "argon2" not in everything and "hash" not in everything
        bank = TestClient(app)  # a second browser; the app (and its store) is already running
        assert login(bank, "bank1", password)
        assert bank.get("/api/v1/auth/me").json()["user"]["role"] == "bank"
        last = admin.patch("/api/v1/users/root", json={"role": "viewer"})
        assert last.status_code == 400 and "last admin" in last.json()["error"]["message_en"]

        page = admin.get("/api/v1/audit", params={"action": "user change", "page_size": 10}).json()
        assert page["total"] == 1 and page["rows"][0]["user"] == "root" and page["rows"][0]["target"] == "ada"
        assert page["rows"][0]["address"] == "testclient" and page["rows"][0]["detail"]["zones"] == ["GX003"]
        logins = admin.get("/api/v1/audit", params={"action": "login", "page_size": 1, "page": 2}).json()
        assert logins["total"] == 3 and len(logins["rows"]) == 1  # ada, root, bank1: one row per page
        assert admin.get("/api/v1/audit", params={"page_size": 501}).status_code == 422
