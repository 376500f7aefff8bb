"""Publishing (issue #10 §3): who may publish what, idempotence, revocation, audit, the published-only roles."""

from __future__ import annotations

import pytest

from gaoxin.services import Store
from gaoxin.services import publishing as pub
from gaoxin.services.access import Access, zone_provinces
from gaoxin.services.errors import InputError

ADMIN = Access("root", "admin")
NATIONAL = Access("nat", "national")


@pytest.fixture
def store(demo_db):
    s = Store(demo_db, "write")
    yield s
    s.close()


def _one_province(store) -> tuple[str, list[str]]:
    """A province of the demo store and its zones."""
    zp = zone_provinces(store)
    code = sorted(zp.values())[0]
    return code, sorted(z for z, p in zp.items() if p == code)


def _points(store) -> tuple[str, int, str]:
    zone, year, h = store.cursor().execute(
        "SELECT zone_id, year, rules_hash FROM innovation_points ORDER BY zone_id, year LIMIT 1").fetchall()[0]
    return str(zone), int(year), str(h)


def _evaluation(store) -> int:
    return int(store.cursor().execute("SELECT min(id) FROM evaluation").fetchall()[0][0])


def test_publish_is_idempotent_revocable_and_audited(store):
    eid = _evaluation(store)
    key = pub.evaluation_key(eid)
    assert not pub.is_published(store, "evaluation", key)
    p = pub.publish(store, ADMIN, "evaluation", str(eid))
    assert (p.kind, p.key, p.by, p.active) == ("evaluation", key, "root", True)
    assert pub.is_published(store, "evaluation", key)
    assert pub.publish(store, NATIONAL, "evaluation", key).id == p.id  # already published: the same row
    assert [x.id for x in pub.published(store, "evaluation")] == [p.id]
    r = pub.revoke(store, NATIONAL, p.id)
    assert (r.active, r.revoked_by) == (False, "nat")
    assert not pub.is_published(store, "evaluation", key)
    assert pub.published(store, "evaluation") == []
    p2 = pub.publish(store, ADMIN, "evaluation", key)  # again after revocation: a new row, the old one kept
    assert p2.id != p.id
    assert [x.id for x in pub.publications(store, "evaluation")] == [p.id, p2.id]
    audit = store.cursor().execute("SELECT user_name, action, target FROM audit_log WHERE action IN "
                                   "('publish', 'revoke') ORDER BY \"at\"").fetchall()
    assert audit == [("root", "publish", f"publication {p.id}"), ("nat", "revoke", f"publication {p.id}"),
                     ("root", "publish", f"publication {p2.id}")]


def test_points_key_resolves_a_hash_prefix_and_bank_sees_only_published(store):
    zone, year, h = _points(store)
    p = pub.publish(store, ADMIN, "points", f"{zone}:{year}:{h[:10]}")
    assert p.key == pub.points_key(zone, year, h) and p.zones == (zone,)
    assert pub.published_points(store) == [(zone, year, h)]
    assert pub.published_points(store, {zone}) == [(zone, year, h)]
    assert pub.published_points(store, {"XX999"}) == []
    bank = Access("bank1", "bank", zones=frozenset({zone}))
    assert pub.may_see(store, bank, "points", p.key)
    assert not pub.may_see(store, bank, "points", pub.points_key(zone, year + 1, h))
    assert pub.may_see(store, Access("z", "zone", zones=frozenset({"GX001"})), "points", "anything")


def test_roles_that_may_not_publish(store):
    eid = _evaluation(store)
    for role in ("zone", "bank", "viewer"):
        with pytest.raises(pub.NotAllowed, match="may not publish"):
            pub.publish(store, Access("u", role, zones=frozenset({"GX001"})), "evaluation", str(eid))
    p = pub.publish(store, ADMIN, "evaluation", str(eid))
    with pytest.raises(pub.NotAllowed):
        pub.revoke(store, Access("v", "viewer"), p.id)


def test_province_user_publishes_only_its_provinces_zones(store):
    code, zones = _one_province(store)
    prov = Access("p", "province", provinces=frozenset({code}))
    other = next(z for z, p in zone_provinces(store).items() if p != code)
    p = pub.publish(store, prov, "aggregate", f"industry:{zones[0]}:2024")
    assert p.zones == (zones[0],)
    assert pub.publish(store, prov, "aggregate", f"tiers:province-{code}:2024").zones == tuple(zones)
    with pytest.raises(pub.NotAllowed, match=other):
        pub.publish(store, prov, "aggregate", f"industry:{other}:2024")
    with pytest.raises(pub.NotAllowed, match="national"):
        pub.publish(store, prov, "aggregate", "industry:national:2024")
    with pytest.raises(pub.NotAllowed):  # a national evaluation covers other provinces' zones
        pub.publish(store, prov, "evaluation", str(_evaluation(store)))
    q = pub.publish(store, NATIONAL, "aggregate", f"industry:{other}:2024")
    with pytest.raises(pub.NotAllowed):
        pub.revoke(store, prov, q.id)
    assert pub.revoke(store, prov, p.id).active is False


@pytest.mark.parametrize(("kind", "key", "message"), [
    ("ranking", "1", "unknown publication kind"),
    ("evaluation", "x1", "evaluation key is its id"),
    ("evaluation", "999", "evaluation 999 not found"),
    ("points", "GX001:2024", "points key is ZONE:YEAR:RULES_HASH"),
    ("points", "GX001:2024:zz", "points key is ZONE:YEAR:RULES_HASH"),
    ("points", "GX001:1990:deadbeef", "not stored"),
    ("aggregate", "industry", "aggregate key is NAME:SCOPE"),
    ("aggregate", "Industry:GX001", "aggregate key is NAME:SCOPE"),
    ("aggregate", "industry:GX001:x y", "aggregate key is NAME:SCOPE"),
    ("aggregate", "industry:GX999", "zone GX999 not found"),
    ("aggregate", "industry:province-99", "no zone in province 99"),
])
def test_malformed_keys_are_clear_errors(store, kind, key, message):
    with pytest.raises(InputError, match=message):
        pub.publish(store, ADMIN, kind, key)


