"""Industry structure (analysis/industry.py, services/industry.py): LQ, HHI, growth, featured on hand-computed
tables; the rule files' models; the service on a tiny store."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gaoxin.analysis import industry as ai
from gaoxin.config import ConfigError

# Two zones, two divisions, 2024 (and 2023 for growth).  Hand-worked:
#   A: 27 → 60, 39 → 40 (total 100);  B: 27 → 20, 39 → 80 (total 100);  all: 27 → 80, 39 → 120, 200.
#   LQ(A,27) = (60/100)/(80/200) = 1.5;  LQ(A,39) = 0.4/0.6 = 2/3;  LQ(B,27) = 0.5;  LQ(B,39) = 4/3.
#   HHI(A) = 0.6² + 0.4² = 0.52;  HHI(B) = 0.2² + 0.8² = 0.68.  growth(A,27) = 60/50 − 1 = 0.2.
TABLE = pd.DataFrame({
    "zone_id": ["A", "A", "B", "B", "A"], "industry": ["27", "39", "27", "39", "27"],
    "year": [2024, 2024, 2024, 2024, 2023], "firms": [3, 2, 1, 4, 3],
    "revenue": [60.0, 40.0, 20.0, 80.0, 50.0], "employees": [6.0, 4.0, 5.0, 5.0, 6.0]})


def cur() -> pd.DataFrame:
    return TABLE[TABLE.year == 2024].reset_index(drop=True)


def test_location_quotient_by_hand():
    lq = ai.location_quotient(cur(), "revenue")
    assert lq.tolist() == pytest.approx([1.5, 2 / 3, 0.5, 4 / 3])
    # employees: A 6/10 over 11/20 = 12/11; A 39: 0.4 / (9/20) = 8/9; B 27: 0.5/0.55 = 10/11; B 39: 0.5/0.45 = 10/9
    assert ai.location_quotient(cur(), "employees").tolist() == pytest.approx([12 / 11, 8 / 9, 10 / 11, 10 / 9])


def test_location_quotient_zero_total_is_missing_not_inf():
    df = pd.DataFrame({"zone_id": ["A", "B"], "industry": ["27", "27"], "year": [2024, 2024],
                       "revenue": [0.0, 0.0], "firms": [1, 1], "employees": [1.0, 1.0]})
    assert ai.location_quotient(df, "revenue").isna().all()


def test_herfindahl_by_hand_and_bounds():
    h = ai.herfindahl(cur(), "revenue").set_index("zone_id")["hhi"]
    assert h["A"] == pytest.approx(0.52) and h["B"] == pytest.approx(0.68)
    one = pd.DataFrame({"zone_id": ["A"], "industry": ["27"], "year": [2024], "revenue": [5.0]})
    assert ai.herfindahl(one, "revenue")["hhi"].item() == 1.0
    four = pd.DataFrame({"zone_id": ["A"] * 4, "industry": list("1234"), "year": [2024] * 4, "revenue": [7.0] * 4})
    assert ai.herfindahl(four, "revenue")["hhi"].item() == pytest.approx(0.25)


def test_growth_same_zone_and_industry_only():
    g = ai.growth(TABLE, "revenue")
    assert g[0] == pytest.approx(0.2)
    assert g[[1, 2, 3, 4]].isna().all()  # no prior year (and 2023 has no 2022)


def with_measures(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(lq=ai.location_quotient(df, "revenue"), share=ai.share(df, "revenue"))


def test_featured_largest_share_among_lq_above_one():
    f = ai.featured(with_measures(cur()), ai.load_featured()).set_index("zone_id")["industry"]
    assert f.to_dict() == {"A": "27", "B": "39"}


@pytest.mark.parametrize(("b27", "expected"), [(60.0, None), (59.0, "27"), (61.0, "39")])
def test_featured_lq_threshold_is_strict(b27, expected):
    # B equal to A (LQ exactly 1 everywhere): no featured industry for A.  B a little lower (higher) in 27
    # makes A's LQ in 27 (39) just above 1, and that industry is A's featured one.
    df = cur().copy()
    df.loc[2, "revenue"], df.loc[3, "revenue"] = b27, 100 - b27
    f = ai.featured(with_measures(df), ai.load_featured())
    got = f[f.zone_id == "A"]["industry"].tolist()
    assert got == ([] if expected is None else [expected])


def test_featured_min_firms():
    rule = ai.load_featured().model_copy(update={"min_firms": 4})
    f = ai.featured(with_measures(cur()), rule)
    assert f["zone_id"].tolist() == ["B"]  # A's 27 has 3 firms


def test_industry_map_sections_cover_all_97_divisions():
    m = ai.industry_map()
    divs = [d for s in m.section for d in range(s.first, s.last + 1)]
    assert sorted(divs) == list(range(1, 98)) and len(m.section) == 20


def test_rule_files_are_strict(tmp_path):
    p = tmp_path / "f.toml"
    p.write_text('[featured]\nid = "x"\nsource = "s"\nmin_lq = 1.0\nmin_lqq = 2\n', "utf-8")
    with pytest.raises(ConfigError):
        ai.load_featured(p)
    with pytest.raises(ValueError):
        ai.Category(scheme="hightech-manufacturing-2017", code="X", name_zh="x", name_en="x",
                    prefixes=["2A"], complete=False)


@pytest.fixture
def store(tmp_path):
    from fixtures import panel_store
    from gaoxin.services import Store

    rows = []
    for zone, code, rev, n in [("A", "2710", 30, 2), ("A", "3911", 20, 2), ("B", "2720", 20, 1), ("B", "3990", 80, 1),
                               ("B", "3612", 0, 1)]:
        for k in range(n):
            for y, f in ((2023, 1.0), (2024, 1.0 if zone == "B" else 1.2)):
                rows.append({"credit_code": f"{zone}{code}{k}", "zone_id": zone, "year": y, "industry_code": code,
                             "revenue": rev * f, "employees": 2})
    rows.append({"credit_code": "A-none", "zone_id": "A", "year": 2024, "revenue": 5, "employees": 1})
    panel_store(tmp_path / "i.duckdb", rows).close()
    s = Store(tmp_path / "i.duckdb", "read")
    yield s
    s.close()


def test_service_on_a_tiny_store(store):
    from gaoxin.services.industry import industry_structure

    r = industry_structure(store, 2024, history=2)
    ind = {(x["zone_id"], x["industry"]): x for x in r.industries}
    # 2024: A 27 → 72, 39 → 48 (120); B 27 → 20, 39 → 80, 36 → 0 (100); all 27 → 92, 39 → 128, 220
    assert ind["A", "27"]["lq_revenue"] == pytest.approx((72 / 120) / (92 / 220))
    assert ind["A", "27"]["growth"] == pytest.approx(0.2) and ind["B", "39"]["growth"] == pytest.approx(0.0)
    assert ind["B", "36"]["growth"] is None  # revenue 0 the year before
    assert ind["A", "27"]["label"].startswith("27（C 制造业")
    feat = {(x["zone_id"], x["year"]): x["industry"] for x in r.featured}
    assert feat == {("A", 2023): "27", ("A", 2024): "27", ("B", 2023): "39", ("B", 2024): "39"}
    hhi = {x["zone_id"]: x["hhi"] for x in r.concentration}
    assert hhi["A"] == pytest.approx(0.6 ** 2 + 0.4 ** 2)
    cats = {(x["zone_id"], x["category"]): x for x in r.categories}
    assert cats["A", "HT1"]["revenue"] == 72 and cats["A", "HT4"]["revenue"] == 48
    assert cats["B", "SE5"]["firms"] == 1 and not cats["B", "SE5"]["complete"]
    assert any("1 家企业无行业代码" in n for n in r.notes)
    json.dumps(r.to_dict())  # serialisable; no NaN left
    assert "NaN" not in json.dumps(r.to_dict())


def test_service_zone_filter_and_errors(store):
    from gaoxin.services.errors import InputError
    from gaoxin.services.industry import industry_structure

    r = industry_structure(store, 2024, "B", level="section", history=1)
    assert {x["zone_id"] for x in r.industries} == {"B"} and [x["industry"] for x in r.industries] == ["C"]
    assert r.concentration[0]["hhi"] == 1.0
    with pytest.raises(InputError, match="GX999"):
        industry_structure(store, 2024, "GX999")
    with pytest.raises(InputError, match="level"):
        industry_structure(store, 2024, level="class")


@pytest.mark.parametrize(("name", "kind"), [("featured.toml", "featured-industry"),
                                            ("gbt4754-2017.toml", "industry-map")])
def test_config_check_knows_the_industry_rule_files(name, kind, tmp_path):
    from importlib import resources

    from gaoxin.services.configs import check_config

    path = resources.files("gaoxin.analysis").joinpath("rules/industry", name)
    res = check_config(str(path))
    assert (res.kind, res.ok) == (kind, True), res.problems
    bad = tmp_path / name
    bad.write_text(path.read_text("utf-8").replace("source =", "sourse =", 1), "utf-8")
    res = check_config(bad)
    assert not res.ok and any("sourse" in p for p in res.problems)


@pytest.mark.parametrize(("code", "expected"), [
    ("2710", ["HT1"]),                  # 化学药品原料药制造
    ("2761", ["HT1", "SE4"]),           # 生物药品制造
    ("3741", ["HT2", "SE2"]),           # 飞机制造
    ("3973", ["HT3", "SE1"]),           # 集成电路制造
    ("3562", ["HT3"]),                  # 半导体器件专用设备制造
    ("3911", ["HT4", "SE1"]),           # 计算机整机制造
    ("3474", ["HT4"]),                  # 复印和胶印设备制造
    ("3581", ["HT5", "SE4"]),           # 医疗诊断、监护及治疗设备制造
    ("4011", ["HT5"]),                  # 工业自动控制系统装置制造
    ("4030", []),                       # 钟表与计时仪器制造: not a high-tech instrument
    ("2664", ["HT6"]),                  # 文化用信息化学品制造
    ("6520", ["HS1", "SE1"]),           # 集成电路设计
    ("6432", ["HS2"]),                  # 互联网生活服务平台
    ("7452", ["HS3"]),                  # 检测服务
    ("7320", ["HS5"]),                  # 工程和技术研究和试验发展
    ("7350", []),                       # 社会人文科学研究: not high-tech R&D
    ("7520", ["HS7"]),                  # 知识产权服务
    ("7721", ["HS8", "SE7"]),           # 水污染治理
    ("3612", ["SE5"]),                  # 新能源车整车制造
    ("4416", ["SE6"]),                  # 太阳能发电
    ("6572", ["HS1", "SE8"]),    # 动漫、游戏数字内容服务 (信息服务 takes division 65 whole)
    ("1310", []),                       # 谷物磨制
])
def test_category_mapping_on_known_codes(code, expected):
    assert ai.categories_of(code) == expected


def test_category_prefixes_may_not_overlap_within_a_scheme():
    m = ai.industry_map()
    cats = [*m.category, ai.Category(scheme="strategic-emerging-2018", code="X", name_zh="x", name_en="x",
                                      prefixes=["39"], complete=False)]
    with pytest.raises(ValueError, match="overlap"):
        ai.IndustryMap(version=m.version, source=m.source, section=m.section, category=cats)
