"""Header aliases and units (data files) map to canonical columns and factors."""

import pytest

from gaoxin.ingest import contract


@pytest.mark.parametrize(
    ("header", "column", "factor"),
    [
        ("营业收入（万元）", "revenue", 10.0),
        ("营业收入(亿元)", "revenue", 100000.0),
        ("营业收入 (元)", "revenue", 0.001),
        ("营业收入（千元）", "revenue", 1.0),
        ("营业收入", "revenue", 1.0),
        ("营业收入万元", "revenue", 10.0),
        ("revenue", "revenue", 1.0),
        ("ＲＥＶＥＮＵＥ", "revenue", 1.0),  # full width, NFKC
        ("用电量（万千瓦时）", "electricity_mwh", 10.0),
        ("统一 社会 信用代码", "credit_code", 1.0),
        ("R&D经费内部支出（万元）", "rd_expense", 10.0),
        ("成立时间", "founded_year", 1.0),
        ("年末从业人员（人）", "employees", 1.0),
        ("用地面积（公顷）", "land_area_mu", 15.0),
    ],
)
def test_match_header(header, column, factor):
    m = contract.match_header("enterprises", header)
    assert m.column == column
    assert m.factor == pytest.approx(factor)
    assert m.error is None


def test_unknown_header_and_unit():
    assert contract.match_header("enterprises", "备注").column is None
    m = contract.match_header("enterprises", "营业收入（美元）")
    assert m.column == "revenue" and m.error


def test_chinese_header_round_trips_for_every_column():
    for name, spec in contract.tables().items():
        for c in spec.columns:
            m = contract.match_header(name, contract.chinese_header(name, c.name))
            assert m.column == c.name and m.factor == 1.0, c.name


def test_regions_follow_nbs_2011():
    counts = {}
    for p in contract.provinces().values():
        counts[p["region"]] = counts.get(p["region"], 0) + 1
    assert counts == {"east": 10, "central": 6, "west": 12, "northeast": 3}
    assert contract.region_of("440300") == "east" and contract.region_of("23") == "northeast"
    assert contract.region_of("99") is None
