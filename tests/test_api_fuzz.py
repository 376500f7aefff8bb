"""A property run over the OpenAPI schema (schemathesis): no generated request, valid or not, gets a 5xx.

Signed in as an admin (the widest surface), with the CSRF header, against a live server over a copy of the
demo store. Long-running job endpoints are capped small (``max_evaluation_runs``, ``max_upload_mb``);
``/auth/logout`` is left out so the run keeps its session (logout has its own tests).
"""

from __future__ import annotations

import math
import shutil

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from conftest import TEST_PASSWORD, add_users
from web_e2e_helpers import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(demo_store_template, tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "gaoxin.duckdb"
    shutil.copyfile(demo_store_template, db)
    add_users(db, {"fuzz-admin": {"role": "admin"}})
    with LiveServer(db, max_evaluation_runs=10, max_upload_mb=1) as server:
        yield server.url


@pytest.fixture(scope="module")
def session(live):
    s = requests.Session()
    r = s.post(f"{live}/api/v1/auth/login", json={"username": "fuzz-admin", "password": TEST_PASSWORD})
    r.raise_for_status()
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return s


@pytest.fixture(scope="module")
def api_schema(live):
    return schemathesis.openapi.from_url(f"{live}/api/v1/openapi.json").exclude(path="/api/v1/auth/logout")


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def test_no_server_errors(api_schema, session, live):
    """Every operation of the schema, 15 generated requests each (schemathesis' strategies, run by hypothesis:
    its pytest plugin does not load under this pytest)."""
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) > 30  # the whole API, not an empty schema
    failures = []
    for op in operations:
        # a report download builds a whole report (seconds to a minute on the demo): fewer cases, a longer wait
        report = op.path.endswith("/report")

        @given(case=op.as_strategy())
        @settings(max_examples=4 if report else 15, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def check(case) -> None:
            response = case.call(session=session, base_url=live, timeout=300 if report else 30)  # noqa: B023
            where = f"{case.method} {case.formatted_path} {case.query}"
            assert response.status_code < 500, f"{where}: HTTP {response.status_code}"
            assert b"Traceback" not in response.content
            kind = response.headers.get("content-type") or [""]  # schemathesis' headers: name → list of values
            if str(kind[0] if isinstance(kind, list) else kind).startswith("application/json") and response.content:
                assert _finite(response.json()), f"{case.method} {case.formatted_path}: NaN or infinity in JSON"

        try:
            check()
        except AssertionError as e:
            failures.append(str(e).splitlines()[0])
    assert not failures, "\n".join(failures)
