"""The authorisation matrix (issue #10 §2): every route of the app, every role, signed in for real.

For each role, the credit codes of enterprises in zones outside its scope must never appear — not in
JSON bodies, CSV/XLSX downloads, error messages or search results.  Every route of ``app.routes`` must
have an entry in ``ROUTES``: a new route without one fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from conftest import add_users, login

OWN, OTHER = "GX007", "GX001"  # GX007 is the only zone of province 35 in the demo store; GX001 is in 64

# (method, path template) → requests to make: (method, url, json body).  Placeholders: {own}, {other}
# zones, {own_code} / {other_code} credit codes of firms in them, {eid} the evaluation.
ROUTES: dict[tuple[str, str], list[tuple[str, str, dict | None]]] = {
    ("POST", "/api/v1/auth/login"): [("POST", "/api/v1/auth/login", {"username": "{other_code}", "password": "x"})],
    ("POST", "/api/v1/auth/logout"): [],  # ends the session: exercised in test_api_auth.py
    ("GET", "/api/v1/auth/me"): [("GET", "/api/v1/auth/me", None)],
    ("GET", "/api/v1/users"): [("GET", "/api/v1/users", None)],
    ("POST", "/api/v1/users"): [("POST", "/api/v1/users", {"name": "{other_code}"})],  # invalid: 422, nothing made
    ("PATCH", "/api/v1/users/{name}"): [("PATCH", "/api/v1/users/nobody-here", {"disabled": True})],
    ("GET", "/api/v1/audit"): [("GET", "/api/v1/audit?page_size=500", None)],
    ("GET", "/api/v1/snapshots"): [("GET", "/api/v1/snapshots", None)],
    ("GET", "/api/v1/snapshots/diff"): [("GET", "/api/v1/snapshots/diff?a=1&b=1", None)],
    ("GET", "/api/v1/snapshots/{snapshot}/warnings"): [("GET", "/api/v1/snapshots/1/warnings?limit=500", None)],
    ("POST", "/api/v1/snapshots/{snapshot}/warnings/{issue}/note"): [
        ("POST", "/api/v1/snapshots/1/warnings/999999/note", {"text": "{other_code}?"})],
    ("POST", "/api/v1/uploads"): [("POST", "/api/v1/uploads", None)],  # no file: a clean 4xx
    ("GET", "/api/v1/uploads/{job_id}/rejections.xlsx"): [("GET", "/api/v1/uploads/no-such-job/rejections.xlsx",
                                                           None)],
    ("POST", "/api/v1/evaluations"): [("POST", "/api/v1/evaluations", {"framework": "no-such-framework",
                                                                       "year": 2024})],
    ("GET", "/api/v1/jobs/{job_id}"): [("GET", "/api/v1/jobs/no-such-job", None)],
    ("GET", "/api/v1/jobs"): [("GET", "/api/v1/jobs", None)],
    ("GET", "/api/v1/publications"): [("GET", "/api/v1/publications", None)],
    ("POST", "/api/v1/publications"): [("POST", "/api/v1/publications", {"kind": "aggregate", "key": "x"})],
    ("DELETE", "/api/v1/publications/{publication_id}"): [("DELETE", "/api/v1/publications/999999", None)],
    ("GET", "/api/v1/meta"): [("GET", "/api/v1/meta", None)],
    ("GET", "/api/v1/zones"): [("GET", "/api/v1/zones", None)],
    ("GET", "/api/v1/evaluations"): [("GET", "/api/v1/evaluations", None)],
    ("GET", "/api/v1/evaluations/{eid}/ranking"): [("GET", "/api/v1/evaluations/{eid}/ranking", None)],
    ("GET", "/api/v1/overview"): [("GET", "/api/v1/overview", None)],
    ("GET", "/api/v1/zones/{zone}/profile"): [("GET", "/api/v1/zones/{own}/profile", None),
                                              ("GET", "/api/v1/zones/{other}/profile", None)],
    ("GET", "/api/v1/zones/{zone}/explanation"): [("GET", "/api/v1/zones/{own}/explanation", None),
                                                  ("GET", "/api/v1/zones/{other}/explanation", None)],
    ("GET", "/api/v1/zones/{zone}/tiers"): [("GET", "/api/v1/zones/{own}/tiers", None),
                                            ("GET", "/api/v1/zones/{other}/tiers", None)],
    ("GET", "/api/v1/zones/{zone}/near-miss"): [("GET", "/api/v1/zones/{own}/near-miss", None),
                                                ("GET", "/api/v1/zones/{other}/near-miss", None)],
    ("GET", "/api/v1/enterprises"): [("GET", "/api/v1/enterprises?page_size=500", None),
                                     ("GET", "/api/v1/enterprises?q={other_code}", None),
                                     ("GET", "/api/v1/enterprises?q=示例&zone={other}", None),
                                     ("GET", "/api/v1/enterprises?sort=nope", None)],
    ("GET", "/api/v1/enterprises/{credit_code}"): [("GET", "/api/v1/enterprises/{own_code}", None),
                                                   ("GET", "/api/v1/enterprises/{other_code}", None),
                                                   ("GET", "/api/v1/enterprises/{own_code}?years=all", None),
                                                   ("GET", "/api/v1/enterprises/{other_code}?years=all", None)],
    ("GET", "/api/v1/zones/{zone}/industry"): [("GET", "/api/v1/zones/{other}/industry", None)],
    ("GET", "/api/v1/chains"): [("GET", "/api/v1/chains", None)],
    ("GET", "/api/v1/zones/{zone}/chains/{chain}"): [
        ("GET", "/api/v1/zones/{own}/chains/integrated-circuit", None),
        ("GET", "/api/v1/zones/{other}/chains/integrated-circuit", None)],
    ("GET", "/api/v1/zones/{zone}/mujun"): [("GET", "/api/v1/zones/{own}/mujun", None),
                                            ("GET", "/api/v1/zones/{other}/mujun", None)],
    ("POST", "/api/v1/zones/{zone}/mujun/simulate"): [
        ("POST", "/api/v1/zones/{other}/mujun/simulate", {"schedule": {"C": 0.1, "D": 0.3}}),
        ("POST", "/api/v1/zones/{own}/mujun/simulate", {"schedule": {"C": 0.1, "D": 0.3}})],
    ("GET", "/api/v1/points"): [("GET", "/api/v1/points?page_size=500", None),
                                ("GET", "/api/v1/points?zone={other}", None)],
    ("GET", "/api/v1/monitoring"): [("GET", "/api/v1/monitoring", None)],
    ("GET", "/api/v1/exports/ranking.{fmt}"): [("GET", "/api/v1/exports/ranking.csv", None),
                                               ("GET", "/api/v1/exports/ranking.xlsx", None)],
    ("GET", "/api/v1/exports/enterprises.{fmt}"): [("GET", "/api/v1/exports/enterprises.csv", None),
                                                   ("GET", "/api/v1/exports/enterprises.xlsx?zone={other}", None)],
    ("GET", "/api/v1/exports/points.{fmt}"): [("GET", "/api/v1/exports/points.csv", None),
                                              ("GET", "/api/v1/exports/points.xlsx", None)],
    ("GET", "/api/v1/evaluations/{evaluation_id}/report"): [  # issue #11; every format: tests/test_api_reports.py
        ("GET", "/api/v1/evaluations/{eid}/report?scope=zone:{other}&format=docx", None)],
}

USERS = {"adm": {"role": "admin"}, "nat": {"role": "national"}, "prov": {"role": "province", "provinces": ["35"]},
         "zon": {"role": "zone", "zones": [OWN]}, "bnk": {"role": "bank", "zones": [OWN]}, "vie": {"role": "viewer"}}
IN_SCOPE = {"adm": None, "nat": None, "prov": {OWN}, "zon": {OWN}, "bnk": {OWN}, "vie": set()}
SKIP = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/oauth2-redirect"}


def _flatten(routes, prefix: str = ""):
    """Every route, also inside included routers (FastAPI ≥ 0.120 keeps them as ``_IncludedRouter``)."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes, prefix + getattr(r.include_context, "prefix", ""))
        elif hasattr(r, "routes") and not hasattr(r, "methods"):
            yield from _flatten(r.routes, prefix + getattr(r, "path", ""))
        else:
            yield prefix + getattr(r, "path", ""), getattr(r, "methods", None) or set()


