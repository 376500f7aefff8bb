"""Synthetic demo data: zones, enterprise-year returns and zone-year facts.

Why synthetic: no public firm-level data of the zones exists, yet every stage
(ingest, indicators, evaluation, reports) needs realistic input at realistic
scale.  The files follow the input contract (shared/data-contract.md) with the
Chinese headers and units of real returns, the aggregates match the published
2020 ratios of the national zones (``data/calibration.toml``), and
``dirty=p`` adds the defects real returns have.  Nothing here is real: zone
and firm names are "示例…" and codes are random but check-digit valid.

Scale: firms are simulated and written in chunks (``CHUNK_FIRM_YEARS``) with numpy
and pyarrow, so memory is bounded and 10^6 firms × 10 years take well under a minute.
Output is a pure function of the arguments (per-chunk seeds, fixed chunk
size, fixed xlsx timestamps), so the same arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gaoxin.demo import dirty as _dirty
from gaoxin.ingest import contract
from gaoxin.ingest.credit_code import ALPHABET, WEIGHTS

# Firm-years simulated at once (50,000 firms over 10 years): bounds memory whatever the
# year range.  Part of the output's definition: changing it changes the data.
CHUNK_FIRM_YEARS = 500_000
XLSX_MAX_ROWS = 1_048_576
TITLE = "示例高新区企业年报（合成数据，非真实）"
TITLES = {
    "zones": "示例高新区名录（合成数据，非真实）",
    "enterprises": TITLE,
    "zone_facts": "示例高新区园区指标（合成数据，非真实）",
}
SHEETS = {"zones": "园区", "enterprises": "企业", "zone_facts": "园区指标"}
ZONE_HEADERS = [
    "园区代码",
    "园区名称",
    "级别",
    "省份代码",
    "所在城市",
    "批准年份",
    "规划面积（平方公里）",
]
FACT_HEADERS = ["园区代码", "年份", "指标", "数值"]
REGION_COUNTS_2020 = {"east": 70, "central": 44, "west": 39, "northeast": 16}  # domain.md [V]
NATIONAL_ZONES_2020 = 169


@dataclass(frozen=True)
class Params:
    """Model parameters of the generator (assumptions [A] unless a target says otherwise).

    Chosen so that firm sizes are heavy-tailed, growth is persistent with
    about 10 % high-growth firms, and the revenue-weighted expectation of each
    calibrated ratio equals its target whatever the size mix.
    """

    share_manufacturing: float = 0.40  # of firms
    size_ratio_manufacturing: float = 2.35  # revenue multiplier: ~61 % of revenue
    share_entrants: float = 0.40  # firms founded inside the year range
    incumbent_age_mean: float = 8.0  # years, exponential
    rev_median_age1: float = 2_500.0  # 千元, median revenue of a 1-year-old firm
    age_slope: float = 0.10  # log revenue per year of age (up to 25)
    size_sigma: float = 1.5  # log-normal body
    tail_share: float = 0.02  # firms with a Pareto multiplier
    tail_alpha: float = 1.8
    rev_cap: float = 1.0e8  # 千元 (1000亿元)
    growth_base: float = 0.05  # nominal log growth of a mature firm
    growth_young: float = 0.15  # extra growth at age 1, decaying with age
    growth_age_scale: float = 3.0
    growth_firm_sd: float = 0.05  # persistent firm effect
    growth_rho: float = 0.45  # AR(1) of growth shocks
    growth_eps_sd: float = 0.10  # shock sd of a small firm, smaller for large ones
    employment_elasticity: float = 0.75
    productivity_median: float = 500.0  # 千元 revenue per employee
    productivity_sigma: float = 0.6
    exit_base: float = 0.03
    exit_young: float = 0.08
    unicorn_rate: float = 4e-4  # of firms
    vc_rate_young_tech: float = 0.12
    list_median: float = 1.5e6  # 千元 revenue at which half of the eligible firms list
    output_ratio_manufacturing: float = 0.98  # industrial output / revenue of a manufacturer
    va_ratio_manufacturing: float = 0.26
    exports_ratio_services: float = 0.03
    spread_min: float = 0.25  # dispersion of firm ratios of the largest firms, relative to small
    spread_mid: float = 3.0e5  # 千元, size where dispersion is halfway
    tech_share_hightech_industry: float = 0.70
    tech_share_other_industry: float = 0.35
    patent_cost: float = 500.0  # 千元 R&D per patent application
    fte_cost: float = 250.0  # 千元 R&D expense per R&D FTE
    rd_tech_median: float = 0.05  # R&D/revenue of 'tech' firms before scaling to the target
    rd_tech_sigma: float = 0.5
    rd_other_median: float = 0.008  # other firms that do R&D
    rd_other_sigma: float = 0.8
    rd_none_share: float = 0.4  # of the other firms: no R&D at all
    rd_small_boost: float = 1.5  # R&D intensity of the smallest firms relative to large, minus 1


P = Params()

# GB/T 4754-2017 classes: (code, label, high-tech sector flag, weight).
MANUFACTURING = (
    ("2710", "化学药品原料药制造", True, 2),
    ("2720", "化学药品制剂制造", True, 3),
    ("2761", "生物药品制造", True, 3),
    ("2641", "涂料制造", False, 2),
    ("2662", "专项化学用品制造", False, 3),
    ("2929", "塑料零件及其他塑料制品制造", False, 3),
    ("3130", "钢压延加工", False, 2),
    ("3311", "金属结构制造", False, 3),
    ("3411", "锅炉及辅助设备制造", False, 2),
    ("3562", "半导体器件专用设备制造", True, 2),
    ("3581", "医疗诊断、监护及治疗设备制造", True, 3),
    ("3612", "新能源车整车制造", False, 1),
    ("3670", "汽车零部件及配件制造", False, 5),
    ("3741", "飞机制造", True, 1),
    ("3824", "电力电子元器件制造", False, 3),
    ("3841", "锂离子电池制造", False, 3),
    ("3911", "计算机整机制造", True, 2),
    ("3921", "通信系统设备制造", True, 3),
    ("3963", "智能无人飞行器制造", True, 1),
    ("3973", "集成电路制造", True, 3),
    ("3974", "显示器件制造", True, 2),
    ("3981", "电阻电容电感元件制造", True, 4),
    ("4011", "工业自动控制系统装置制造", True, 4),
)
SERVICES = (
    ("6421", "互联网搜索服务", True, 1),
    ("6432", "互联网生活服务平台", True, 2),
    ("6511", "基础软件开发", True, 3),
    ("6513", "应用软件开发", True, 8),
    ("6531", "信息系统集成服务", True, 6),
    ("6550", "信息处理和存储支持服务", True, 3),
    ("6560", "信息技术咨询服务", True, 4),
    ("7211", "企业总部管理", False, 3),
    ("7251", "互联网广告服务", False, 2),
    ("7320", "工程和技术研究和试验发展", True, 4),
    ("7340", "医学研究和试验发展", True, 2),
    ("7452", "检测服务", True, 3),
    ("7491", "工业设计服务", True, 2),
    ("7512", "生物技术推广服务", True, 2),
    ("7514", "节能技术推广服务", True, 2),
    ("7520", "知识产权服务", True, 1),
    ("7530", "科技中介服务", True, 2),
)
NAME_WORDS = {"2": "医药", "3": "智能制造", "4": "仪器", "6": "信息技术", "7": "科技服务"}

ENTERPRISE_COLUMNS = [c.name for c in contract.tables()["enterprises"].columns]
MONEY = {
    "revenue", "industrial_output", "value_added", "net_profit", "taxes", "exports",
    "tech_service_exports", "high_tech_product_revenue", "new_product_revenue", "total_assets",
    "total_liabilities", "equity_financing", "rd_expense",
}  # fmt: skip
ONE_DECIMAL = MONEY | {
    "valuation_usd_m",
    "rd_personnel_fte",
    "land_area_mu",
    "energy_tce",
    "electricity_mwh",
}
TWO_DECIMALS = {"emissions_t"}
BOOLS = {"is_high_tech", "is_tech_sme", "is_listed"}
TEXT = {"credit_code", "name", "zone_id", "industry_code"}


@dataclass
class DemoFiles:
    """What ``generate`` wrote: the three files, defect counts and enterprise-year rows."""

    zones: Path
    enterprises: Path
    zone_facts: Path
    defects: dict[str, int] = field(default_factory=dict)
    rows: int = 0


class CalibrationRow(NamedTuple):
    """One calibrated ratio: its target, the generated value, actual / target − 1."""

    name: str
    target: float
    actual: float
    rel_error: float


# --------------------------------------------------------------------------- targets


@cache
def calibration_config() -> dict[str, Any]:
    """``data/calibration.toml``: targets with sources and the certification criteria."""
    text = resources.files("gaoxin.demo").joinpath("data", "calibration.toml").read_text("utf-8")
    return tomllib.loads(text)


def targets() -> dict[str, dict[str, Any]]:
    """Calibration targets by name, each with ``value`` (the ratio) and ``source``."""
    out = {}
    for t in calibration_config()["target"]:
        t = dict(t)
        if "value" not in t:
            if "share_of_national" in t:
                exports = t["national_goods_exports"]
                if t.get("include_services"):
                    exports += t["national_services_exports"]
                t["numerator_value"] = t["share_of_national"] * exports
            t["value"] = t["numerator_value"] / t["denominator_value"]
        out[t["name"]] = t
    return out


# --------------------------------------------------------------------------- zones


@dataclass
class Zones:
    """The zone table plus the zone effects the enterprise simulation needs."""

    ids: list[str]
    names: list[str]
    national: np.ndarray
    province: list[str]
    city_no: np.ndarray
    approved: np.ndarray
    area_km2: np.ndarray
    weight: np.ndarray  # share of firms
    size_shift: np.ndarray  # log revenue shift
    area_code: np.ndarray  # 6-digit registration area, 'S6'

    def __len__(self) -> int:
        return len(self.ids)


def largest_remainder(total: int, weights: Iterable[float]) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (Hamilton's method)."""
    w = np.asarray(list(weights), dtype=float)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(int)
    rest = total - out.sum()
    out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


