"""Synthetic demo data: contract layout, determinism, calibration, defects, formats."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaoxin.demo import synthetic
from gaoxin.demo.dirty import KINDS
from gaoxin.ingest import contract
from gaoxin.ingest.credit_code import check_char, org_code_check_char, valid_mask

YEARS = (2016, 2022)


def read_raw(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """The file exactly as text, canonical column names, no conversion."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    return df.rename(columns=lambda h: contract.match_header("enterprises", h).column)


def to_num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace("", np.nan))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[synthetic.DemoFiles, pd.DataFrame]:
    out = tmp_path_factory.mktemp("clean")
    files = synthetic.generate(out, zones=169, enterprises=20_000, years=YEARS, seed=42)
    return files, read_raw(files.enterprises)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[synthetic.DemoFiles, pd.DataFrame, pd.DataFrame]:
    out = tmp_path_factory.mktemp("dirty")
    files = synthetic.generate(out, zones=30, enterprises=4_000, years=YEARS, seed=3, dirty=0.07)
    clean_out = tmp_path_factory.mktemp("dirty_clean")
    base = synthetic.generate(clean_out, zones=30, enterprises=4_000, years=YEARS, seed=3)
    return files, read_raw(files.enterprises), read_raw(base.enterprises)


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    kw = {"zones": 12, "enterprises": 700, "years": (2019, 2021), "dirty": 0.05}
    a = synthetic.generate(tmp_path / "a", seed=5, **kw)
    b = synthetic.generate(tmp_path / "b", seed=5, **kw)
    c = synthetic.generate(tmp_path / "c", seed=6, **kw)
    for name in ("zones", "enterprises", "zone_facts"):
        assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes(), name
    assert a.defects == b.defects and a.rows == b.rows
    assert a.enterprises.read_bytes() != c.enterprises.read_bytes()


def test_headers_cover_the_contract_in_canonical_units(clean) -> None:
    files, _ = clean
    header = files.enterprises.read_text("utf-8").split("\n", 1)[0].split(",")
    matches = [contract.match_header("enterprises", h) for h in header]
    assert all(m.column and m.error is None and m.factor == 1.0 for m in matches), header
    cols = [m.column for m in matches]
    assert len(set(cols)) == len(cols)
    assert set(cols) == {c.name for c in contract.tables()["enterprises"].columns}
    assert "营业收入（千元）" in header
    for table, path in (("zones", files.zones), ("zone_facts", files.zone_facts)):
        hdr = path.read_text("utf-8").split("\n", 1)[0].split(",")
        assert all(not h.isascii() for h in hdr)  # Chinese headers
        assert {contract.match_header(table, h).column for h in hdr} >= set(
            contract.tables()[table].required
        )


def test_codes_valid_unique_and_keys_unique(clean) -> None:
    _, df = clean
    assert valid_mask(df["credit_code"].to_numpy()).all()
    assert df.groupby("credit_code")["name"].nunique().max() == 1
    assert df.groupby("name")["credit_code"].nunique().max() == 1
    assert not df.duplicated(["credit_code", "year"]).any()
    assert df["credit_code"].str[:2].eq("91").all()


def test_vectorised_codes_follow_both_check_rules() -> None:
    area = np.array(["320100", "440300", "650100"] * 400, dtype="S6")
    codes = synthetic.make_codes(np.arange(1200) * 7919, area, key=3)
    assert len(set(codes)) == len(codes)
    for c in codes[:200]:
        assert c[17] == check_char(c[:17])
        assert c[16] == org_code_check_char(c[8:16])
    assert [c[2:8] for c in codes[:3]] == ["320100", "440300", "650100"]


