"""Chain assignment and gaps (analysis/chains.py, services/chains.py) on a hand-made three-zone store, the
viewer's scope over the lead lists, and the shipped chain files."""

from __future__ import annotations

import json

import pytest

from gaoxin.analysis import chains as ac
from gaoxin.services.errors import InputError

CHAIN = """
[chain]
id = "t"
name_zh = "测试链"
name_en = "Test chain"
version = "1"
source = "test"

[[node]]
id = "n1"
segment = "upstream"
name_zh = "电池"
name_en = "Batteries"
codes = ["3841"]
keywords = ["电池"]

[[node]]
id = "n2"
segment = "midstream"
name_zh = "整车"
name_en = "Vehicles"
codes = ["3612"]
keywords = ["整车"]

[[node]]
id = "n3"
segment = "downstream"
name_zh = "充电"
name_en = "Charging"
keywords = ["充电"]
"""

# Hand-worked (2024; revenue): A (province 44) a1 3841:10, a2 no chain code "充电电池":10 (keyword: n1 and n3,
# ambiguous), a3 1310:80 → total 100.  B (44) b1 3841:50, b2 3612 named "整车":50 → 100 (b2 by code only).
# C (31) c1 3612:90, c2 3612:60, c3 1310:50 → 200.  All 400.  Node revenue n1 70, n2 200, n3 10.
# LQ: A n1 (20/100)/(70/400) = 8/7, A n2 absent, A n3 (10/100)/(10/400) = 4; B n1 0.5/0.175 = 20/7, B n2 1,
# B n3 absent; C n1 absent, C n2 (150/200)/(200/400) = 1.5 (= strong_from: strong, inclusive).
FIRMS = [("a1", "A", "3841", "甲电池公司", 10), ("a2", "A", "7000", "乙充电电池公司", 10),
         ("a3", "A", "1310", "丙", 80),
         ("b1", "B", "3841", "丁", 50), ("b2", "B", "3612", "戊整车公司", 50),
         ("c1", "C", "3612", "己", 90), ("c2", "C", "3612", "庚", 60), ("c3", "C", "1310", "辛", 50)]


@pytest.fixture
def files(tmp_path):
    chain = tmp_path / "t.toml"
    chain.write_text(CHAIN, "utf-8")
    return chain, tmp_path


def gap_file(tmp_path, weak=0.5, strong=1.5, n=10):
    p = tmp_path / f"g-{weak}-{strong}-{n}.toml"
    p.write_text(f'[gaps]\nid = "g"\nsource = "test"\nweak_below = {weak}\nstrong_from = {strong}\n'
                 f"leads_per_gap = {n}\n", "utf-8")
    return str(p)


@pytest.fixture
def store(tmp_path):
    from fixtures import panel_store
    from gaoxin.services import Store

    rows = [{"credit_code": c, "zone_id": z, "year": 2024, "industry_code": code, "name": name, "revenue": rev,
             "employees": 1, "rd_expense": rev / 10} for c, z, code, name, rev in FIRMS]
    con = panel_store(tmp_path / "c.duckdb", rows, zones=("A", "B", "C"))
    con.execute("UPDATE zone SET province_code = '31' WHERE zone_id = 'C'")
    con.execute("UPDATE zone SET province_code = '44' WHERE zone_id <> 'C'")
    con.close()
    s = Store(tmp_path / "c.duckdb", "read")
    yield s
    s.close()


def gaps(store, chain, **kw):
    from gaoxin.services.chains import chain_gaps

    return chain_gaps(store, str(chain), "A", 2024, **kw)


def test_assignment_code_first_then_keyword_and_ambiguous(store, files):
    r = gaps(store, files[0])
    nodes = {n["node"]: n for n in r.nodes}
    assert nodes["n1"]["firms"] == 2 and nodes["n1"]["lq"] == pytest.approx(8 / 7)
    assert nodes["n3"]["firms"] == 1 and nodes["n3"]["lq"] == pytest.approx(4.0)
    assert r.ambiguous == [{"credit_code": "a2", "name": "乙充电电池公司", "nodes": ["n1", "n3"], "match": ["keyword"]}]
    # b2 has a chain code: its name's keyword is not used, so it is at n2 only and not ambiguous
    assert nodes["n2"]["all_zones_firms"] == 3 and nodes["n2"]["zones_present"] == 2


def test_gap_classes_at_the_thresholds(store, files):
    chain, tmp = files
    st = {n["node"]: n["status"] for n in gaps(store, chain, rules=gap_file(tmp)).nodes}
    assert st == {"n1": "present", "n2": "absent", "n3": "strong"}
    assert {n["node"]: n["action"] for n in gaps(store, chain).nodes}["n3"] == "强链 strengthen"
    # just above A n1's LQ (8/7 ≈ 1.1429): weak; at it: not weak (strictly below)
    assert gaps(store, chain, rules=gap_file(tmp, weak=1.15)).nodes[0]["status"] == "weak"
    assert gaps(store, chain, rules=gap_file(tmp, weak=8 / 7)).nodes[0]["status"] == "present"