def test_unknown_publication(store):
    with pytest.raises(pub.PublicationNotFound, match="publication 42 not found"):
        pub.revoke(store, ADMIN, 42)


def test_publishing_needs_a_writable_store(demo_db):
    from gaoxin.services import StoreError

    with Store(demo_db, "write"):
        pass  # migrate the copy to this schema first
    with Store(demo_db, "read") as ro:
        with pytest.raises(StoreError, match="opened for writing"):
            pub.publish(ro, ADMIN, "aggregate", "industry:national")
        assert pub.published(ro) == []


# ------------------------------------------------------------------------------------------ command line

def test_cli_publish_list_revoke(demo_db):
    import json

    from typer.testing import CliRunner

    from gaoxin.cli.app import app

    def run(*args: str):
        return CliRunner().invoke(app, [*args, "--db", str(demo_db)], env={"COLUMNS": "120"})

    with Store(demo_db, "write") as s:
        eid = _evaluation(s)
    r = run("publish", "evaluation", str(eid), "--json")
    assert r.exit_code == 0, r.output
    pid = json.loads(r.output)["id"]
    assert "already published" in run("publish", "evaluation", str(eid)).output
    listed = json.loads(run("publications", "--json").output)
    assert [(p["id"], p["kind"], p["key"]) for p in listed] == [(pid, "evaluation", str(eid))]
    assert run("publish", "--revoke", str(pid)).exit_code == 0
    assert json.loads(run("publications", "--json").output) == []
    assert len(json.loads(run("publications", "--all", "--json").output)) == 1
    bad = run("publish", "ranking", "1")
    assert bad.exit_code == 2 and "unknown publication kind" in bad.output
    assert run("publish", "--revoke", "99").exit_code == 2
    assert run("publish").exit_code == 2  # neither KIND KEY nor --revoke


# ---------------------------------------------------------------------------------------------- web API

USERS = {"root": {"role": "admin"}, "nat": {"role": "national"}, "ada": {"role": "zone", "zones": ["GX001"]},
         "vic": {"role": "viewer"}, "bob": {"role": "bank", "zones": ["GX001"]}}


def test_api_publications_roles_csrf_and_audit(demo_db):
    from fastapi.testclient import TestClient

    from conftest import add_users, login
    from gaoxin.api.app import Settings, create_app

    with Store(demo_db, "write") as s:
        eid = _evaluation(s)
        code, zones = _one_province(s)
    add_users(demo_db, USERS | {"pat": {"role": "province", "provinces": [code]}})
    with TestClient(create_app(Settings(db=demo_db))) as client:
        assert client.get("/api/v1/publications").status_code == 401
        login(client, "vic")
        assert client.get("/api/v1/publications").json() == []
        res = client.post("/api/v1/publications", json={"kind": "evaluation", "key": str(eid)})
        assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
        assert client.get("/api/v1/publications?include_revoked=true").status_code == 403
        login(client, "root")
        no_csrf = client.post("/api/v1/publications", json={"kind": "evaluation", "key": str(eid)},
                              headers={"X-CSRF-Token": ""})
        assert no_csrf.status_code == 403
        res = client.post("/api/v1/publications", json={"kind": "evaluation", "key": str(eid)})
        assert res.status_code == 201, res.text
        pid = res.json()["id"]
        assert res.json()["by"] == "root" and res.json()["revoked_at"] is None
        again = client.post("/api/v1/publications", json={"kind": "evaluation", "key": str(eid)})
        assert again.status_code == 200 and again.json()["id"] == pid
        bad = client.post("/api/v1/publications", json={"kind": "evaluation", "key": "999"})
        assert bad.status_code == 400 and "not found" in bad.json()["error"]["message_en"]
        assert "不存在" in bad.json()["error"]["message_zh"]
        assert client.post("/api/v1/publications", json={"kind": "ranking", "key": "1"}).status_code == 422
        login(client, "pat")
        mine = client.post("/api/v1/publications", json={"kind": "aggregate", "key": f"industry:{zones[0]}:2024"})
        assert mine.status_code == 201
        other = client.delete(f"/api/v1/publications/{pid}")  # a national evaluation: not a province's to revoke
        assert other.status_code == 403 and "province" in other.json()["error"]["message_en"]
        login(client, "bob")
        keys = [p["key"] for p in client.get("/api/v1/publications").json()]
        assert keys == [str(eid), f"industry:{zones[0]}:2024"]
        login(client, "nat")
        assert client.delete("/api/v1/publications/12345").status_code == 404
        gone = client.delete(f"/api/v1/publications/{pid}")
        assert gone.status_code == 200 and gone.json()["revoked_by"] == "nat"
        assert [p["id"] for p in client.get("/api/v1/publications?kind=evaluation").json()] == []
        history = client.get("/api/v1/publications?include_revoked=true").json()
        assert [p["id"] for p in history] == [pid, mine.json()["id"]]
        con = client.app.state.store.cursor()
        rows = con.execute("SELECT user_name, action, address FROM audit_log WHERE action IN ('publish', 'revoke') "
                           'ORDER BY "at"').fetchall()
        con.close()
        assert rows == [("root", "publish", "testclient"), ("pat", "publish", "testclient"),
                        ("nat", "revoke", "testclient")]