def test_zones_follow_the_2020_regional_split(clean) -> None:
    files, df = clean
    z = pd.read_csv(files.zones, dtype=str)
    assert len(z) == 169
    regions = Counter(contract.region_of(p) for p in z["省份代码"])
    assert regions == {"east": 70, "central": 44, "west": 39, "northeast": 16}
    assert z["级别"].eq("国家级").all()
    assert z["园区代码"].str.fullmatch(r"GX\d{3}").all() and z["园区代码"].is_unique
    assert z["园区名称"].str.startswith("示例高新区").all()
    assert z["批准年份"].astype(int).between(1988, 2020).all()
    assert z["规划面积（平方公里）"].astype(float).between(5, 500).all()
    assert set(df["zone_id"]) <= set(z["园区代码"])
    # Each firm's code is registered in its zone's province.
    prov = dict(zip(z["园区代码"], z["省份代码"], strict=True))
    assert (df["credit_code"].str[2:4] == df["zone_id"].map(prov)).all()


def test_more_zones_scale_the_split_and_add_provincial_zones() -> None:
    z = synthetic.make_zones(1200, np.random.default_rng(0))
    counts = Counter(contract.region_of(p) for p in z.province)
    for region, n2020 in synthetic.REGION_COUNTS_2020.items():
        assert abs(counts[region] - 1200 * n2020 / 169) < 1
    assert z.national.sum() == 169
    assert z.ids[0] == "GX0001" and len(set(z.ids)) == 1200


def test_calibration_within_ten_percent(clean) -> None:
    files, _ = clean
    report = synthetic.calibration_report(files.enterprises, year=2020)
    assert {r.name for r in report} == set(synthetic.targets())
    for r in report:
        assert abs(r.actual / r.target - 1) <= 0.10, r


def test_targets_are_the_published_ratios() -> None:
    t = synthetic.targets()
    assert t["net_profit/revenue"]["value"] == pytest.approx(3.0 / 42.8)
    assert t["industrial_output/revenue"]["value"] == pytest.approx(25.6 / 42.8)
    assert t["value_added/revenue"]["value"] == pytest.approx(13.6 / 42.8)
    assert t["exports/revenue"]["value"] == pytest.approx(0.226 * 17.93 / 42.8)
    assert all(v["source"] for v in t.values())