def test_leads_come_from_zones_strong_at_the_gap_node(store, files):
    chain, tmp = files
    r = gaps(store, chain)
    assert [(x["node"], x["credit_code"], x["zone_id"], x["province"]) for x in r.leads] == [
        ("n2", "c1", "C", "31"), ("n2", "c2", "C", "31")]
    assert r.leads[0]["rd_intensity"] == pytest.approx(0.1) and not r.redacted
    # C at n2 has LQ exactly 1.5: a strong_from just above makes no zone strong there, so no leads
    assert gaps(store, chain, rules=gap_file(tmp, strong=1.5001)).leads == []
    assert [x["credit_code"] for x in gaps(store, chain, rules=gap_file(tmp, n=1)).leads] == ["c1"]
    assert r.lead_counts == [{"node": "n2", "node_zh": "整车", "zone_id": "C", "province": "31", "candidates": 2}]


@pytest.mark.parametrize(("viewer", "firms", "redacted"), [
    ("national", ["c1", "c2"], False), ("admin", ["c1", "c2"], False),
    ("province:44", ["c1", "c2"], False),  # the analysed zone's province: leads into it
    ("province:31", ["c1", "c2"], True),   # another province: only leads within its own province
    ("province:12", [], True), ("zone:A", [], True)])
def test_viewer_scope_over_lead_lists(store, files, viewer, firms, redacted):
    r = gaps(store, files[0], viewer=viewer)
    assert [x["credit_code"] for x in r.leads] == firms and r.redacted is redacted
    assert r.lead_counts[0]["candidates"] == 2  # counts and places are for everyone
    assert "c1" not in json.dumps(r.to_dict()) or firms  # a zone viewer's result names no other zone's firm


@pytest.mark.parametrize("viewer", ["zone:B", "zone", "province:4", "bank", ""])
def test_viewer_refused(store, files, viewer):
    with pytest.raises(InputError):
        gaps(store, files[0], viewer=viewer)


def test_unknown_zone_and_chain(store, files):
    from gaoxin.services.chains import chain_gaps
    from gaoxin.services.errors import user_errors

    with pytest.raises(InputError, match="GX9"):
        chain_gaps(store, str(files[0]), "GX9", 2024)
    with pytest.raises(user_errors()):
        chain_gaps(store, "no-such-chain", "A", 2024)


def test_shipped_chains_and_models():
    for c in ac.SHIPPED:
        ch = ac.load_chain(c)
        assert {n.segment for n in ch.node} == {"upstream", "midstream", "downstream"} and ch.chain.source
    with pytest.raises(ValueError):
        ac.Node(id="x", segment="upstream", name_zh="x", name_en="x")  # neither codes nor keywords
    with pytest.raises(ValueError):
        ac.GapRule(id="g", source="s", weak_below=2, strong_from=1, leads_per_gap=1)


def test_saved_result_round_trips(tmp_path, files):
    from fixtures import panel_store
    from gaoxin.services import Store
    from gaoxin.services.chains import chain_gaps
    from gaoxin.services.industry import stored_result
    from gaoxin.store.db import StoreError

    rows = [{"credit_code": c, "zone_id": z, "year": 2024, "industry_code": code, "name": n, "revenue": rev}
            for c, z, code, n, rev in FIRMS]
    panel_store(tmp_path / "s.duckdb", rows, zones=("A", "B", "C")).close()
    with Store(tmp_path / "s.duckdb", "read") as s, pytest.raises(StoreError):
        chain_gaps(s, str(files[0]), "A", 2024, save=True)
    with Store(tmp_path / "s.duckdb", "write") as s:
        r = chain_gaps(s, str(files[0]), "A", 2024, viewer="zone:A", save=True)
        assert stored_result(s, "chains", r.snapshot, r.rule_hash, r.key) == json.loads(json.dumps(r.to_dict()))


@pytest.mark.parametrize("name", [*[f"{c}.toml" for c in ac.SHIPPED], "gaps.toml"])
def test_config_check_knows_the_chain_files(name, tmp_path):
    from importlib import resources

    from gaoxin.services.configs import check_config

    path = resources.files("gaoxin.analysis").joinpath("rules/chains", name)
    res = check_config(str(path))
    assert res.ok and res.kind == ("chain-gaps" if name == "gaps.toml" else "chain"), res.problems
    bad = tmp_path / name
    bad.write_text(path.read_text("utf-8").replace("source =", "sources =", 1), "utf-8")
    assert not check_config(bad).ok
