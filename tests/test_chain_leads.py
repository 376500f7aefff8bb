"""A user-supplied list of public firm data as the lead source of the gap analysis (issue #9 §5): validation
with file/row/column messages, assignment to nodes by the store's rule, shown in full to every viewer."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from gaoxin.services.chains import chain_gaps
from gaoxin.services.errors import InputError
from gaoxin.services.leads import read_leads

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
"""
# Store (2024): A has n1 only (a1 3841: 10, a3 1310: 90) → n2 absent = the gap; B has n2 (b1 3612: 100).
FIRMS = [("a1", "A", "3841", "甲电池公司", 10), ("a3", "A", "1310", "丙", 90), ("b1", "B", "3612", "丁", 100)]

HEADER = "企业名称,统一社会信用代码,省份,园区,行业代码,营业收入（万元）,从业人员,研发费用（万元）,备注"
# Hand-worked: n2 candidates not in A, by revenue (千元 = 万元 × 10), unknown revenue last:
# 壹 200 (code 3612), 贰 50 (code 7000 is not the chain's: keyword 整车), 伍 — ; 叁 is in A; 肆 is at n1.
ROWS = ["壹整车公司,91440300192317458F,广东省,,3612,20,100,2,上市",
        "贰整车制造,,31,,7000,5,,,",
        "叁整车,,北京,A,3612,100,,,",
        "肆电池,91350900587527783P,福建,,3841,8,,,",
        "伍整车,,44,,3612,—,,,"]


@pytest.fixture
def setup(tmp_path):
    from fixtures import panel_store
    from gaoxin.services import Store

    rows = [{"credit_code": c, "zone_id": z, "year": 2024, "industry_code": code, "name": name, "revenue": rev,
             "employees": 1, "rd_expense": rev / 10} for c, z, code, name, rev in FIRMS]
    panel_store(tmp_path / "c.duckdb", rows, zones=("A", "B")).close()
    chain = tmp_path / "t.toml"
    chain.write_text(CHAIN, "utf-8")
    leads = tmp_path / "名单.csv"
    leads.write_text("\n".join([HEADER, *ROWS]) + "\n", "utf-8")
    s = Store(tmp_path / "c.duckdb", "read")
    yield s, str(chain), leads
    s.close()


def test_list_leads_at_the_gap_node_shown_in_full_to_a_zone_viewer(setup):
    store, chain, leads = setup
    r = chain_gaps(store, chain, "A", 2024, viewer="zone:A", leads=str(leads))
    assert {n["node"]: n["status"] for n in r.nodes}["n2"] == "absent"
    assert [(x["name"], x["province"], x["revenue"], x["match"], x["row"]) for x in r.leads] == [
        ("壹整车公司", "44", 200.0, "code", 2), ("贰整车制造", "31", 50.0, "keyword", 3),
        ("伍整车", "44", None, "code", 6)]
    assert r.leads[0]["credit_code"] == "91440300192317458F" and r.leads[0]["rd_intensity"] == pytest.approx(0.1)
    assert r.leads[1]["credit_code"] is None and r.leads[1]["zone_id"] is None
    assert not r.redacted and r.lead_source.startswith("list:")
    assert r.lead_counts == [{"node": "n2", "node_zh": "整车", "zone_id": "—", "province": "44", "candidates": 2},
                             {"node": "n2", "node_zh": "整车", "zone_id": "—", "province": "31", "candidates": 1}]
    assert any("备注" in n for n in r.notes)  # an unrecognised column is ignored, and said so
    json.dumps(r.to_dict(), allow_nan=False)  # serialisable as stored
    # without the list: the store's leads (b1 in B, strong at n2) are withheld from the zone viewer
    plain = chain_gaps(store, chain, "A", 2024, viewer="zone:A")
    assert plain.leads == [] and plain.redacted and plain.lead_source == "store"
    assert plain.key != r.key and r.key.endswith(r.lead_source[5:])


def test_xlsx_and_gbk_lists_read_the_same(setup, tmp_path):
    store, chain, leads = setup
    frame = pd.read_csv(leads, dtype=str, keep_default_na=False)
    xlsx = tmp_path / "名单.xlsx"
    frame.to_excel(xlsx, index=False)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(leads.read_text("utf-8").encode("gbk"))
    names = [[x["name"] for x in chain_gaps(store, chain, "A", 2024, leads=str(p)).leads] for p in (xlsx, gbk)]
    assert names == [["壹整车公司", "贰整车制造", "伍整车"]] * 2


@pytest.mark.parametrize(("row", "message"), [
    ("壹,91440300192317458A,广东,,3612,1,1,1,", "第2行 列「统一社会信用代码」值「91440300192317458A」"),
    ("壹,,火星,,3612,1,1,1,", "第2行 列「省份」值「火星」"),
    ("壹,,广东,,38a,1,1,1,", "row 2 column '行业代码' value '38a': industry code must be 2–4 digits"),
    ("壹,,广东,,3612,-1,1,1,", "第2行 列「营业收入（万元）」值「-1」"),
    ("壹,,广东,,3612,1,many,1,", "row 2 column '从业人员' value 'many': not a number"),
    ("壹,,广东,,3612,1,1.5,1,", "must be a whole number"),
    (",,广东,,3612,1,1,1,", "第2行 列「企业名称」为空"),
])
def test_every_bad_cell_is_named_by_file_row_column_and_value(tmp_path, row, message):
    p = tmp_path / "bad.csv"
    p.write_text(f"{HEADER}\n{row}\n", "utf-8")
    with pytest.raises(InputError) as e:
        read_leads(p)
    assert message in str(e.value) and "bad.csv" in str(e.value)


def test_header_and_file_problems(tmp_path):
    cases = {
        "no_province.csv": ("企业名称,行业代码\n甲,3612\n", "required column 'province' is missing"),
        "unit.csv": ("企业名称,省份,营业收入（美元）\n甲,44,1\n", "unknown money unit"),
        "dup.csv": ("企业名称,统一社会信用代码,省份\n甲,91440300192317458F,44\n乙,91440300192317458F,44\n",
                    "repeated in rows 2, 3"),
        "empty.csv": ("企业名称,省份\n", "no data rows"),
        "blank.csv": ("\n", "is empty"),
    }
    for name, (text, message) in cases.items():
        p = tmp_path / name
        p.write_text(text, "utf-8")
        with pytest.raises(InputError, match=message):
            read_leads(p)
    with pytest.raises(InputError, match="lead file not found"):
        read_leads(tmp_path / "missing.csv")
    (tmp_path / "fake.xlsx").write_text("not a workbook", "utf-8")
    with pytest.raises(InputError, match="not an xlsx workbook"):
        read_leads(tmp_path / "fake.xlsx")


def test_cli_chains_with_leads(setup, tmp_path):
    from gaoxin.cli import app

    _store, chain, leads = setup
    db = str(tmp_path / "c.duckdb")
    res = CliRunner().invoke(app, ["chains", "--chain", chain, "--zone", "A", "--year", "2024", "--viewer", "zone:A",
                                   "--leads", str(leads), "--json", "--db", db])
    assert res.exit_code == 0, res.output
    assert [x["name"] for x in json.loads(res.output)["leads"]][:1] == ["壹整车公司"]
    bad = tmp_path / "bad.csv"
    bad.write_text("企业名称\n甲\n", "utf-8")
    res = CliRunner().invoke(app, ["chains", "--chain", chain, "--zone", "A", "--year", "2024", "--leads", str(bad),
                                   "--db", db])
    assert res.exit_code == 2 and "province" in res.output
