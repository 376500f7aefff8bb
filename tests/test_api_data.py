"""Uploads through ingest as jobs, warning notes, the rejection report, evaluation jobs, snapshots —
over a real demo store, signed in as real accounts (decision 0029)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import ENT_HEADERS, add_users, login, write_csv
from gaoxin.api.app import Settings, create_app
from gaoxin.ingest.credit_code import make_codes

USERS = {"chief": {"role": "admin"}, "ada": {"role": "zone", "zones": ["GX001"]},
         "nat": {"role": "national"}, "val": {"role": "viewer"}}


def _codes(n: int, seed: int = 11) -> list[str]:
    return list(make_codes(np.random.default_rng(seed), np.array(["640100"] * n)))


def bad_upload(tmp_path, zone: str = "GX001"):
    """Three good rows, one kept with a warning (R&D above revenue), three rejected: bad credit code,
    unknown zone, missing revenue.  Data rows start on line 2 of the file."""
    c = _codes(6)
    rows = [[c[0], "上传企业A", zone, 2024, 5000, 40, 100, "是"],
            [c[1], "上传企业B", zone, 2024, 6000, 50, 120, "否"],
            [c[2], "上传企业C", zone, 2024, 7000, 60, 130, "否"],
            [c[3], "上传企业D", zone, 2024, 1000, 20, 5000, "否"],          # line 5: warning, kept
            ["91110000XXXXXXXXX1", "坏代码企业", zone, 2024, 1000, 10, 10, "否"],  # line 6: bad code
            [c[4], "未知园区企业", "GX999", 2024, 1000, 10, 10, "否"],      # line 7: unknown zone
            [c[5], "缺营收企业", zone, 2024, "", 10, 10, "否"]]             # line 8: revenue missing
    return write_csv(tmp_path / "企业上传.csv", ENT_HEADERS, rows)


def _upload(client, path, name=None, content_type="text/csv"):
    files = {"file": (name or path.name, path.read_bytes(), content_type)}
    return client.post("/api/v1/uploads", files=files)


def _done(client, job_id):
    client.app.state.jobs.wait(job_id, timeout=120)
    res = client.get(f"/api/v1/jobs/{job_id}")
    assert res.status_code == 200, res.text
    return res.json()


def _audit(app, action):
    con = app.state.store.cursor()
    try:
        return con.execute('SELECT user_name, target, address, detail FROM audit_log WHERE action = ? ORDER BY "at"',
                           [action]).fetchall()
    finally:
        con.close()


@pytest.fixture
def app(demo_db, tmp_path):
    add_users(demo_db, USERS)
    return create_app(Settings(db=demo_db, upload_dir=tmp_path / "uploads", max_evaluation_runs=50))


def test_upload_bad_rows_job_issues_report_and_notes(app, tmp_path):
    path = bad_upload(tmp_path)
    with TestClient(app) as client:
        login(client, "chief")
        res = _upload(client, path)
        assert res.status_code == 202, res.text
        job = _done(client, res.json()["job_id"])
        assert job["state"] == "done" and job["progress"] == 1 and job["kind"] == "upload"
        r = job["result"]
        assert (r["accepted"], r["rejected"], r["warnings"]) == (4, 3, 1)
        assert r["snapshot"] == 2 and r["exit_code"] == 0 and r["report"] is True
        errors = {(i["row"], i["column"]) for i in r["issues"] if i["severity"] == "error"}
        assert errors == {(6, "统一社会信用代码"), (7, "园区代码"), (8, "营业收入（千元）")}
        assert {i["file"] for i in r["issues"]} == {"企业上传.csv"}  # the user's name, not the server's path
        assert all(i["message_zh"] and i["message_en"] for i in r["issues"])
        [warning] = [i for i in r["issues"] if i["severity"] == "warning"]
        assert warning["row"] == 5 and warning["issue"] == 1 and warning["note"] is None

        rep = client.get(f"/api/v1/uploads/{job['id']}/rejections.xlsx")
        assert rep.status_code == 200 and rep.content[:2] == b"PK"  # an xlsx (zip) workbook
        import pandas as pd
        sheets = pd.read_excel(io.BytesIO(rep.content), sheet_name=None)
        assert len(next(iter(sheets.values()))) == 4  # three rejections and one warning

        assert client.post("/api/v1/snapshots/2/warnings/1/note", json={"text": "研发投入含上年结转，已核实"}
                           ).status_code == 200
        w = client.get("/api/v1/snapshots/2/warnings").json()
        assert w["total"] == 1 and w["rows"][0]["note"] == "研发投入含上年结转，已核实"
        assert w["rows"][0]["note_by"] == "chief" and w["rows"][0]["file"] == "企业上传.csv"
        bad = client.post("/api/v1/snapshots/2/warnings/2/note", json={"text": "x"})
        assert bad.status_code == 400 and "no warning 2" in bad.json()["error"]["message_en"]

        snaps = client.get("/api/v1/snapshots").json()
        assert [s["id"] for s in snaps] == [1, 2] and snaps[1]["sources"] == ["企业上传.csv"]
        diff = client.get("/api/v1/snapshots/diff", params={"a": 1, "b": 2}).json()
        ent = next(t for t in diff["tables"] if t["table"] == "enterprise_year")
        assert (ent["added"], ent["removed"]) == (4, 0)
        # every step audited under the web user, with the address
        assert [a[0] for a in _audit(app, "upload")] == ["chief"] and _audit(app, "upload")[0][2] == "testclient"
        assert _audit(app, "ingest")[-1][:3] == ("chief", "snapshot 2", "testclient")  # ingest's own row
        assert [a[0] for a in _audit(app, "download")] == ["chief"]
        assert [a[0] for a in _audit(app, "warning note")] == ["chief"]


def test_upload_refuses_wrong_type_oversize_and_missing_file(demo_db, tmp_path):
    add_users(demo_db, USERS)
    app = create_app(Settings(db=demo_db, upload_dir=tmp_path / "up", max_upload_mb=1))
    with TestClient(app) as client:
        login(client, "chief")
        txt = tmp_path / "notes.txt"
        txt.write_text("hello")
        res = _upload(client, txt, content_type="text/plain")
        assert res.status_code == 415 and res.json()["error"]["code"] == "unsupported_media_type"
        res = _upload(client, bad_upload(tmp_path), content_type="image/png")
        assert res.status_code == 415
        res = client.post("/api/v1/uploads", json={"file": "x"})
        assert res.status_code == 415
        big = tmp_path / "big.csv"
        big.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)  # 1.2 MB
        res = _upload(client, big)
        assert res.status_code == 413 and res.json()["error"]["code"] == "too_large"
        res = client.post("/api/v1/uploads", files={"other": ("a.csv", b"x", "text/csv")})
        assert res.status_code == 422
        assert not list((tmp_path / "up").glob("*/big.csv"))  # nothing of the refused upload was kept
        assert "Traceback" not in res.text


def test_upload_is_refused_whole_outside_the_zone_users_scope(app, tmp_path):
    with TestClient(app) as client:
        login(client, "ada")  # serves GX001 only
        job = _done(client, _upload(client, bad_upload(tmp_path, zone="GX002")).json()["job_id"])
        assert job["state"] == "failed" and "GX002" in job["message_en"] and "nothing was stored" in job["message_en"]
        assert [s["id"] for s in client.get("/api/v1/snapshots").json()] == [1]
        ok = _done(client, _upload(client, bad_upload(tmp_path)).json()["job_id"])
        assert ok["state"] == "done" and ok["result"]["snapshot"] == 2


def test_zone_user_cannot_move_an_enterprise_in_from_another_zone(app, tmp_path):
    """Replacing another zone's enterprise-year (same key, own zone id) touches that zone too: refused."""
    with TestClient(app) as client:
        cur = client.app.state.store.cursor()
        code = cur.execute("SELECT credit_code FROM enterprise_years_at(1) WHERE zone_id = 'GX002' AND year = 2024 "
                           "LIMIT 1").fetchall()[0][0]
        cur.close()
        path = write_csv(tmp_path / "move.csv", ENT_HEADERS, [[code, "挪入企业", "GX001", 2024, 5000, 40, 100, "否"]])
        login(client, "ada")
        job = _done(client, _upload(client, path).json()["job_id"])
        assert job["state"] == "failed" and "GX002" in job["message_en"]