def _app_routes(app) -> set[tuple[str, str]]:
    out = set()
    for path, methods in _flatten(app.routes):
        if path in SKIP or path == "/docs/oauth2-redirect" or not path.startswith("/api/"):
            continue
        out |= {(m, path) for m in set(methods) - {"HEAD", "OPTIONS"}}
    return out


def test_every_route_is_in_the_matrix(tmp_path):
    from gaoxin.api.app import Settings, create_app

    app = create_app(Settings(db=tmp_path / "unused.duckdb"))
    missing = _app_routes(app) - set(ROUTES)
    assert not missing, f"routes without an entry in tests/test_api_scoping.py ROUTES: {sorted(missing)}"
    stale = set(ROUTES) - _app_routes(app)
    assert not stale, f"ROUTES lists routes the app no longer has: {sorted(stale)}"


def _text(res) -> str:
    if "wordprocessingml" in res.headers.get("content-type", ""):
        import zipfile

        with zipfile.ZipFile(io.BytesIO(res.content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if "spreadsheetml" in res.headers.get("content-type", ""):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(res.content), read_only=True)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    return res.text


@pytest.fixture(scope="module")
def world(demo_store_template, tmp_path_factory):
    """A private demo store with one user per role, evaluation and GX007's points list published."""
    import shutil

    from gaoxin.services import Store, publishing
    from gaoxin.services.access import Access
    from gaoxin.store import reads

    db = tmp_path_factory.mktemp("scoping") / "gaoxin.duckdb"
    shutil.copyfile(demo_store_template, db)
    add_users(db, USERS)
    with Store(db, "write") as s:
        root = Access("root", "admin")
        eid = int(s.con.execute("SELECT min(id) FROM evaluation").fetchall()[0][0])
        publishing.publish(s, root, "evaluation", publishing.evaluation_key(eid))
        h = s.con.execute("SELECT DISTINCT rules_hash, year FROM innovation_points WHERE zone_id = ?",
                          [OWN]).fetchall()[0]
        publishing.publish(s, root, "points", publishing.points_key(OWN, int(h[1]), h[0]))
        firms = {}
        for y in reads.years(s.con, 1):
            rows = reads.year_rows(s.con, 1, y)
            firms.update(dict(zip(rows["credit_code"], rows["zone_id"], strict=True)))
    by_zone = {OWN: sorted(c for c, z in firms.items() if z == OWN),
               OTHER: sorted(c for c, z in firms.items() if z == OTHER)}
    ctx = {"own": OWN, "other": OTHER, "own_code": by_zone[OWN][0], "other_code": by_zone[OTHER][0], "eid": eid}
    return db, firms, ctx


@pytest.mark.parametrize("user", list(USERS))
def test_no_out_of_scope_enterprise_reaches_a_role(world, user):
    from gaoxin.api.app import Settings, create_app

    db, firms, ctx = world
    scope = IN_SCOPE[user]
    forbidden = set() if scope is None else {c for c, z in firms.items() if z not in scope}
    with TestClient(create_app(Settings(db=db))) as client:
        login(client, user)
        seen_rows = 0
        for (_, _), specs in ROUTES.items():
            for method, url, body in specs:
                url = url.format(**ctx)
                if body is not None:
                    body = {k: (v.format(**ctx) if isinstance(v, str) else v) for k, v in body.items()}
                res = client.request(method, url, json=body)
                assert res.status_code < 500, (user, url, res.text[:300])
                text = _text(res)
                leaked = [c for c in forbidden if c in text]
                assert not leaked, f"{user} saw {len(leaked)} out-of-scope firms at {method} {url}: {leaked[:3]}"
                seen_rows += sum(c in text for c in firms)
        if user in ("adm", "nat", "prov", "zon"):
            assert seen_rows > 0  # the matrix really reads enterprise rows for roles that have some
        if user == "vie":
            assert seen_rows == 0
