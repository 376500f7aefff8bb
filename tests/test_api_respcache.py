"""The response cache of the hot read routes (``api/respcache.py``) keeps every security property, and the
server warms its read caches at start and after a job (decision 0033).  No timing is asserted."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from conftest import add_users, login
from gaoxin.api.app import Settings, create_app
from gaoxin.api.respcache import cacheable
from gaoxin.services import readcache

USERS = {"nat": {"role": "national"}, "ada": {"role": "zone", "zones": ["GX007"]},
         "vie": {"role": "viewer"}}


@pytest.fixture
def app(demo_db):
    add_users(demo_db, USERS)
    readcache.clear()
    return create_app(Settings(db=demo_db))


def test_only_the_hot_get_routes_are_cached():
    assert cacheable("GET", "/api/v1/evaluations/1/ranking")
    assert cacheable("GET", "/api/v1/zones/GX007/profile")
    assert cacheable("GET", "/api/v1/enterprises")
    assert not cacheable("POST", "/api/v1/enterprises")
    assert not cacheable("GET", "/api/v1/enterprises/91110000000000000X")
    assert not cacheable("GET", "/api/v1/zones/GX007/profile/x")
    assert not cacheable("GET", "/api/v1/exports/enterprises.csv")


def test_a_repeated_read_is_served_from_the_cache_and_equal(app):
    with TestClient(app) as client:
        login(client, "nat")
        urls = ["/api/v1/evaluations/1/ranking", "/api/v1/zones/GX007/profile", "/api/v1/enterprises?page=1"]
        first = [client.get(u) for u in urls]
        cache = app.state.response_cache
        hits = cache.hits
        again = [client.get(u) for u in urls]
        assert cache.hits == hits + 3
        for a, b in zip(first, again, strict=True):
            assert a.status_code == b.status_code == 200
            assert a.content == b.content and b.headers["content-type"].startswith("application/json")
        assert client.get("/api/v1/enterprises?page=2").json()["page"] == 2  # another query, another entry


def test_one_users_cached_answer_never_reaches_another(app):
    """The national user's list (every zone) is cached first; the zone user asking the same URL still gets
    only GX007's firms, and the viewer still gets 403; signed out, 401."""
    with TestClient(app) as nat:  # runs the lifespan; the other two share its store and sessions
        ada, vie = TestClient(app), TestClient(app)
        login(nat, "nat")
        login(ada, "ada")
        login(vie, "vie")
        url = "/api/v1/enterprises?page_size=500"
        all_rows = nat.get(url).json()["rows"]
        assert nat.get(url).json()["rows"] == all_rows  # now cached
        assert len({r["zone_id"] for r in all_rows}) > 1
        mine = ada.get(url).json()["rows"]
        assert mine and {r["zone_id"] for r in mine} == {"GX007"}
        assert {r["zone_id"] for r in ada.get(url).json()["rows"]} == {"GX007"}  # its own cached entry
        assert vie.get(url).status_code == 403
        full = nat.get("/api/v1/zones/GX002/profile").json()
        scoped = ada.get("/api/v1/zones/GX002/profile").json()  # another zone's profile: values withheld
        assert [i["rank"] for i in scoped["indicators"]] == [i["rank"] for i in full["indicators"]]
        assert scoped != full
        nat.post("/api/v1/auth/logout")
        assert nat.get(url).status_code == 401  # the cached bytes are behind the session layer


def test_a_new_evaluation_invalidates_the_cached_answers(app):
    with TestClient(app) as client:
        login(client, "nat")
        before = client.get("/api/v1/zones/GX007/profile").json()
        res = client.post("/api/v1/evaluations", json={"year": before["evaluation"]["year"] - 1})
        assert res.status_code == 202
        job = app.state.jobs.wait(res.json()["job_id"], timeout=300)
        assert job.state == "done", job.result
        time.sleep(readcache.TOKEN_TTL_S + 0.05)
        cache = app.state.response_cache
        misses = cache.misses
        after = client.get("/api/v1/zones/GX007/profile").json()
        assert cache.misses == misses + 1  # not the bytes cached before the new evaluation
        assert len(after["series"]) == len(before["series"]) + 1  # the previous year now has a rank


def _kinds() -> set[str]:
    return {k[1] for k in readcache._entries}


def test_the_server_warms_its_caches_at_start_and_after_a_job(demo_db):
    add_users(demo_db, USERS)
    readcache.clear()
    app = create_app(Settings(db=demo_db, warm_caches=True))
    with TestClient(app) as client:
        assert app.state.warmed.wait(600), "the warm-up did not finish"
        assert {"ranking", "profile", "annotated", "overview"} <= _kinds()  # before any request asked
        login(client, "nat")
        app.state.warmed.clear()
        readcache.clear()
        year = client.get("/api/v1/zones/GX007/profile").json()["evaluation"]["year"]
        readcache.clear()
        res = client.post("/api/v1/evaluations", json={"year": year - 1})
        job = app.state.jobs.wait(res.json()["job_id"], timeout=300)
        assert job.state == "done", job.result
        assert app.state.warmed.wait(600), "no warm-up after the job"
        ranked = {k[2] for k in readcache._entries if k[1] == "ranking"}
        assert {"annotated", "profile"} <= _kinds() and ranked  # warm again, from an empty cache
