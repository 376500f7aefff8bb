"""``gaoxin users`` and ``gaoxin serve`` (a real uvicorn subprocess owning the store)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import duckdb
import httpx
from typer.testing import CliRunner

from gaoxin.cli import app

runner = CliRunner()
PW = "s3cret-pass-word"


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def _audit(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute('SELECT action, target, detail FROM audit_log WHERE action LIKE \'user%\' ORDER BY "at"'
                           ).fetchall()
    finally:
        con.close()


def test_users_add_list_change_disable_passwd(demo_db):
    db = str(demo_db)
    res = run("users", "add", "ada", "--role", "zone", "--zones", "GX001,GX002", "--db", db, input=f"{PW}\n{PW}\n")
    assert res.exit_code == 0, res.output
    res = run("users", "add", "bob", "--role", "province", "--provinces", "44", "--generate", "--db", db)
    assert res.exit_code == 0 and "shown once" in res.output
    generated = res.output.rsplit(":", 1)[1].strip()
    assert len(generated) == 16

    listed = json.loads(run("users", "list", "--json", "--db", db).stdout)
    assert [(u["name"], u["role"], u["zones"], u["provinces"], u["disabled"]) for u in listed] == [
        ("ada", "zone", ["GX001", "GX002"], [], False), ("bob", "province", [], ["44"], False)]
    assert "hash" not in json.dumps(listed) and "argon2" not in json.dumps(listed)

    assert run("users", "disable", "ada", "--db", db).exit_code == 0
    assert run("users", "passwd", "bob", "--db", db, input="another-pass\nanother-pass\n").exit_code == 0
    assert run("users", "change", "bob", "--role", "national", "--db", db).exit_code == 0
    from gaoxin.services import Store
    from gaoxin.services.accounts import authenticate

    with Store(demo_db, "read") as s:
        assert authenticate(s, "ada", PW) is None  # disabled
        assert authenticate(s, "bob", generated) is None and authenticate(s, "bob", "another-pass").role == "national"
        from gaoxin.store.accounts import get

        assert get(s.con, "ada").epoch == 2 and get(s.con, "bob").epoch == 3  # each change ended its sessions
        stored = get(s.con, "bob").password_hash
        assert stored.startswith("$argon2id$") and "another-pass" not in stored
    actions = [(a, t) for a, t, _ in _audit(demo_db)]
    assert actions == [("user add", "ada"), ("user add", "bob"), ("user disable", "ada"), ("user passwd", "bob"),
                       ("user change", "bob")]


def test_users_clear_errors(demo_db):
    db = str(demo_db)
    cases = [
        (["--role", "zone", "--zones", "GX001,GX404"], "GX404"),
        (["--role", "zone"], "needs zones"),
        (["--role", "province", "--provinces", "440000"], "two-digit"),
        (["--role", "province", "--provinces", "99"], "two-digit"),
        (["--role", "national", "--zones", "GX001"], "takes no zones"),
        (["--role", "emperor"], "unknown role"),
    ]
    for args, expected in cases:
        res = run("users", "add", "eve", *args, "--generate", "--db", db)
        assert res.exit_code == 2 and expected in res.output and "Traceback" not in res.output, (args, res.output)
    res = run("users", "add", "bad name", "--role", "viewer", "--generate", "--db", db)
    assert res.exit_code == 2 and "user name" in res.output
    res = run("users", "add", "eve", "--role", "viewer", "--db", db, input="short\nshort\n")
    assert res.exit_code == 2 and "8–1024" in res.output
    res = run("users", "add", "eve", "--role", "viewer", "--db", db, input=f"{PW}\nother-password\n{PW}\n{PW}\n")
    assert res.exit_code == 0  # a mismatched confirmation is asked again
    assert run("users", "add", "eve", "--role", "viewer", "--generate", "--db", db).exit_code == 2  # exists
    assert run("users", "disable", "nobody", "--db", db).exit_code == 2
    assert run("users", "add", "root", "--role", "admin", "--generate", "--db", db).exit_code == 0
    res = run("users", "disable", "root", "--db", db)
    assert res.exit_code == 2 and "last admin" in res.output
    assert [a for a, _, _ in _audit(demo_db)] == ["user add", "user add"]  # refusals change and audit nothing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_owns_the_store_and_signs_in(demo_db):
    """A real ``gaoxin serve``: log in over HTTP; meanwhile another gaoxin process gets the busy message."""
    assert run("users", "add", "ada", "--role", "zone", "--zones", "GX001", "--db", str(demo_db),
               input=f"{PW}\n{PW}\n").exit_code == 0
    port = _free_port()
    env = {**os.environ, "GAOXIN_STORE_WAIT": "0.3"}
    server = subprocess.Popen([sys.executable, "-m", "gaoxin", "serve", "--db", str(demo_db), "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        with httpx.Client(base_url=base) as client:
            res = client.post("/api/v1/auth/login", json={"username": "ada", "password": PW})
            assert res.status_code == 200 and res.json()["user"]["zones"] == ["GX001"]
            assert client.get("/api/v1/auth/me").json()["user"]["name"] == "ada"
        busy = subprocess.run([sys.executable, "-m", "gaoxin", "snapshots", "--db", str(demo_db)], env=env,
                              capture_output=True, text=True, timeout=120)
        text = " ".join((busy.stdout + busy.stderr).split())
        assert busy.returncode == 2 and "Traceback" not in text
        assert f"While gaoxin serve (process {server.pid}) runs it owns the store" in text
        assert "web page or the API" in text and "网页或 API" in text
        second = subprocess.run([sys.executable, "-m", "gaoxin", "serve", "--db", str(demo_db), "--port",
                                 str(_free_port())], env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and "Traceback" not in second.stdout + second.stderr
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert run("users", "passwd", "ada", "--generate", "--db", str(demo_db)).exit_code == 0  # the store is free


def test_the_busy_hint_names_only_a_real_server():
    from gaoxin.store.db import is_server

    assert is_server("gaoxin serve --db x.duckdb") and is_server("/usr/bin/gaoxin serve")
    assert not is_server("pytest tests/test_serve.py") and not is_server("gaoxin snapshots")
    assert not is_server(None) and not is_server("gaoxin")
