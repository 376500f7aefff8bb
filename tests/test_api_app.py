"""The app skeleton: it owns its store, serves its OpenAPI schema, and every error is JSON with a stable code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gaoxin.api.app import Settings, create_app


def test_schema_and_json_errors(demo_db):
    with TestClient(create_app(Settings(db=demo_db))) as client:
        schema = client.get("/api/v1/openapi.json")
        assert schema.status_code == 200 and schema.json()["info"]["title"] == "gaoxin API"
        missing = client.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found" and "Traceback" not in missing.text


def test_the_server_owns_its_store(demo_db):
    """While the server runs, another process's reader gets the core's busy message (exit 2), not a lock error."""
    import os
    import subprocess
    import sys

    with TestClient(create_app(Settings(db=demo_db))):
        env = {**os.environ, "GAOXIN_STORE_WAIT": "0.3"}
        res = subprocess.run([sys.executable, "-m", "gaoxin", "snapshots", "--db", str(demo_db)], env=env,
                             capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert str(os.getpid()) in res.stdout + res.stderr
