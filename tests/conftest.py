"""Shared fixtures: tiny but valid contract files written by the tests themselves."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from gaoxin.ingest.credit_code import make_codes

ENT_HEADERS = ["统一社会信用代码", "企业名称", "园区代码", "年份", "营业收入（千元）", "年末从业人员（人）",
               "R&D经费内部支出（千元）", "是否高新技术企业"]
ZONE_HEADERS = ["园区代码", "园区名称", "级别", "省份代码", "所在城市"]


def write_csv(path: Path, headers: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)
    return path


DEMO_FIXTURES = frozenset({"demo_db", "demo_store_template"})


def pytest_collection_modifyitems(config, items) -> None:
    """Mark slow what ``make test-fast`` should leave out (``tests/measured_slow.py`` says why and how)."""
    from measured_slow import is_listed, listed

    measured = listed()
    for item in items:
        if DEMO_FIXTURES & set(getattr(item, "fixturenames", ())) or is_listed(item.nodeid, measured):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def codes() -> list[str]:
    return list(make_codes(np.random.default_rng(7), np.array(["440300"] * 40)))


@pytest.fixture
def zones_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "zones.csv", ZONE_HEADERS, [
        ["GX001", "示例高新区001", "国家级", "44", "示例市01"],
        ["GX002", "示例高新区002", "省级", "110000", "示例市02"],
    ])


@pytest.fixture
def enterprises_rows(codes) -> list[list]:
    rows = []
    for i, c in enumerate(codes[:10]):
        for y in (2022, 2023):
            rows.append([c, f"示例企业{i:02d}", "GX001" if i % 2 else "GX002", y, 1000 + 100 * i + y % 10,
                         10 + i, 50 + i, "是" if i % 3 == 0 else "否"])
    return rows


@pytest.fixture
def enterprises_csv(tmp_path: Path, enterprises_rows) -> Path:
    return write_csv(tmp_path / "enterprises.csv", ENT_HEADERS, enterprises_rows)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def ingest_path(paths, db, **kw):
    """Ingest into the store file ``db``: opens (and migrates) a connection, as the Store will."""
    from gaoxin.store.db import connect
    from gaoxin.store.load import ingest

    con = connect(db)
    try:
        return ingest(con, paths, **kw)
    finally:
        con.close()


@pytest.fixture(scope="session")
def demo_store_template(tmp_path_factory) -> Path:
    """A small demo store (12 zones, 600 firms, 2021–2024, 200 MC runs) built once per worker."""
    from gaoxin.services.demo import DemoSettings, run_demo

    out = tmp_path_factory.mktemp("demo-store")
    res = run_demo(DemoSettings(out_dir=out, zones=12, enterprises=600, years=(2021, 2024), dirty=0.05, runs=200))
    return res.db_file


@pytest.fixture
def demo_db(demo_store_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store, free to write to."""
    import shutil

    target = tmp_path / "gaoxin.duckdb"
    shutil.copyfile(demo_store_template, target)
    return target


# --- web accounts (issue #10): users in a store file, and signing a TestClient in ---------------------------

TEST_PASSWORD = "correct-horse-9"


def add_users(db: Path, users: dict[str, dict]) -> None:
    """``{"ada": {"role": "zone", "zones": ["GX001"]}, ...}`` as accounts with :data:`TEST_PASSWORD`."""
    from gaoxin.services import Store
    from gaoxin.services.accounts import add_user

    with Store(db, "write") as store:
        for name, spec in users.items():
            add_user(store, name, spec["role"], spec.get("password", TEST_PASSWORD), spec.get("zones"),
                     spec.get("provinces"))


def login(client, name: str, password: str = TEST_PASSWORD) -> str:
    """Sign ``client`` in (its cookie jar keeps the session); set and return the CSRF header's token."""
    res = client.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert res.status_code == 200, res.text
    token = res.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token
