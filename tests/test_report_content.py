"""The content of a report (services.report, issue #11): scope, stored numbers, stability, audiences and
disclosure control across the report's tables."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from conftest import ENT_HEADERS, ZONE_HEADERS, write_csv
from gaoxin.services import Store
from gaoxin.services.access import Access
from gaoxin.services.errors import InputError
from gaoxin.services.report import audience_access, build_report, parse_scope


@pytest.fixture(scope="module")
def report_db(demo_store_template: Path, tmp_path_factory) -> Path:
    """The demo store, its evaluation published and every zone's explanation stored (as `gaoxin explain
    --all --save` does), so each build reads instead of recomputing."""
    from gaoxin.services import publishing
    from gaoxin.services.explain import explain_all

    db = tmp_path_factory.mktemp("report") / "gaoxin.duckdb"
    shutil.copyfile(demo_store_template, db)
    with Store(db, "write") as store:
        publishing.publish(store, Access("t", "admin"), "evaluation", publishing.evaluation_key(1))
        explain_all(store, 1, save=True)
    return db


def _stored_scores(db: Path) -> dict[str, tuple[float, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT zone_id, score, rank FROM evaluation_score WHERE evaluation_id = 1 AND "
                           "code = 'national_2021'").fetchall()
    finally:
        con.close()
    return {z: (s, r) for z, s, r in rows}


def _table(content, tid: str):
    return next(t for t in content.tables() if t.id == tid)


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_national_report_has_every_zone_and_the_stored_numbers(report_db):
    with Store(report_db, "read") as store:
        c = build_report(store, 1, "national", "admin", "zh")
    stored = _stored_scores(report_db)
    assert {s.id for s in c.sections if s.id.startswith("zone:")} == {f"zone:{z}" for z in stored}
    rank = _table(c, "ranking")
    keys = [col.key for col in rank.columns]
    got = {r[keys.index("zone_id")]: (r[keys.index("score")], r[keys.index("rank")]) for r in rank.rows}
    assert got == stored  # the stored run's numbers, unrounded
    assert [r[0] for r in rank.rows] == sorted(r[0] for r in rank.rows)  # in rank order
    assert "companion_rank" in keys  # both scorings: the demo stores robust beside official-2021
    con = duckdb.connect(str(report_db), read_only=True)
    ev = con.execute("SELECT snapshot_id, config_hash FROM evaluation WHERE id = 1").fetchone()
    con.close()
    assert (c.meta.evaluation_id, c.meta.snapshot_id, c.meta.config_hash) == (1, ev[0], ev[1])
    cover = _table(c, "cover")
    assert [ev[1]] == [r[1] for r in cover.rows if r[0] == "配置哈希"]
    ids = [s.id for s in c.sections]
    assert ids[:8] == ["cover", "summary", "method", "ranking", "regions", "classification", "warnings", "targets"]
    assert ids[-1] == "annex" and len(_table(c, "annex_indicators").rows) == 45


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_pillar_scores_and_key_figures_match_the_store(report_db):
    with Store(report_db, "read") as store:
        c = build_report(store, 1, "national", "national", "en")
    con = duckdb.connect(str(report_db), read_only=True)
    zone = "GX001"
    pillars = dict(con.execute("SELECT code, score FROM evaluation_score WHERE evaluation_id = 1 AND zone_id = ? "
                               "AND code LIKE 'p%\\_%' ESCAPE '\\' AND level > 1", [zone]).fetchall())
    total = con.execute("SELECT sum(revenue), count(*) FROM enterprise_years_at(1) WHERE year = 2024").fetchone()
    con.close()
    t = _table(c, f"zone:{zone}:pillars")
    assert sorted(r[1] for r in t.rows) == pytest.approx(sorted(pillars.values()))
    kf = {r[0]: r[1] for r in _table(c, "key_figures").rows}
    assert kf["Revenue"] == pytest.approx(float(total[0]) / 1e5)  # 千元 → 亿元, nothing withheld for national
    assert kf["Enterprises"] == total[1]


def _cells(content):
    for t in content.tables():
        for r in t.rows:
            yield from r


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_content_is_stable_and_never_nan(report_db):
    from gaoxin.services import readcache

    with Store(report_db, "read") as store:
        a = build_report(store, 1, "national", "public", "zh")
        readcache.clear()  # recomputed from the store, not served from memory
        b = build_report(store, 1, "national", "public", "zh")
        en = build_report(store, 1, "national", "public", "en")
    assert a.content_hash() == b.content_hash()
    assert en.content_hash() != a.content_hash()
    assert not any(isinstance(x, float) and (math.isnan(x) or math.isinf(x)) for x in _cells(a))
    for t in a.tables():  # a withheld cell is None and listed
        assert all(t.rows[i][j] is None for i, j in t.suppressed)
        if t.suppressed:
            assert any("不予公布" in n for n in t.notes)


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_a_public_report_needs_a_published_evaluation(demo_db):
    with Store(demo_db, "read") as store, pytest.raises(InputError) as e:
        build_report(store, 1, "national", "public", "zh")
    assert "未发布" in str(e.value) and "not published" in str(e.value)


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_zone_audience_never_sees_another_zones_firms(report_db):
    con = duckdb.connect(str(report_db), read_only=True)
    zone_of = dict(con.execute("SELECT DISTINCT credit_code, zone_id FROM enterprise_years_at(1)").fetchall())
    con.close()
    with Store(report_db, "read") as store:
        own = build_report(store, 1, "zone:GX001", "zone:GX001", "zh")
        other = build_report(store, 1, "zone:GX002", "zone:GX001", "zh")
        national = build_report(store, 1, "national", "zone:GX001", "zh")
    firms = [t for t in own.tables() if t.id == "zone:GX001:firms"]
    assert firms and firms[0].rows  # its own firms, which moved it
    code_col = [c.key for c in firms[0].columns].index("credit_code")
    assert {zone_of[r[code_col]] for r in firms[0].rows if r[code_col]} == {"GX001"}  # None: "other firms"
    for c in (other, national):
        assert not [t for t in c.tables() if t.id.endswith(":firms")]
        text = c.model_dump_json()
        leaked = [code for code, z in zone_of.items() if z != "GX001" and code in text]
        assert leaked == []
    # the other zone's enterprise-derived indicator values follow its published totals, never its firms
    assert _table(other, "zone:GX002:below").rows is not None


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_province_scope_has_its_zones_only(report_db):
    con = duckdb.connect(str(report_db), read_only=True)
    prov = con.execute("SELECT province_code FROM zone WHERE zone_id = 'GX001'").fetchone()[0][:2]
    zones = {z for (z,) in con.execute("SELECT zone_id FROM zone WHERE left(province_code, 2) = ?", [prov])
             .fetchall()}
    con.close()
    with Store(report_db, "read") as store:
        c = build_report(store, 1, f"province:{prov}", "admin", "zh")
    assert {s.id[5:] for s in c.sections if s.id.startswith("zone:")} == zones
    assert {r[1] for r in _table(c, "ranking").rows} == zones


@pytest.mark.parametrize("bad", ["", "nation", "province:", "province:4x", "zone:"])
def test_bad_scopes_say_so_in_both_languages(bad):
    with pytest.raises(InputError) as e:
        parse_scope(bad)
    assert "范围" in str(e.value) or "省份" in str(e.value)
    assert "scope" in str(e.value) or "province" in str(e.value)


def test_a_bad_language_is_the_users_error(tmp_path):
    with Store(tmp_path / "empty.duckdb", "write") as store, pytest.raises(InputError) as e:
        build_report(store, 1, "national", "public", "fr")  # type: ignore[arg-type]
    assert "lang" in str(e.value) and "无效" in str(e.value)


def test_audiences():
    assert audience_access("public").role == "viewer"
    assert audience_access("zone:GX001,GX002").zones == frozenset({"GX001", "GX002"})
    assert audience_access("province:440000").provinces == frozenset({"44"})
    for bad in ("mayor", "zone", "province:x"):
        with pytest.raises(InputError):
            audience_access(bad)


# ------------------------------------------------------------------ disclosure control on a hand-built store

def _hand_store(tmp_path: Path) -> Path:
    """Four zones (GX101–GX103 east, GX104 central) with 4 manufacturing (C) and 3 R&D-service (M) firms each
    of similar size; GX101 has one more firm, in I (software): its industry cell has one contributor."""
    from gaoxin.ingest.credit_code import make_codes
    from gaoxin.services import evaluation, publishing
    from gaoxin.services.ingest import ingest_files

    zones = [["GX101", "甲高新区", "国家级", "44", "甲市"], ["GX102", "乙高新区", "国家级", "32", "乙市"],
             ["GX103", "丙高新区", "国家级", "33", "丙市"], ["GX104", "丁高新区", "国家级", "41", "丁市"]]
    codes = iter(make_codes(np.random.default_rng(11), np.array(["440300"] * 40)))
    rows = []
    for k, (zone, *_rest) in enumerate(zones):
        firms = [("3911", 1000 + 100 * i + 10 * k) for i in range(4)] + [("7320", 800 + 100 * i + 10 * k)
                                                                        for i in range(3)]
        if zone == "GX101":
            firms.append(("6510", 700))
        for i, (ind, rev) in enumerate(firms):
            rows.append([next(codes), f"企业{zone}{i}", zone, 2024, rev, 20 + i, rev // 20, "否", ind])
    zf = write_csv(tmp_path / "zones.csv", ZONE_HEADERS, zones)
    ef = write_csv(tmp_path / "firms.csv", [*ENT_HEADERS, "行业代码"], rows)
    db = tmp_path / "hand.duckdb"
    with Store(db, "write") as store:
        ingest_files(store, [zf, ef], snapshot_name="hand")
        run = evaluation.evaluate(store, "national-2021", 2024)
        publishing.publish(store, Access("t", "admin"), "evaluation", publishing.evaluation_key(run.id))
    return db


def _published_system(content) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]], list[tuple[str, str]]]:
    """What a reader of the report knows about zone × section revenue: unknowns, the sums the report prints
    (zone totals, region totals, the national total) as lists of cells, and the cells it prints."""
    zone_ids = [s.id[5:] for s in content.sections if s.id.startswith("zone:")]
    cells, known, sums = [], [], []
    for z in zone_ids:
        t = _table(content, f"zone:{z}:industries")
        secs = [r[0].split()[0] for r in t.rows]
        cells += [(z, s) for s in secs]
        known += [(z, s) for s, r in zip(secs, t.rows, strict=True) if r[1] is not None]
        tot = _table(content, f"zone:{z}:totals").rows[1][1]  # revenue
        if tot is not None:
            sums.append([(z, s) for s in secs])
    regions = _table(content, "regions")
    ranking = _table(content, "ranking")
    region_of = {r[1]: r[3] for r in ranking.rows}
    for r in regions.rows:
        if r[5] is not None and r[1]:
            sums.append([c for c in cells if region_of[c[0]] == r[0]])
    if dict((r[0], r[1]) for r in _table(content, "key_figures").rows)["营业收入"] is not None:
        sums.append(list(cells))
    return cells, sums, known


@pytest.mark.slow  # a demo store and report builds: seconds each on 2 shared cores
def test_public_report_withholds_a_small_industry_cell_and_its_totals_do_not_give_it_back(tmp_path):
    db = _hand_store(tmp_path)
    with Store(db, "read") as store:
        public = build_report(store, 1, "national", "public", "zh")
        staff = build_report(store, 1, "national", "national", "zh")
    t = _table(public, "zone:GX101:industries")
    row = next(i for i, r in enumerate(t.rows) if r[0].startswith("I "))
    assert t.rows[row][1] is None and (row, 1) in t.suppressed and (row, 2) in t.suppressed  # share too
    assert any("不予公布" in n for n in t.notes)
    assert _table(staff, "zone:GX101:industries").rows[row][1] == pytest.approx(70.0)  # 700 千元 = 70 万元
    # the attack: every sum the report prints is an equation; the withheld cell must not be determined
    cells, sums, known = _published_system(public)
    index = {c: i for i, c in enumerate(cells)}
    eqs = [np.isin(np.arange(len(cells)), [index[c] for c in s]).astype(float) for s in sums]
    eqs += [np.eye(len(cells))[index[c]] for c in known]
    a = np.array(eqs)
    target = np.eye(len(cells))[index[("GX101", "I")]]
    assert np.linalg.matrix_rank(np.vstack([a, target])) > np.linalg.matrix_rank(a)
    # and no withheld cell at all follows from what is printed
    for c in cells:
        if c not in known:
            e = np.eye(len(cells))[index[c]]
            assert np.linalg.matrix_rank(np.vstack([a, e])) > np.linalg.matrix_rank(a), c
    assert json.loads(public.model_dump_json())["meta"]["audience"] == "public"