def region_counts(n: int) -> dict[str, int]:
    """Zones per NBS region: the 2020 national split 70/44/39/16, scaled to ``n``."""
    return dict(
        zip(REGION_COUNTS_2020, largest_remainder(n, REGION_COUNTS_2020.values()), strict=True)
    )


def make_zones(n: int, rng: np.random.Generator) -> Zones:
    """Synthetic zones: national first (up to 169), regions as in 2020, provinces at random."""
    provs = contract.provinces()
    province: list[str] = []
    for region, count in region_counts(n).items():
        codes = sorted(c for c, p in provs.items() if p["region"] == region)
        alloc = largest_remainder(count, rng.gamma(2.0, size=len(codes)))
        province += [c for c, k in zip(codes, alloc, strict=True) for _ in range(k)]
    province = [province[i] for i in rng.permutation(n)]
    width = max(3, len(str(n)))
    national = np.arange(n) < NATIONAL_ZONES_2020
    city_no = np.zeros(n, dtype=int)
    seen: dict[str, int] = {}
    for i, p in enumerate(province):
        seen[p] = seen.get(p, 0) + 1
        city_no[i] = seen[p]
    approved = np.where(
        rng.random(n) < 0.3, rng.integers(1991, 1993, n), rng.integers(1993, 2021, n)
    )
    approved = np.where(national, approved, rng.integers(1995, 2021, n))
    approved[0] = 1988  # the first zone, as Beijing's 试验区 was
    area = np.clip(rng.lognormal(np.log(60.0), 0.9, n), 5.0, 500.0).round(2)
    region = np.array([provs[p]["region"] for p in province])
    rf = {"east": 1.4, "central": 1.0, "west": 0.8, "northeast": 0.7}
    rs = {"east": 0.15, "central": 0.0, "west": -0.1, "northeast": -0.1}
    weight = (
        rng.lognormal(0.0, 0.9, n) * np.vectorize(rf.get)(region) * np.where(national, 1.0, 0.25)
    )
    shift = rng.normal(0.0, 0.2, n) + np.vectorize(rs.get)(region)
    area_code = np.array(
        [f"{p}{min(c, 99):02d}00" for p, c in zip(province, city_no, strict=True)], dtype="S6"
    )
    return Zones(
        ids=[f"GX{i + 1:0{width}d}" for i in range(n)],
        names=[f"示例高新区{i + 1:0{width}d}" for i in range(n)],
        national=national,
        province=province,
        city_no=city_no,
        approved=approved,
        area_km2=area,
        weight=weight / weight.sum(),
        size_shift=shift,
        area_code=area_code,
    )


# --------------------------------------------------------------------------- credit codes

_ALPHA = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)


