"""The read API over a real demo store, signed in for real: contract shapes, scoping, published-only roles,
audited exports, no NaN in JSON."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from conftest import add_users, login
from gaoxin.services import readcache

USERS = {"nat": {"role": "national"}, "zon": {"role": "zone", "zones": ["GX007"]},
         "bnk": {"role": "bank", "zones": ["GX007"]}, "vie": {"role": "viewer"}}


def _strict(text: str):
    def no_nan(c):
        raise AssertionError(f"JSON holds {c}")

    return json.loads(text, parse_constant=no_nan)


@pytest.fixture
def client(demo_db):
    from gaoxin.api.app import Settings, create_app

    add_users(demo_db, USERS)
    with TestClient(create_app(Settings(db=demo_db))) as c:
        yield c


def test_ranking_profile_overview_shapes(client):
    login(client, "nat")
    meta = _strict(client.get("/api/v1/meta").text)
    eid = meta["evaluations"][0]["id"]
    r = _strict(client.get(f"/api/v1/evaluations/{eid}/ranking").text)
    assert [x["rank"] for x in r["rows"]] == list(range(1, len(r["rows"]) + 1))
    keys = {"zone_id", "score", "rank_p05", "rank_p95", "companion_rank", "grade", "type", "pillars"}
    assert keys <= set(r["rows"][0])
    east = _strict(client.get(f"/api/v1/evaluations/{eid}/ranking?region=east").text)["rows"]
    assert east and {x["region"] for x in east} == {"east"}
    top = r["rows"][0]["zone_id"]
    p = _strict(client.get(f"/api/v1/zones/{top}/profile?evaluation={eid}").text)
    assert p["rank"] == 1 and "plan" in p and p["pillars"][0]["national_median"] is not None
    o = _strict(client.get("/api/v1/overview").text)
    assert sum(t["zones"] for t in o["provinces"]) == len(r["rows"])
    assert all("unit" in f for f in o["key_figures"])
    from gaoxin.api.routes import _models as m

    m.Ranking.model_validate(r)  # the answers match the schema the OpenAPI document publishes
    m.Profile.model_validate(p)
    m.Overview.model_validate(o)
    m.EnterprisePage.model_validate(client.get("/api/v1/enterprises").json())
    m.Page.model_validate(client.get("/api/v1/points").json())
    assert client.get("/api/v1/evaluations/9999/ranking").json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/evaluations/1/ranking?province=x").status_code == 422


def test_zone_user_sees_only_its_enterprises(client):
    login(client, "nat")
    all_rows = client.get("/api/v1/enterprises?page_size=500").json()
    other = next(r["credit_code"] for r in all_rows["rows"] if r["zone_id"] != "GX007")
    mine = next(r["credit_code"] for r in all_rows["rows"] if r["zone_id"] == "GX007")
    own_total = client.get("/api/v1/enterprises?zone=GX007").json()["total"]
    login(client, "zon")
    res = client.get("/api/v1/enterprises?page_size=500").json()
    assert res["total"] == own_total > 0
    assert {r["zone_id"] for r in res["rows"]} == {"GX007"}
    assert client.get(f"/api/v1/enterprises?q={other}").json()["total"] == 0  # search does not reach it
    hidden, missing = client.get(f"/api/v1/enterprises/{other}"), client.get("/api/v1/enterprises/000000000000000000")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    d = client.get(f"/api/v1/enterprises/{mine}").json()
    assert d["zone_id"] == "GX007" and d["tiers"] and all(
        e["result"] in ("pass", "fail", "unknown") for t in d["tiers"] for e in t["evidence"])
    assert client.get("/api/v1/zones/GX001/near-miss").status_code == 404
    assert client.get("/api/v1/zones/GX001/tiers").json()["near_miss"] is None
    assert client.get("/api/v1/zones/GX001/mujun").json()["firms"] is None
    sorted_ = client.get("/api/v1/enterprises?sort=revenue&order=asc").json()["rows"]
    revs = [r["revenue"] for r in sorted_ if r["revenue"] is not None]
    assert revs == sorted(revs)
    assert client.get("/api/v1/enterprises?sort=payload").json()["error"]["code"] == "bad_request"


def test_explanation_firms_only_for_roles_that_see_the_zone(client):
    login(client, "zon")
    own = client.get("/api/v1/zones/GX007/explanation").json()
    assert own["firms"] is not None and own["zone"] == "GX007" and "indicators" in own
    login(client, "vie")
    assert client.get("/api/v1/zones/GX007/explanation").status_code == 404  # nothing published yet


def test_bank_and_viewer_see_published_results_only(client, demo_db):
    from gaoxin.services import Store, publishing
    from gaoxin.services.access import Access

    login(client, "vie")
    assert client.get("/api/v1/evaluations").json() == []
    assert client.get("/api/v1/enterprises").status_code == 403
    assert client.get("/api/v1/points").status_code == 403
    login(client, "bnk")
    assert client.get("/api/v1/points").json()["total"] == 0  # no list published yet
    store = client.app.state.store
    root = Access("root", "admin")
    h, y = store.con.execute("SELECT DISTINCT rules_hash, year FROM innovation_points WHERE zone_id = 'GX007'"
                             ).fetchall()[0]
    publishing.publish(store, root, "points", publishing.points_key("GX007", int(y), h))
    publishing.publish(store, root, "evaluation", "1")
    time.sleep(readcache.TOKEN_TTL_S + 0.05)  # the read caches see a publication within this time
    rows = client.get("/api/v1/points?page_size=500").json()["rows"]
    assert rows and {r["zone_id"] for r in rows} == {"GX007"}
    assert {r["top_band"] for r in rows} <= {"top5", "top5_10", "top10_20"}
    assert [e["id"] for e in client.get("/api/v1/evaluations").json()] == [1]
    assert client.get("/api/v1/evaluations/2/ranking").status_code == 404  # the unpublished companion
    assert isinstance(Store, type)


def test_exports_are_audited_with_the_user(client):
    login(client, "zon")
    res = client.get("/api/v1/exports/enterprises.csv")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    lines = res.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("统一社会信用代码") and all(",GX007," in line for line in lines[1:])
    rows = client.app.state.store.con.execute(
        "SELECT user_name, target FROM audit_log WHERE action = 'export' ORDER BY \"at\"").fetchall()
    assert rows and rows[-1][0] == "zon" and rows[-1][1].endswith("enterprises.csv")
    x = client.get("/api/v1/exports/ranking.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_simulation(client):
    login(client, "zon")
    ok = client.post("/api/v1/zones/GX007/mujun/simulate", json={"schedule": {"A": 0, "B": 0.1}})
    assert ok.status_code == 200
    body = ok.json()
    assert body["total"] == pytest.approx(sum(g["cost_wan"] or 0 for g in body["per_grade"]))
    assert client.post("/api/v1/zones/GX001/mujun/simulate", json={"schedule": {"A": 0}}).status_code == 404
    assert client.post("/api/v1/zones/GX007/mujun/simulate", json={"schedule": {"a=1\n[x]": 0}}).status_code == 400
    assert client.post("/api/v1/zones/GX007/mujun/simulate", json={"schedule": {}, "x": 1}).status_code == 422


def test_speed_of_cached_reads(client):
    """ms per request of the load-tested endpoints once their cache is warm (printed, not asserted)."""
    login(client, "zon")
    urls = ["/api/v1/evaluations/1/ranking", "/api/v1/zones/GX007/profile", "/api/v1/enterprises?zone=GX007"]
    for u in urls:
        assert client.get(u).status_code == 200
    for u in urls:
        t0, n = time.perf_counter(), 50
        for _ in range(n):
            client.get(u)
        print(f"{u}: {1000 * (time.perf_counter() - t0) / n:.1f} ms/request")


def test_disclosure_of_enterprise_derived_values(client):
    """Scores and ranks are never suppressed; magnitudes are, for users who may not see every contributor."""
    login(client, "nat")
    full = client.get("/api/v1/zones/GX002/profile").json()
    ind_full = client.get("/api/v1/zones/GX007/industry").json()
    assert full.get("footnote") is None and all(i["gap"] is not None for i in full["indicators"]
                                                if i["value"] is not None)
    assert not ind_full["suppressed"]
    login(client, "zon")
    other = client.get("/api/v1/zones/GX002/profile").json()
    assert [i["score"] for i in other["indicators"]] == [i["score"] for i in full["indicators"]]
    assert [i["rank"] for i in other["indicators"]] == [i["rank"] for i in full["indicators"]]
    facts = {i["code"] for i in full["indicators"] if i["code"] in ("compliance", "eco_harmony")}
    for i, f in zip(other["indicators"], full["indicators"], strict=True):
        if i["code"] in facts:  # a zone fact, not a respondent's figure: shown as it is
            assert i["value"] == f["value"] and i["gap"] == f["gap"]
        elif i["value"] is None:
            assert other["footnote"]
        assert i["score_gap"] == pytest.approx(f["score_gap"]) if f["score_gap"] is not None else True
    ind = client.get("/api/v1/zones/GX007/industry").json()
    for r in ind["industries"]:
        if r["revenue"] is None:
            assert r["share"] is None and r["lq_revenue"] is None and r["growth"] is None
    if ind["suppressed"]:
        assert ind["footnote"]
    login(client, "vie")
    assert client.get("/api/v1/zones/GX007/industry").status_code == 403


def test_filters_that_leave_nothing_answer_an_empty_page(demo_db):
    """Found by the schema property run: a tier filter after a search that matched nothing was a 500."""
    from fastapi.testclient import TestClient

    from conftest import add_users, login
    from gaoxin.api.app import Settings, create_app

    add_users(demo_db, {"nat": {"role": "national"}})
    with TestClient(create_app(Settings(db=demo_db))) as client:
        login(client, "nat")
        r = client.get("/api/v1/enterprises", params={"q": "no-such-firm", "tier": "gazelle"})
        assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["rows"] == []