def test_panel_dynamics_and_firm_types(clean) -> None:
    _, df = clean
    num = {c: to_num(df[c]) for c in ("year", "founded_year", "revenue", "employees")}
    first = num["year"].groupby(df["credit_code"]).min()
    founded = num["founded_year"].groupby(df["credit_code"]).first()
    assert (first == np.maximum(founded + 1, YEARS[0])).all()  # appear the year after founding
    last = num["year"].groupby(df["credit_code"]).max()
    assert 0.05 < (last < YEARS[1]).mean() < 0.5  # exits
    assert (first > YEARS[0]).mean() > 0.1  # births
    # Heavy tail: top 1 % of firms hold a large share of revenue.
    rev = num["revenue"][num["year"] == 2020].sort_values(ascending=False)
    assert rev.head(len(rev) // 100).sum() / rev.sum() > 0.25
    # High-growth firms (Eurostat-OECD): ≥10 staff, >20 %/yr over 3 years.
    wide = (
        pd.DataFrame(num)
        .assign(code=df["credit_code"])
        .pivot(index="code", columns="year", values=["revenue", "employees"])
    )
    e0, e3 = wide["employees"][2017], wide["employees"][2020]
    r0, r3 = wide["revenue"][2017], wide["revenue"][2020]
    base = (e0 >= 10) & e3.notna()
    hgf = ((e3 / e0) ** (1 / 3) > 1.2) | ((r3 / r0) ** (1 / 3) > 1.2)
    assert 0.05 < hgf[base].mean() < 0.2
    # Unicorn-like firms: valuation ≥ US$1bn, ≤10 years old, unlisted, with equity financing.
    val = to_num(df["valuation_usd_m"])
    uni = df[(val >= 1000) & (num["year"] - num["founded_year"] <= 10)]
    assert len(uni) > 0 and uni["is_listed"].eq("否").all()
    assert (
        to_num(df.loc[df["credit_code"].isin(uni["credit_code"]), "equity_financing"]) > 0
    ).any()
    assert 0 < df["is_listed"].eq("是").mean() < 0.05
    for c in synthetic.BOOLS:
        assert set(df[c]) == {"是", "否"}


def test_industrial_columns_only_for_manufacturing(clean) -> None:
    _, df = clean
    manuf = df["industry_code"].str.len().eq(4) & df["industry_code"].str[0].isin(
        ["1", "2", "3", "4"]
    )
    assert manuf.any() and (~manuf).any()
    for c in ("industrial_output", "land_area_mu", "energy_tce", "electricity_mwh", "emissions_t"):
        assert df.loc[~manuf, c].eq("").all(), c
        assert df.loc[manuf, c].ne("").all(), c


def test_rd_and_patents_plausible(clean) -> None:
    _, df = clean
    rev, rd = to_num(df["revenue"]), to_num(df["rd_expense"])
    share = rd / rev
    assert 0.75 < (share <= 0.10).mean() < 0.98  # mostly 0-10 %
    apps, inv = to_num(df["patent_applications"]), to_num(df["invention_applications"])
    assert (inv <= apps).all() and (to_num(df["pct_applications"]) <= inv).all()
    assert np.corrcoef(np.log1p(rd), np.log1p(apps))[0, 1] > 0.5
    assert (to_num(df["rd_personnel_fte"]) <= to_num(df["st_personnel"])).all()
    assert (to_num(df["st_personnel"]) <= to_num(df["employees"])).all()


def test_high_tech_flag_mostly_follows_the_official_rule(clean) -> None:
    _, df = clean
    d = pd.DataFrame({c: to_num(df[c]) for c in (
        "year", "revenue", "rd_expense", "employees", "st_personnel", "high_tech_product_revenue",
        "patent_applications", "valid_invention_patents")})  # fmt: skip
    d["code"] = df["credit_code"]
    d = d.sort_values(["code", "year"])
    g = d.groupby("code")
    rd3 = (
        g["rd_expense"].rolling(3, min_periods=1).sum().to_numpy()
        / g["revenue"].rolling(3, min_periods=1).sum().to_numpy()
    )
    need = np.where(d["revenue"] <= 50_000, 0.05, np.where(d["revenue"] <= 200_000, 0.04, 0.03))
    ip = (d["valid_invention_patents"] > 0) | (g["patent_applications"].cumsum() > 0)
    rule = (
        (d["st_personnel"] >= 0.1 * d["employees"])
        & (d["high_tech_product_revenue"] >= 0.6 * d["revenue"])
        & (rd3 >= need)
        & ip
    )
    flag = df.loc[d.index, "is_high_tech"].eq("是")
    assert 0.1 < flag.mean() < 0.6
    assert (flag == rule).mean() > 0.85


def test_zone_facts_complete_and_correlated(clean) -> None:
    files, df = clean
    f = pd.read_csv(files.zone_facts, dtype={"园区代码": str})
    assert set(f["指标"]) == set(synthetic.FACT_INDICATORS)
    assert len(f) == 169 * (YEARS[1] - YEARS[0] + 1) * len(synthetic.FACT_INDICATORS)
    wide = f.pivot_table(index=["园区代码", "年份"], columns="指标", values="数值")
    for s in ("entrepreneurship_climate_score", "compliance_score", "statistics_accuracy_score"):
        assert wide[s].between(0, 100).all()
    assert wide["green_coverage_rate"].between(0, 1).all()
    va = (
        pd.DataFrame({"z": df["zone_id"], "y": to_num(df["year"]), "va": to_num(df["value_added"])})
        .groupby(["z", "y"])["va"]
        .sum()
    )
    both = wide.join(va.rename_axis(["园区代码", "年份"]).rename("va"), how="inner")
    assert both["gdp"].corr(both["va"], method="spearman") > 0.8
    assert (both["gdp"] >= both["va"]).all()


def test_dirty_rows_have_each_defect(dirty) -> None:
    files, df, base = dirty
    counts = files.defects
    assert set(counts) == set(KINDS)
    total = sum(counts.values())
    n_clean = files.rows - counts["duplicate_row"]
    assert n_clean == len(base)
    assert abs(total - 0.07 * n_clean) < 4 * np.sqrt(0.07 * n_clean)
    assert min(counts.values()) > total / len(KINDS) / 2  # roughly equal kinds
    assert (~valid_mask(df["credit_code"].to_numpy())).sum() == counts["bad_check_digit"]
    assert df.duplicated(["credit_code", "year"]).sum() == counts["duplicate_row"]
    rev, emp = df["revenue"], df["employees"]
    fullwidth = rev.str.contains("[０-９]") | emp.str.contains("[０-９]")
    assert fullwidth.sum() == counts["fullwidth_digits"]
    assert ((rev == "") | (emp == "")).sum() == counts["blank_required"]
    assert (rev.str.startswith("-") | emp.str.startswith("-")).sum() == counts["negative_value"]
    assert rev.str.contains(",").sum() == counts["thousands_separator"]
    # Repairable defects really are valid after NFKC / removing separators.
    fixed = rev[fullwidth | rev.str.contains(",")].map(lambda v: unicodedata.normalize("NFKC", v))
    assert pd.to_numeric(fixed.str.replace(",", "")).notna().all()


def test_unit_mixup_is_revenue_times_1000(dirty) -> None:
    files, df, base = dirty
    d = df.drop_duplicates(["credit_code", "year"]).set_index(["credit_code", "year"])
    b = base.set_index(["credit_code", "year"])
    ratio = pd.to_numeric(d["revenue"], errors="coerce") / pd.to_numeric(b["revenue"])
    assert (ratio.round(6) == 1000).sum() == files.defects["unit_mixup"]


def test_gbk_file_is_gbk_not_utf8(tmp_path: Path) -> None:
    files = synthetic.generate(
        tmp_path, zones=5, enterprises=300, years=(2020, 2021), encoding="gbk"
    )
    for p in (files.zones, files.enterprises, files.zone_facts):
        raw = p.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.decode("gbk").startswith(
            "园区代码" if p != files.enterprises else "统一社会信用代码"
        )
    df = read_raw(files.enterprises, encoding="gbk")
    assert len(df) == files.rows and valid_mask(df["credit_code"].to_numpy()).all()


def test_xlsx_has_title_row_then_header(tmp_path: Path) -> None:
    files = synthetic.generate(tmp_path, zones=5, enterprises=300, years=(2020, 2021), fmt="xlsx")
    assert files.enterprises.suffix == ".xlsx"
    for path, table, sheet in (
        (files.zones, "zones", "园区"),
        (files.enterprises, "enterprises", "企业"),
        (files.zone_facts, "zone_facts", "园区指标"),
    ):
        book = pd.read_excel(path, sheet_name=None, header=None, engine="calamine")
        assert list(book) == [sheet]
        raw = book[sheet]
        assert "合成数据" in str(raw.iloc[0, 0]) and raw.iloc[0, 1:].isna().all()
        header = [str(h) for h in raw.iloc[1]]
        assert contract.header_score(table, header) == len(header)
    assert len(pd.read_excel(files.enterprises, header=1, engine="calamine")) == files.rows
    # The reader used by calibration_report finds the header under the title.
    got = synthetic.read_enterprises(files.enterprises, ["credit_code", "revenue"])
    assert len(got) == files.rows and (got["revenue"] > 0).all()


def test_progress_and_argument_checks(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    synthetic.generate(
        tmp_path,
        zones=3,
        enterprises=200,
        years=(2020, 2020),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls and calls[-1] == (200, 200)
    with pytest.raises(ValueError):
        synthetic.generate(tmp_path, enterprises=200_000, fmt="xlsx")
    with pytest.raises(ValueError):
        synthetic.generate(tmp_path, fmt="xlsx", encoding="gbk")
    with pytest.raises(ValueError):
        synthetic.generate(tmp_path, encoding="latin-1")


def test_clean_run_reports_no_defects(clean) -> None:
    files, _ = clean
    assert files.defects == {}
