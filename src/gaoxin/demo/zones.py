"""Synthetic zones: the zone table (regions, provinces, approval, area, firm weights) and zone-year facts.

``make_zones`` draws the zones before any firm; ``zone_facts`` runs after all
firms, from their per zone-year sums, so the facts correlate with each zone's firms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gaoxin.demo.draws import mean1
from gaoxin.ingest import contract

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


# --------------------------------------------------------------------------- zone rows and facts


def zone_rows(z: Zones) -> list[list[Any]]:
    """Rows of the zones file, in ``ZONE_HEADERS`` order."""
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
    # added for the whole 2021 system (drawn from their own stream: the facts above are unchanged)
    "national_startup_service_institutions", "green_space_rate", "hospitals_and_schools",
    "wage_house_price_ratio", "disposable_fiscal_resources", "eco_harmony_score", "city_gdp",
)  # fmt: skip
FLOAT_FACTS = {"gdp", "green_coverage_rate", "green_space_rate", "wage_house_price_ratio",
               "disposable_fiscal_resources", "city_gdp"}


def zone_facts(
    rng: np.random.Generator, z: Zones, acc: dict[str, np.ndarray], years: tuple[int, int],
    rng_2021: np.random.Generator | None = None,
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
    va_factor = 1 + rng.uniform(0.05, 0.3, (nz, 1)) * mean1(rng, 0.1, (nz, nt))
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
    out.update(_facts_2021(rng_2021 or np.random.default_rng(0), out, acc, t))
    rows = []
    for i in range(nz):
        for j, y in enumerate(yrs.tolist()):
            for k in FACT_INDICATORS:
                v = out[k][i, j]
                v = (
                    int(v)
                    if float(v).is_integer() and k not in FLOAT_FACTS
                    else float(v)
                )
                rows.append([z.ids[i], y, k, v])
    return rows


def _facts_2021(
    rng: np.random.Generator, out: dict[str, np.ndarray], acc: dict[str, np.ndarray], t: np.ndarray
) -> dict[str, np.ndarray]:
    """Zone statistics and expert scores the 2021 system adds (plausible, not calibrated).

    Service institutions at least the national incubators and never decreasing; 总绿地率 below the
    green coverage rate (it counts land, not canopy); wage/house-price ratio, fiscal resources (万元)
    with the zone's size; the city's GDP a multiple of the zone's.
    """
    nz, nt = out["gdp"].shape
    extra = np.maximum.accumulate(rng.poisson(1 + acc["firms"] / 500), axis=1)
    res = {"national_startup_service_institutions": out["national_incubators"] + extra}
    res["green_space_rate"] = np.round(out["green_coverage_rate"] * rng.uniform(0.7, 0.95, (nz, 1)), 4)
    res["hospitals_and_schools"] = np.maximum.accumulate(
        rng.poisson(3 + out["resident_population"] / 20_000), axis=1)
    res["wage_house_price_ratio"] = np.round(
        np.clip(rng.lognormal(np.log(0.55), 0.35, (nz, 1)) * (1 + 0.01 * t) * mean1(rng, 0.03, (nz, nt)), 0.05, 3), 4)
    res["disposable_fiscal_resources"] = np.round(out["gdp"] / 10 * rng.uniform(0.04, 0.12, (nz, 1))
                                                  * mean1(rng, 0.05, (nz, nt)), 1)
    res["eco_harmony_score"] = np.round(
        np.clip(rng.normal(82, 6, (nz, 1)) + 0.2 * t + rng.normal(0, 2, (nz, nt)), 0, 100), 1)
    res["city_gdp"] = np.round(out["gdp"] * rng.uniform(2.0, 12.0, (nz, 1)) * (1 + 0.02 * t), 1)
    return res