def test_jobs_and_reports_are_their_owners(app, tmp_path):
    with TestClient(app) as a:
        b = TestClient(app)  # a second browser of the running app
        login(a, "nat")
        login(b, "ada")
        job_id = _upload(a, bad_upload(tmp_path)).json()["job_id"]
        _done(a, job_id)
        assert b.get(f"/api/v1/jobs/{job_id}").status_code == 404
        assert b.get(f"/api/v1/uploads/{job_id}/rejections.xlsx").status_code == 404
        assert a.get("/api/v1/jobs/no-such-job").status_code == 404
        assert [j["id"] for j in a.get("/api/v1/jobs").json()] == [job_id] and b.get("/api/v1/jobs").json() == []


def test_roles_of_the_data_routes(app, tmp_path):
    with TestClient(app) as client:
        assert client.get("/api/v1/snapshots").status_code == 401
        login(client, "val")
        assert client.get("/api/v1/snapshots").status_code == 403
        assert _upload(client, bad_upload(tmp_path)).status_code == 403
        assert client.post("/api/v1/evaluations", json={"year": 2024}).status_code == 403


def test_evaluation_job(app):
    with TestClient(app) as client:
        login(client, "ada")
        assert client.post("/api/v1/evaluations", json={"year": 2024}).status_code == 403  # zone users do not run
        login(client, "nat")
        too_many = client.post("/api/v1/evaluations", json={"year": 2024, "runs": 51})
        assert too_many.status_code == 400 and "0–50" in too_many.json()["error"]["message_en"]
        path = client.post("/api/v1/evaluations", json={"year": 2024, "config": "/etc/passwd"})
        assert path.status_code == 400  # packaged scorings only: never a file on the server
        res = client.post("/api/v1/evaluations", json={"year": 2024, "runs": 20, "compare": "robust"})
        assert res.status_code == 202
        job = _done(client, res.json()["job_id"])
        assert job["state"] == "done", job
        r = job["result"]
        assert r["year"] == 2024 and r["zones"] == 12 and r["runs"] == 20 and r["config"] == "official-2021"
        assert r["companion"] == r["evaluation"] + 1 and -1 <= r["spearman"] <= 1
        evaluate = _audit(app, "evaluate")
        assert evaluate[-1][0] == "nat" and evaluate[-1][1] == f"evaluation {r['evaluation']}"
        assert [a[0] for a in _audit(app, "evaluation run")] == ["nat"]


