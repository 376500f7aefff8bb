"""`gaoxin demo --serve`'s accounts: one per role, and the demo's results published for viewer and bank."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gaoxin.api.app import Settings, create_app
from gaoxin.services.demo import DemoSettings, demo_logins, run_demo


@pytest.mark.slow
def test_every_role_can_sign_in_and_sees_its_view(tmp_path):
    res = run_demo(DemoSettings(out_dir=tmp_path, zones=12, enterprises=600, years=(2021, 2024), dirty=0.0,
                                runs=100))
    logins = {lg.role: lg for lg in demo_logins(res.db_file, res)}
    assert set(logins) == {"admin", "national", "province", "zone", "bank", "viewer"}
    assert logins["zone"].scope == res.enterprise_zone and len({lg.password for lg in logins.values()}) == 6
    with TestClient(create_app(Settings(db=res.db_file))) as client:
        for role, lg in logins.items():
            r = client.post("/api/v1/auth/login", json={"username": lg.name, "password": lg.password})
            assert r.status_code == 200 and r.json()["user"]["role"] == role
            ranking = client.get(f"/api/v1/evaluations/{res.evaluation.id}/ranking")
            assert ranking.status_code == 200 and len(ranking.json()["rows"]) == 12  # published: viewer sees it
            if role == "bank":
                listing = client.get("/api/v1/points", params={"zone": res.enterprise_zone, "year": res.year})
                banded = int((res.points.frame["top_band"] != "rest").sum())  # the 积分贷 list: the top-20 % bands
                assert listing.status_code == 200 and listing.json()["total"] == banded > 0
            client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
