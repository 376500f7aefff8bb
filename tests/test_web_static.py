"""The built dashboard served by the API app (api/static.py): files, history-mode fallback, the API untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gaoxin.api.static import SpaFiles, mount, resolve


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "static"
    (r / "assets").mkdir(parents=True)
    (r / "index.html").write_text("<!doctype html><title>INDEX</title>", "utf-8")
    (r / "assets" / "app-1a2b.js").write_text("console.log(1)", "utf-8")
    (r / "favicon.svg").write_text("<svg/>", "utf-8")
    (tmp_path / "secret.txt").write_text("SECRET", "utf-8")
    return r


def client(root: Path) -> TestClient:
    app = FastAPI()

    @app.get("/api/v1/ping")
    def ping() -> dict:
        return {"pong": True}

    @app.post("/api/v1/echo")
    def echo() -> dict:
        return {"posted": True}

    mount(app, root=root)
    return TestClient(app)


def test_pages_fall_back_to_index_and_never_cache(root):
    c = client(root)
    for path in ("/", "/login", "/zones/GX001", "/enterprises/91440300192317458F?x=1"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert "INDEX" in r.text
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert "default-src 'self'" in r.headers["content-security-policy"]


def test_assets_are_files_with_their_type_and_a_long_cache(root):
    r = client(root).get("/assets/app-1a2b.js")
    assert r.status_code == 200 and r.text == "console.log(1)"
    assert r.headers["content-type"].startswith("text/javascript")
    assert "immutable" in r.headers["cache-control"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_a_missing_asset_is_404_not_the_page(root):
    assert client(root).get("/assets/old-9z.js").status_code == 404


def test_no_file_outside_the_root(root):
    c = client(root)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        assert "SECRET" not in c.get(path).text, path
    assert resolve(root, "/../secret.txt") is None
    assert resolve(root, "/assets") is None  # a directory is not a file
    assert resolve(root, "/favicon.svg") == (root / "favicon.svg").resolve()


def test_the_api_is_untouched(root):
    c = client(root)
    assert c.get("/api/v1/ping").json() == {"pong": True}
    assert c.post("/api/v1/echo").json() == {"posted": True}
    assert c.get("/api/v1/nothing-here").status_code == 404
    assert "INDEX" not in c.get("/api/v1/nothing-here").text
    # a non-GET outside /api goes to the app too (no page answers a POST)
    assert "INDEX" not in c.post("/login").text


def test_not_built_says_how_to_build(tmp_path):
    r = client(tmp_path / "none").get("/zones/GX001")
    assert r.status_code == 503
    assert "make web" in r.text and "仪表盘尚未构建" in r.text


def test_create_app_serves_the_dashboard():
    from gaoxin.api.app import create_app

    assert any(m.cls is SpaFiles for m in create_app().user_middleware)