def test_a_streamed_upload_is_cut_off_at_the_limit(demo_db, tmp_path):
    """Without Content-Length (chunked), the body is counted as it arrives and refused past the limit."""
    add_users(demo_db, USERS)
    app = create_app(Settings(db=demo_db, upload_dir=tmp_path / "up", max_upload_mb=1))

    def body():
        yield b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n'
        for _ in range(40):
            yield b"1,2\n" * 16_384  # 64 KiB each, 2.5 MiB in all
        yield b"\r\n--xx--\r\n"

    with TestClient(app) as client:
        login(client, "chief")
        res = client.post("/api/v1/uploads", content=body(),
                          headers={"content-type": "multipart/form-data; boundary=xx"})
        assert res.status_code == 413 and res.json()["error"]["code"] == "too_large"
        assert not list((tmp_path / "up").glob("*/a.csv"))


def test_zone_facts_and_zone_rows_are_scope_checked_too(app, tmp_path):
    facts = write_csv(tmp_path / "facts.csv", ["园区代码", "年份", "指标", "数值"],
                      [["GX001", 2024, "GDP", 100.0], ["GX004", 2024, "GDP", 200.0]])
    own = write_csv(tmp_path / "own.csv", ["园区代码", "年份", "指标", "数值"], [["GX001", 2024, "GDP", 100.0]])
    with TestClient(app) as client:
        login(client, "ada")
        job = _done(client, _upload(client, facts).json()["job_id"])
        assert job["state"] == "failed" and "GX004" in job["message_en"] and "GX001" not in job["message_en"]
        ok = _done(client, _upload(client, own).json()["job_id"])
        assert ok["state"] == "done" and ok["result"]["snapshot"] == 2, ok