def _permute8(x: np.ndarray, key: int) -> np.ndarray:
    """A keyed bijection on 0..10^8-1 (3-round Feistel on two 4-digit halves)."""
    left, right = x // 10_000, x % 10_000
    for r in range(3):
        k = (key * 2_654_435_761 + r * 40_503) % 10_000
        f = ((right * 7_919 + k) ** 2 // 7 + r) % 10_000
        left, right = right, (left + f) % 10_000
    return left * 10_000 + right


def make_codes(serials: np.ndarray, area_codes: np.ndarray, key: int = 0) -> np.ndarray:
    """Valid, distinct 统一社会信用代码 for firm serial numbers, vectorised.

    Same structure as ``credit_code.make_codes`` (9 1 + area + GB 11714 body
    and check + GB 32100 check), but the 8-digit body is a bijection of the
    serial, so codes never collide (up to 10^8 firms) and 10^6 take
    milliseconds.  ``area_codes`` are 6-digit strings (or 'S6' bytes).
    """
    serials = np.asarray(serials, dtype=np.int64)
    n = len(serials)
    body = _permute8(serials % 100_000_000, key)
    digits = (body[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    org = 11 - (digits * np.array([3, 7, 9, 10, 5, 8, 4, 2])).sum(axis=1) % 11
    org_val = np.where(org == 10, ALPHABET.index("X"), np.where(org == 11, 0, org))
    area = (
        np.frombuffer(np.asarray(area_codes, dtype="S6").tobytes(), dtype=np.uint8).reshape(n, 6)
        - 48
    )
    vals = np.empty((n, 18), dtype=np.int64)
    vals[:, 0], vals[:, 1] = 9, 1
    vals[:, 2:8] = area
    vals[:, 8:16] = digits
    vals[:, 16] = org_val
    vals[:, 17] = (31 - (vals[:, :17] * np.asarray(WEIGHTS)).sum(axis=1) % 31) % 31
    return _ALPHA[vals].view("S18").ravel().astype(str)


# --------------------------------------------------------------------------- enterprises


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _spread(log_rev: np.ndarray) -> np.ndarray:
    """Relative dispersion of a firm ratio: 1 for small firms, ``spread_min`` for the largest.

    Large firms' ratios stay near the mean, which is both realistic and what
    keeps revenue-weighted aggregates near their targets in small samples.
    """
    return P.spread_min + (1 - P.spread_min) * _sigmoid(-(log_rev - np.log(P.spread_mid)))


def _mean1(rng: np.random.Generator, sigma: float, shape: Any) -> np.ndarray:
    """Log-normal factor with mean 1."""
    return rng.lognormal(-0.5 * sigma**2, sigma, shape)


def _cumstock(init: np.ndarray, add: np.ndarray, start: np.ndarray, keep: float) -> np.ndarray:
    """Stock_t = round(keep·stock_{t-1}) + add_t from the entry year ``start`` on."""
    n, t_n = add.shape
    out = np.zeros((n, t_n), dtype=np.int64)
    prev = init.astype(np.int64)
    for t in range(t_n):
        cur = np.where(
            t == start, prev + add[:, t], np.rint(prev * keep).astype(np.int64) + add[:, t]
        )
        cur = np.where(t < start, prev, cur)
        out[:, t] = cur
        prev = cur
    return out


def _window_sum(x: np.ndarray, k: int) -> np.ndarray:
    """Sum over the last ``k`` years including the current one, along axis 1."""
    cs = np.cumsum(x, axis=1)
    out = cs.copy()
    out[:, k:] -= cs[:, :-k]
    return out


def _bands(x: np.ndarray, bands: list[list[float]]) -> np.ndarray:
    """Score of ``x`` by descending [threshold, score] bands (lower bounds inclusive)."""
    out = np.zeros(x.shape)
    for thr, score in reversed(bands):
        out = np.where(x >= thr, score, out)
    return out


def _industry_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = [(c, True, h, w) for c, _, h, w in MANUFACTURING] + [
        (c, False, h, w) for c, _, h, w in SERVICES
    ]
    codes = np.array([r[0] for r in rows])
    manuf = np.array([r[1] for r in rows])
    high = np.array([r[2] for r in rows])
    w = np.array([r[3] for r in rows], dtype=float)
    return codes, manuf, high, w


def _rd_scale() -> tuple[float, float, float]:
    """R&D parameters: (scale, sector mean manufacturing, sector mean services).

    Raw intensity is log-normal for 'tech' firms and mostly small or zero for
    the others; the scale makes the revenue-weighted expectation equal the
    target given the manufacturing revenue share.
    """
    _, manuf, high, w = _industry_table()
    tgt = targets()
    s_m = tgt["industrial_output/revenue"]["value"] / P.output_ratio_manufacturing
    mean_tech = P.rd_tech_median * np.exp(0.5 * P.rd_tech_sigma**2)
    mean_non = (1 - P.rd_none_share) * P.rd_other_median * np.exp(0.5 * P.rd_other_sigma**2)
    means = []
    for sector in (True, False):
        sel = manuf == sector
        pt = np.where(high[sel], P.tech_share_hightech_industry, P.tech_share_other_industry)
        p_tech = float((pt * w[sel]).sum() / w[sel].sum())
        means.append(p_tech * mean_tech + (1 - p_tech) * mean_non)
    scale = tgt["rd_expense/revenue"]["value"] / (s_m * means[0] + (1 - s_m) * means[1])
    return scale, scale * means[0], scale * means[1]


def simulate_chunk(
    rng: np.random.Generator, serial0: int, n: int, zones: Zones, years: tuple[int, int], key: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Simulate ``n`` firms (serials from ``serial0``) over ``years``.

    Returns the enterprise-year rows (one array per contract column, firm by
    firm, years ascending) and per zone-year sums for zone_facts.  Everything
    is simulated on (firms × years) arrays; the panel is unbalanced: a firm
    appears the year after its founding (or in the first year) until it exits.
    """
    y0, y1 = years
    yrs = np.arange(y0, y1 + 1)
    nt = len(yrs)
    tgt = targets()
    s_m = tgt["industrial_output/revenue"]["value"] / P.output_ratio_manufacturing
    codes, ind_manuf, ind_high, ind_w = _industry_table()

    # --- firm attributes
    zone = rng.choice(len(zones), size=n, p=zones.weight)
    manuf = rng.random(n) < P.share_manufacturing
    ind = np.empty(n, dtype=np.int64)
    for sector in (True, False):
        idx = np.flatnonzero(ind_manuf == sector)
        sel = manuf == sector
        ind[sel] = rng.choice(idx, size=int(sel.sum()), p=ind_w[idx] / ind_w[idx].sum())
    tech = rng.random(n) < np.where(
        ind_high[ind], P.tech_share_hightech_industry, P.tech_share_other_industry
    )
    entrant = rng.random(n) < (P.share_entrants if nt > 1 else 0.0)
    age0 = np.minimum(1 + np.floor(rng.exponential(P.incumbent_age_mean, n)), 40).astype(np.int64)
    founded = np.where(entrant, y0 + rng.integers(0, max(nt - 1, 1), n), y0 - age0)
    entry = np.maximum(founded + 1 - y0, 0)
    age_entry = yrs[entry] - founded

    # --- unicorn-like firms: young, fast-growing, VC-backed, never listed
    cand = np.flatnonzero(tech & (founded >= y1 - 9) & (founded <= y1 - 3))
    n_uni = min(len(cand), int(rng.binomial(n, P.unicorn_rate)))
    uni = np.zeros(n, dtype=bool)
    uni[rng.choice(cand, size=n_uni, replace=False)] = True

    # --- size at entry: log-normal body, Pareto tail
    lr0 = (
        np.log(P.rev_median_age1)
        + P.age_slope * np.minimum(age_entry - 1, 25)
        + np.log(P.size_ratio_manufacturing) * manuf
        + zones.size_shift[zone]
        + rng.normal(0.0, P.size_sigma, n)
    )
    tail = rng.random(n) < P.tail_share
    lr0 = lr0 + np.where(tail, np.log1p(rng.pareto(P.tail_alpha, n)), 0.0) + 1.5 * uni
    lr0 = np.clip(lr0, np.log(50.0), np.log(P.rev_cap))
    le0 = lr0 - rng.normal(np.log(P.productivity_median), P.productivity_sigma, n)

    # --- dynamics: persistent growth, exits
    firm_g = np.where(uni, 0.2, rng.normal(0.0, P.growth_firm_sd, n))
    lr = np.empty((n, nt))
    le = np.empty((n, nt))
    present = np.zeros((n, nt), dtype=bool)
    u = np.zeros(n)
    prev_r, prev_e = lr0.copy(), le0.copy()
    alive = np.ones(n, dtype=bool)
    for t in range(nt):
        age = yrs[t] - founded
        grow = t > entry
        sd = np.maximum(P.growth_eps_sd * np.exp(-0.08 * np.maximum(prev_r - np.log(1e4), 0)), 0.04)
        u = np.where(grow, P.growth_rho * u + rng.normal(0.0, 1.0, n) * sd, 0.0)
        g = P.growth_base + P.growth_young * np.exp(-(age - 1) / P.growth_age_scale) + firm_g + u
        cur_r = np.clip(np.where(grow, prev_r + g, lr0), np.log(50.0), np.log(P.rev_cap))
        dg = cur_r - prev_r
        cur_e = np.where(
            grow, prev_e + P.employment_elasticity * dg + rng.normal(-0.01, 0.06, n), le0
        )
        hazard = (
            P.exit_base + P.exit_young * np.exp(-(age - 1) / 3.0) + 0.04 * (cur_r < np.log(1000))
        )
        alive &= ~(grow & ~uni & (rng.random(n) < hazard))
        present[:, t] = (t >= entry) & alive
        lr[:, t], le[:, t] = cur_r, cur_e
        prev_r, prev_e = cur_r, cur_e

    rev = np.round(np.exp(lr), 1)
    emp = np.maximum(np.rint(np.exp(le)), 1).astype(np.int64)
    spread = _spread(lr)
    shp = (n, nt)
    col: dict[str, np.ndarray] = {}

    # --- profit, output, value added, taxes
    margin = tgt["net_profit/revenue"]["value"] + spread * (
        rng.normal(0.0, 0.07, n)[:, None] + rng.normal(0.0, 0.05, shp)
    )
    margin = np.where(uni[:, None], -0.25 * spread + rng.normal(0, 0.02, shp), margin)  # losses
    col["net_profit"] = rev * margin
    out_ratio = P.output_ratio_manufacturing + spread * rng.normal(0.0, 0.04, shp)
    col["industrial_output"] = np.where(manuf[:, None], rev * out_ratio, np.nan)
    va_s = (tgt["value_added/revenue"]["value"] - s_m * P.va_ratio_manufacturing) / (1 - s_m)
    va_mean = np.where(manuf, P.va_ratio_manufacturing, va_s)[:, None]
    va_sd = np.where(manuf, 0.06, 0.10)[:, None]
    va = va_mean + spread * va_sd * (
        rng.normal(0.0, 1.0, n)[:, None] + 0.4 * rng.normal(0.0, 1.0, shp)
    )
    col["value_added"] = rev * np.maximum(va, 0.02)
    col["taxes"] = rev * 0.035 * _mean1(rng, 0.4, shp) + 0.2 * np.maximum(col["net_profit"], 0)

    # --- exports: exporter status rises with size; intensity keeps the expectation fixed
    e_s = P.exports_ratio_services
    e_m = (tgt["exports/revenue"]["value"] - (1 - s_m) * e_s) / s_m
    p_lo = np.where(manuf, 0.25, 0.10)[:, None]
    p_hi = np.where(manuf, 0.95, 0.60)[:, None]
    p_exp = p_lo + (p_hi - p_lo) * _sigmoid((lr - np.log(5e4)) / 1.5)
    exporter = rng.random(n)[:, None] < p_exp
    x = 1 + spread * (_mean1(rng, 0.6, n)[:, None] * _mean1(rng, 0.2, shp) - 1)
    exp_int = np.minimum(np.where(manuf, e_m, e_s)[:, None] / p_exp * x, 0.95)
    col["exports"] = np.where(exporter, rev * exp_int, 0.0)
    tse_share = np.where(manuf, rng.uniform(0.0, 0.05, n), rng.uniform(0.4, 0.9, n))[:, None]
    col["tech_service_exports"] = col["exports"] * tse_share * (tech | ~manuf)[:, None]

    # --- R&D: small firms more intensive; the size profile is normalised per year so that
    # it leaves the revenue-weighted mean (the calibration target) unchanged.
    scale, rd_m, rd_s = _rd_scale()
    none = ~tech & (rng.random(n) < P.rd_none_share)
    raw = np.where(
        tech,
        rng.lognormal(np.log(P.rd_tech_median), P.rd_tech_sigma, n),
        np.where(none, 0.0, rng.lognormal(np.log(P.rd_other_median), P.rd_other_sigma, n)),
    )
    raw = raw * scale
    sector_mean = np.where(manuf, rd_m, rd_s)[:, None]
    shrunk = sector_mean + spread * (raw[:, None] - sector_mean)
    shrunk = np.where(none[:, None] & (spread > 0.9), 0.0, shrunk)  # small non-R&D firms: none
    profile = 1 + spread * P.rd_small_boost * _sigmoid(-(lr - np.log(5e4)))
    startup = (tech & (age_entry <= 3))[:, None] & (rev < 3000)  # R&D-heavy start-ups
    profile = np.where(startup, 3 * profile, profile)
    w = rev * present * shrunk
    profile = profile / ((w * profile).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-9))
    rd_int = np.minimum(shrunk * profile * _mean1(rng, 0.15, shp), 1.5)
    col["rd_expense"] = rev * rd_int

    # --- products, balance sheet
    ht_share = np.where(
        tech & (rng.random(n) < 0.85),
        rng.uniform(0.6, 0.95, n),
        rng.uniform(0.0, 0.55, n) * (rng.random(n) < 0.5),
    )[:, None]
    col["high_tech_product_revenue"] = rev * np.clip(ht_share + rng.normal(0, 0.02, shp), 0, 1)
    col["new_product_revenue"] = rev * np.clip(2.5 * rd_int + rng.normal(0.05, 0.05, shp), 0, 0.9)
    assets = rev * rng.lognormal(np.log(1.0), 0.5, n)[:, None] * _mean1(rng, 0.1, shp)
    col["total_assets"] = assets
    col["total_liabilities"] = assets * np.clip(
        rng.beta(5, 5, n)[:, None] + rng.normal(0, 0.03, shp), 0.02, 1.2
    )

    # --- venture capital, valuation, listing
    vc = uni | (tech & (founded >= y0 - 8) & (rng.random(n) < P.vc_rate_young_tech))
    list_at = rng.lognormal(np.log(P.list_median), 0.8, n)
    eligible = ~vc & (rng.random(n) < 0.7)
    listed = np.maximum.accumulate(eligible[:, None] & (rev >= list_at[:, None]) & present, axis=1)
    usd = 6_900.0  # 千元 per US$ million (2020 average about 6.9 yuan per dollar)
    val = np.maximum(
        rev * rng.lognormal(np.log(6.0), 0.8, n)[:, None] / usd,
        rng.lognormal(np.log(5), 0.7, n)[:, None],
    )
    uni_val = 1000 * (1 + rng.pareto(1.5, n))[:, None] * np.exp(0.15 * (yrs - y1))[None, :]
    val = np.where(uni[:, None], np.maximum(uni_val, 1000.0), val)
    show_val = vc[:, None] & ~listed
    col["valuation_usd_m"] = np.where(show_val, val, np.nan)
    round_ = rng.random(shp) < np.where(uni, 0.7, 0.35)[:, None]
    round_ |= uni[:, None] & (np.arange(nt) == nt - 1)  # a unicorn raised in the latest year
    col["equity_financing"] = np.where(
        show_val, np.where(round_, val * usd * rng.uniform(0.08, 0.2, shp), 0.0), np.nan
    )

    # --- people
    bach = np.clip(np.where(manuf, rng.beta(3, 6, n), rng.beta(6, 4, n)) + 0.1 * tech, 0, 0.95)[
        :, None
    ]
    col["employees"] = emp
    col["employees_bachelor_plus"] = np.rint(
        emp * np.clip(bach + rng.normal(0, 0.02, shp), 0, 1)
    ).astype(np.int64)
    st_share = np.where(tech, 0.10 + 0.6 * rng.beta(2, 5, n), rng.beta(1.2, 14, n))[:, None]
    st = np.floor(emp * np.clip(st_share + rng.normal(0, 0.01, shp), 0, 1)).astype(np.int64)
    col["st_personnel"] = st
    fte = col["rd_expense"] / (P.fte_cost * rng.lognormal(0, 0.3, n)[:, None])
    col["rd_personnel_fte"] = np.minimum(fte, 0.9 * st)
    col["foreign_returnee_staff"] = rng.poisson(emp * bach * 0.008 * (1 + tech)[:, None])

    # --- IP: patents driven by R&D (negative binomial), stocks carried over
    lam = (
        col["rd_expense"] / P.patent_cost * _mean1(rng, 0.8, n)[:, None] * rng.gamma(2.0, 0.5, shp)
    )
    apps = rng.poisson(lam)
    inv = rng.binomial(apps, np.clip(rng.beta(3, 5, n) + 0.1 * tech, 0, 1)[:, None])
    lag = np.concatenate([inv[:, :1], inv[:, :-1]], axis=1)
    grants = rng.binomial(lag, 0.45)
    stock0 = rng.poisson(lam[np.arange(n), entry] * 0.15 * np.minimum(age_entry, 10))
    col["patent_applications"] = apps
    col["invention_applications"] = inv
    col["invention_grants"] = grants
    col["valid_invention_patents"] = _cumstock(stock0, grants, entry, 0.92)
    col["pct_applications"] = rng.binomial(inv, (0.03 + 0.12 * exporter).clip(0, 1))
    tm0 = rng.poisson(0.5 + 0.6 * np.log1p(emp[np.arange(n), entry]))
    col["trademarks"] = _cumstock(tm0, rng.poisson(0.2 + 0.05 * np.log1p(emp)), entry, 1.0)
    col["intl_standards_led"] = rng.poisson(col["rd_expense"] / 1e6)

    # --- land, energy, emissions: manufacturing only
    m2 = manuf[:, None]
    density = rng.lognormal(np.log(4_000.0), 0.7, n)[:, None]  # 千元 revenue per 亩
    land = np.maximum.accumulate(np.where(present, rev / density, 0.0), axis=1)
    col["land_area_mu"] = np.where(m2, np.maximum(land, 0.5), np.nan)
    energy = (
        col["value_added"]
        / 10
        * rng.lognormal(np.log(0.15), 0.7, n)[:, None]
        * _mean1(rng, 0.1, shp)
    )
    col["energy_tce"] = np.where(m2, energy, np.nan)
    col["electricity_mwh"] = np.where(
        m2, energy * rng.uniform(0.3, 0.8, n)[:, None] / 0.1229, np.nan
    )
    emis = col["value_added"] / 10 / 5_000 * rng.lognormal(0, 1.0, n)[:, None]
    col["emissions_t"] = np.where(m2, emis, np.nan)

    # --- certification flags consistent with the official rules most of the time
    crit = calibration_config()["criteria"]
    ht = crit["high_tech"]
    pres = present.astype(float)
    rd3 = _window_sum(col["rd_expense"] * pres, 3) / np.maximum(_window_sum(rev * pres, 3), 1e-9)
    rd_min = np.select([rev <= b for b, _ in ht["rd_bands"]], [m for _, m in ht["rd_bands"]], 0.03)
    has_ip = (col["valid_invention_patents"] > 0) | (np.cumsum(apps * present, axis=1) > 0)
    rule_ht = (
        (st >= ht["st_share_min"] * emp)
        & (col["high_tech_product_revenue"] >= ht["high_tech_revenue_share_min"] * rev)
        & (rd3 >= rd_min)
        & has_ip
    )
    col["is_high_tech"] = _flag(rng, rule_ht & present, ht)
    sme = crit["tech_sme"]
    score_st = _bands(st / emp, sme["st_share_bands"])
    score = (
        score_st
        + _bands(col["rd_expense"] / rev, sme["rd_share_bands"])
        + np.where(
            col["valid_invention_patents"] > 0,
            sme["ip_class1_score"],
            _bands((apps - inv).astype(float), sme["ip_class2_scores"]),
        )
    )
    rule_sme = (
        (emp <= sme["max_employees"])
        & (rev <= sme["max_revenue"])
        & (assets <= sme["max_assets"])
        & (score >= sme["min_score"])
        & (score_st > 0)
    )
    col["is_tech_sme"] = _flag(rng, rule_sme & present, sme)
    col["is_listed"] = listed

    # --- identity columns (firm level, broadcast)
    serial = serial0 + np.arange(n)
    codes_firm = make_codes(serial, zones.area_code[zone], key)
    width = 7
    words = np.array([NAME_WORDS.get(c[0], "科技") for c in codes[ind]])
    names = np.array(
        [
            f"示例{w}企业{s:0{width}d}有限公司"
            for w, s in zip(words.tolist(), (serial + 1).tolist(), strict=True)
        ]
    )
    col["revenue"] = rev
    col["year"] = np.broadcast_to(yrs, shp)
    firm_cols = {
        "credit_code": codes_firm,
        "name": names,
        "zone_id": np.asarray(zones.ids)[zone],
        "industry_code": codes[ind],
        "founded_year": founded,
    }

    # --- zone-year sums for zone_facts
    zt = (zone[:, None] * nt + np.arange(nt)[None, :])[present]
    nzt = len(zones) * nt

    def zsum(v: np.ndarray) -> np.ndarray:
        return np.bincount(zt, weights=np.nan_to_num(v[present]), minlength=nzt).reshape(
            len(zones), nt
        )

    zone_sums = {
        "firms": zsum(np.ones(shp)),
        "employees": zsum(emp.astype(float)),
        "value_added": zsum(col["value_added"]),
        "rd": zsum(col["rd_expense"]),
        "energy": zsum(col["energy_tce"]),
    }
    fi, ti = np.nonzero(present)
    rows = {k: v[fi, ti] for k, v in col.items()}
    rows.update({k: v[fi] for k, v in firm_cols.items()})
    return rows, zone_sums


def _flag(rng: np.random.Generator, rule: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """A certification flag that mostly follows its rule, with the usual frictions.

    A certificate stays valid for ``validity_years`` after the rule was last
    met, some qualifying firms never apply, and a few rows are simply wrong.
    """
    n, nt = rule.shape
    valid = _window_sum(rule.astype(np.int64), int(cfg["validity_years"])) > 0
    applies = rng.random(n) >= cfg["non_applicant_share"]
    noise = rng.random((n, nt)) < cfg["noise_share"]
    return (valid & applies[:, None]) ^ noise


# --------------------------------------------------------------------------- arrow


def _decimal(values: np.ndarray, scale: int) -> pa.Array:
    """Fixed-point Arrow decimals: CSV shows '12345.6', never '1.2e+11'."""
    v = np.asarray(values, dtype=float)
    valid = np.isfinite(v)
    unscaled = np.where(valid, np.rint(np.where(valid, v, 0) * 10**scale), 0).astype(np.int64)
    buf = np.empty((len(v), 2), dtype=np.int64)
    buf[:, 0] = unscaled
    buf[:, 1] = np.where(unscaled < 0, -1, 0)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.decimal128(18, scale),
        len(v),
        [bitmap, pa.py_buffer(buf)],
        null_count=int((~valid).sum()),
    )


_YES_NO = pa.array(["否", "是"])


def _arrow_column(name: str, v: np.ndarray) -> pa.Array:
    """The Arrow type a column is written with (decimals, 是/否, text or integers)."""
    if name in ONE_DECIMAL:
        return _decimal(v, 1)
    if name in TWO_DECIMALS:
        return _decimal(v, 2)
    if name in BOOLS:
        return _YES_NO.take(pa.array(v.astype(np.int8)))
    if name in TEXT:
        return pa.array(v, type=pa.string())
    return pa.array(np.asarray(v, dtype=np.int64))


def enterprise_table(rows: dict[str, np.ndarray]) -> pa.Table:
    """Rows of ``simulate_chunk`` as an Arrow table in contract column order."""
    return pa.table({c: _arrow_column(c, rows[c]) for c in ENTERPRISE_COLUMNS})


def apply_defects(table: pa.Table, plan: _dirty.Plan, as_text: Iterable[str]) -> pa.Table:
    """Write the plan into the table: listed columns become text, defect rows get their text."""
    cols = {}
    for name in table.column_names:
        arr = table.column(name).combine_chunks()
        if name in as_text or plan.text.get(name):
            obj = pc.cast(arr, pa.string()).to_numpy(zero_copy_only=False).astype(object)
            for row, text in plan.text.get(name, {}).items():
                obj[row] = text
            arr = pa.array(obj, type=pa.string())
        cols[name] = arr
    out = pa.table(cols)
    if len(plan.duplicates):
        order = np.sort(np.concatenate([np.arange(out.num_rows), plan.duplicates]), kind="stable")
        out = out.take(pa.array(order))
    return out


# --------------------------------------------------------------------------- sinks


class _CsvSink:
    """Appends Arrow tables to a CSV file, quoting only fields that need it."""

    def __init__(self, path: Path, header: list[str], encoding: str):
        self.path, self.encoding = path, encoding
        self.fh = path.open("wb")
        self._emit(",".join(header) + "\n", first=True)

    def _emit(self, text: str | bytes, first: bool = False) -> None:
        """Write UTF-8 bytes as they are, or transcode them (GBK); a BOM only at the start."""
        if isinstance(text, bytes):
            if self.encoding.startswith("utf-8"):
                self.fh.write(text)
                return
            text = text.decode("utf-8")
        self.fh.write(text.encode(self.encoding if first else self.encoding.replace("-sig", "")))

    def write(self, table: pa.Table) -> None:
        marked = False
        cols = []
        for arr in table.columns:
            if pa.types.is_string(arr.type) and pc.any(pc.match_substring(arr, ",")).as_py():
                has = pc.match_substring(arr, ",")
                quoted = pc.binary_join_element_wise(
                    "", pc.replace_substring(arr, ",", "\x1f"), "", "\x1e"
                )
                arr = pc.if_else(has, quoted, arr)
                marked = True
            cols.append(arr)
        buf = pa.BufferOutputStream()
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(pa.table(cols, names=table.column_names), buf, opts)
        data = buf.getvalue().to_pybytes()
        if marked:
            data = data.replace(b"\x1e", b'"').replace(b"\x1f", b",")
        self._emit(data)

    def close(self) -> None:
        self.fh.close()


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class _XlsxSink:
    """Writes rows under a title row with xlsxwriter in constant-memory mode."""

    def __init__(
        self, path: Path, sheet: str, title: str, header: list[str], numeric_text: set[str]
    ):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        # Fixed metadata so that the same arguments give the same bytes.
        self.wb.set_properties({"created": dt.datetime(2020, 1, 1), "author": "gaoxin demo"})
        self.ws = self.wb.add_worksheet(sheet)
        self.ws.write_string(0, 0, title)
        self.ws.write_row(1, 0, header)
        self.row = 2
        self.numeric_text = numeric_text

    def write_rows(self, columns: list[list[Any]], names: list[str]) -> None:
        for j, name in enumerate(names):
            if name in self.numeric_text:  # clean numbers stay numbers; only defects are text
                columns[j] = [
                    float(v) if isinstance(v, str) and _PLAIN_NUMBER.match(v) else v
                    for v in columns[j]
                ]
        write_row = self.ws.write_row
        for r, values in enumerate(zip(*columns, strict=True), start=self.row):
            write_row(r, 0, values)
        self.row += len(columns[0]) if columns else 0

    def write(self, table: pa.Table) -> None:
        cols = []
        for arr in table.columns:
            if pa.types.is_decimal(arr.type):
                arr = pc.cast(arr, pa.float64())
            cols.append(arr.to_pylist())
        self.write_rows(cols, table.column_names)

    def close(self) -> None:
        self.wb.close()


# --------------------------------------------------------------------------- zone files


def _zone_rows(z: Zones) -> list[list[Any]]:
    level = ["国家级" if nat else "省级" for nat in z.national]
    city = [f"示例市{c:02d}" for c in z.city_no]
    return [
        [z.ids[i], z.names[i], level[i], z.province[i], city[i], int(z.approved[i]), float(a)]
        for i, a in enumerate(z.area_km2)
    ]


FACT_INDICATORS = (
    "gdp", "resident_population", "green_coverage_rate", "national_incubators",
    "national_rd_institutions", "provincial_rd_institutions", "new_registered_enterprises",
    "carbon_emissions_t", "entrepreneurship_climate_score", "compliance_score",
    "statistics_accuracy_score",
)  # fmt: skip


def zone_facts(
    rng: np.random.Generator, z: Zones, acc: dict[str, np.ndarray], years: tuple[int, int]
) -> list[list[Any]]:
    """Zone-year indicators not derivable from the returns, correlated with the zone's firms.

    GDP exceeds the firms' value added (non-reporting units), residents are
    1.3-2.5 times the jobs, institutions and incubators with R&D and firm
    counts and never decrease, carbon with energy use; expert scores are
    0-100 with a persistent zone component.
    """
    nz = len(z)
    yrs = np.arange(years[0], years[1] + 1)
    nt = len(yrs)
    t = np.arange(nt)[None, :]
    firms = acc["firms"]
    out: dict[str, np.ndarray] = {}
    va_factor = 1 + rng.uniform(0.05, 0.3, (nz, 1)) * _mean1(rng, 0.1, (nz, nt))
    out["gdp"] = np.round(acc["value_added"] * va_factor + 1_000.0, 1)
    out["resident_population"] = np.rint(
        (acc["employees"] * rng.uniform(1.3, 2.5, (nz, 1)) + 500) * (1 + 0.01 * t)
    )
    out["green_coverage_rate"] = np.round(
        np.clip(
            rng.normal(0.38, 0.05, (nz, 1)) + 0.003 * t + rng.normal(0, 0.005, (nz, nt)), 0.15, 0.6
        ),
        4,
    )
    out["national_incubators"] = np.maximum.accumulate(rng.poisson(0.5 + firms / 300), axis=1)
    out["national_rd_institutions"] = np.maximum.accumulate(
        rng.poisson(0.2 + acc["rd"] / 2e6), axis=1
    )
    out["provincial_rd_institutions"] = np.maximum.accumulate(
        rng.poisson(1 + acc["rd"] / 3e5), axis=1
    )
    climate = rng.lognormal(0, 0.3, (nz, 1))
    reg = rng.poisson(firms.mean(axis=1, keepdims=True) * 0.15 * climate * np.exp(0.04 * t) + 5)
    out["new_registered_enterprises"] = reg
    # about 2.4 t CO2 per tce of industrial energy, 1.5 t per employee for buildings and transport
    out["carbon_emissions_t"] = np.round(acc["energy"] * 2.4 + acc["employees"] * 1.5, 1)
    rate = reg / np.maximum(firms, 1)
    rank = (np.argsort(np.argsort(rate, axis=None)).reshape(rate.shape) + 0.5) / rate.size
    out["entrepreneurship_climate_score"] = np.round(
        np.clip(55 + 35 * rank + rng.normal(0, 3, (nz, nt)), 0, 100), 1
    )
    out["compliance_score"] = np.round(
        np.clip(rng.normal(85, 6, (nz, 1)) + rng.normal(0, 2, (nz, nt)), 0, 100), 1
    )
    out["statistics_accuracy_score"] = np.round(
        np.clip(rng.normal(86, 5, (nz, 1)) + 0.3 * t + rng.normal(0, 1.5, (nz, nt)), 0, 100), 1
    )
    rows = []
    for i in range(nz):
        for j, y in enumerate(yrs.tolist()):
            for k in FACT_INDICATORS:
                v = out[k][i, j]
                v = (
                    int(v)
                    if float(v).is_integer() and k not in ("gdp", "green_coverage_rate")
                    else float(v)
                )
                rows.append([z.ids[i], y, k, v])
    return rows


def _fact_text(v: int | float) -> str:
    return str(v) if isinstance(v, int) else f"{v:.4f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    *,
    zones: int = 169,
    enterprises: int = 50_000,
    years: tuple[int, int] = (2016, 2025),
    seed: int = 42,
    dirty: float = 0.0,
    fmt: str = "csv",
    encoding: str = "utf-8",
    progress: Callable[[int, int], None] | None = None,
) -> DemoFiles:
    """Write zones, enterprises and zone_facts files into ``out_dir``.

    ``fmt`` is 'csv' or 'xlsx'; ``encoding`` 'utf-8', 'utf-8-sig' or 'gbk'
    (CSV only).  ``dirty`` is the share of enterprise rows given a defect.
    ``progress(done, total)`` is called with firms done after each chunk.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")
    if encoding not in ("utf-8", "utf-8-sig", "gbk"):
        raise ValueError(f"encoding must be 'utf-8', 'utf-8-sig' or 'gbk', not {encoding!r}")
    if fmt == "xlsx" and encoding != "utf-8":
        raise ValueError("an encoding applies to CSV only; xlsx is always Unicode")
    if zones < 1 or enterprises < 1:
        raise ValueError("zones and enterprises must be positive")
    if not 0.0 <= dirty <= 1.0:
        raise ValueError("dirty must be a share between 0 and 1")
    y0, y1 = years
    if y1 < y0 or y0 < 1988:
        raise ValueError("years must be (first, last) with 1988 <= first <= last")
    nt = y1 - y0 + 1
    if fmt == "xlsx" and enterprises * nt * (1 + dirty) + 2 > XLSX_MAX_ROWS:
        raise ValueError(
            f"{enterprises} firms × {nt} years may exceed the {XLSX_MAX_ROWS:,} rows "
            "of an xlsx sheet; use csv"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = fmt
    paths = {t: out_dir / f"{t}.{ext}" for t in ("zones", "enterprises", "zone_facts")}

    root = np.random.SeedSequence(seed)
    zone_ss, facts_ss, firm_ss, key_ss = root.spawn(4)
    z = make_zones(zones, np.random.default_rng(zone_ss))
    key = int(np.random.default_rng(key_ss).integers(0, 10_000))

    # zones
    zrows = _zone_rows(z)
    sink_z: Any
    if fmt == "csv":
        sink_z = _CsvSink(paths["zones"], ZONE_HEADERS, encoding)
        sink_z.write(
            pa.table({h: pa.array([str(r[j]) for r in zrows]) for j, h in enumerate(ZONE_HEADERS)})
        )
    else:
        sink_z = _XlsxSink(paths["zones"], SHEETS["zones"], TITLES["zones"], ZONE_HEADERS, set())
        sink_z.write_rows([list(c) for c in zip(*zrows, strict=True)], ZONE_HEADERS)
    sink_z.close()

    # enterprises, chunk by chunk
    header = [contract.chinese_header("enterprises", c) for c in ENTERPRISE_COLUMNS]
    as_text = {"revenue", "employees"} if dirty > 0 else set()
    sink: Any = (
        _CsvSink(paths["enterprises"], header, encoding)
        if fmt == "csv"
        else _XlsxSink(
            paths["enterprises"], SHEETS["enterprises"], TITLE, header, {"revenue", "employees"}
        )
    )
    acc = {k: np.zeros((zones, nt)) for k in ("firms", "employees", "value_added", "rd", "energy")}
    defects = dict.fromkeys(_dirty.KINDS, 0)
    rows_written = 0
    chunk = max(1_000, CHUNK_FIRM_YEARS // nt)
    n_chunks = -(-enterprises // chunk)
    chunk_ss = firm_ss.spawn(n_chunks)
    try:
        for c in range(n_chunks):
            rng = np.random.default_rng(chunk_ss[c])
            start = c * chunk
            n = min(chunk, enterprises - start)
            rows, sums = simulate_chunk(rng, start, n, z, (y0, y1), key)
            for k, v in sums.items():
                acc[k] += v
            table = enterprise_table(rows)
            if dirty > 0:
                plan = _dirty.plan(
                    rng,
                    dirty,
                    np.rint(rows["revenue"] * 10).astype(np.int64),
                    rows["employees"],
                    rows["credit_code"],
                )
                for k, v in plan.counts.items():
                    defects[k] += v
                table = apply_defects(table, plan, as_text)
            sink.write(table)
            rows_written += table.num_rows
            if progress:
                progress(start + n, enterprises)
    finally:
        sink.close()

    # zone facts
    facts = zone_facts(np.random.default_rng(facts_ss), z, acc, (y0, y1))
    if fmt == "csv":
        sink_f = _CsvSink(paths["zone_facts"], FACT_HEADERS, encoding)
        cols = list(zip(*facts, strict=True))
        sink_f.write(
            pa.table(
                {
                    FACT_HEADERS[0]: pa.array(cols[0]),
                    FACT_HEADERS[1]: pa.array(cols[1], type=pa.int64()),
                    FACT_HEADERS[2]: pa.array(cols[2]),
                    FACT_HEADERS[3]: pa.array([_fact_text(v) for v in cols[3]]),
                }
            )
        )
    else:
        sink_f = _XlsxSink(
            paths["zone_facts"], SHEETS["zone_facts"], TITLES["zone_facts"], FACT_HEADERS, set()
        )
        sink_f.write_rows([list(c) for c in zip(*facts, strict=True)], FACT_HEADERS)
    sink_f.close()
    return DemoFiles(
        paths["zones"],
        paths["enterprises"],
        paths["zone_facts"],
        defects if dirty > 0 else {},
        rows_written,
    )


# --------------------------------------------------------------------------- reading back


def _detect_encoding(path: Path) -> str:
    head = path.open("rb").read(1 << 16)
    head = head[: head.rfind(b"\n") + 1] or head
    try:
        head.decode("utf-8")
        return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _to_number(s: pd.Series) -> pd.Series:
    """Numbers as returns write them: full-width digits, thousands separators."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    txt = s.astype("string").map(
        lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v
    )
    return pd.to_numeric(txt.str.replace(",", "", regex=False).str.strip(), errors="coerce")


def read_enterprises(source: Path | str | pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Canonical ``columns`` of an enterprises CSV/xlsx/DataFrame, numbers in canonical units.

    A minimal reader for checking generated files (headers matched through
    the contract, units converted); the ingest stage is the real reader.
    """
    want = list(columns)
    if isinstance(source, pd.DataFrame):
        df = source
    else:
        path = Path(source)
        if path.suffix.lower() in (".xlsx", ".xls"):
            raw = pd.read_excel(path, header=None, dtype=object, engine="calamine")
            best = max(range(min(10, len(raw))), key=lambda i: contract.header_score(
                "enterprises", [str(v) for v in raw.iloc[i] if pd.notna(v)]))  # fmt: skip
            df = raw.iloc[best + 1 :].set_axis([str(v) for v in raw.iloc[best]], axis=1)
        else:
            enc = _detect_encoding(path)
            with path.open(encoding=enc) as fh:
                headers = fh.readline().rstrip("\r\n").split(",")
            keep = [h for h in headers if contract.match_header("enterprises", h).column in want]
            df = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(encoding=enc),
                convert_options=pacsv.ConvertOptions(
                    include_columns=keep, column_types=dict.fromkeys(keep, pa.string())
                ),
            ).to_pandas()
    out = {}
    for h in df.columns:
        m = contract.match_header("enterprises", str(h))
        if m.column in want and m.column not in out:
            s = df[h]
            out[m.column] = s if m.column in TEXT else _to_number(s) * m.factor
    missing = [c for c in want if c not in out]
    if missing:
        raise ValueError(f"columns not found: {missing}")
    return pd.DataFrame(out)[want]


def calibration_report(source: Path | str | pd.DataFrame, year: int = 2020) -> list[CalibrationRow]:
    """(name, target, actual, relative error) of each calibrated ratio in ``year``.

    Ratios are sums over the year's rows (blank = 0 in the numerator), as the
    published zone aggregates are.  Meant for clean files (``dirty=0``).
    """
    tg = targets()
    cols = sorted({"year", "revenue"} | {t["numerator"] for t in tg.values()})
    df = read_enterprises(source, cols)
    df = df[(df["year"] == year) & (df["revenue"] > 0)]
    if df.empty:
        raise ValueError(f"no enterprise rows for {year}")
    den = float(df["revenue"].sum())
    out = []
    for name, t in tg.items():
        actual = float(df[t["numerator"]].fillna(0).sum()) / den
        out.append(CalibrationRow(name, float(t["value"]), actual, actual / float(t["value"]) - 1))
    return out
