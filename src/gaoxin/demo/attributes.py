"""Per-year enterprise attributes derived from the simulated firms' size and traits.

Profit, output, value added and taxes; exports; R&D; products and balance
sheet; venture capital, valuation and listing; staff; patents and trademarks;
land, energy and emissions; the 高新技术企业 and 科技型中小企业 flags.  Firm
ratios are the sector mean plus noise that shrinks with size (``_spread``), so
that revenue-weighted aggregates match the calibration targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gaoxin.demo.calibration import calibration_config, targets
from gaoxin.demo.draws import mean1, sigmoid
from gaoxin.demo.firms import Firms
from gaoxin.demo.params import P, industry_table


def firm_year_columns(rng: np.random.Generator, f: Firms) -> dict[str, np.ndarray]:
    """(firms × years) arrays of the contract columns other than identity, revenue and year.

    Draws from ``rng`` in a fixed order: the output is part of the data's definition.
    """
    y0, y1 = f.years
    yrs = f.yrs
    n, nt = f.revenue.shape
    rev, emp, lr, present = f.revenue, f.employees, f.log_revenue, f.present
    manuf, tech, uni = f.manuf, f.tech, f.unicorn
    founded, entry, age_entry = f.founded, f.entry, f.age_entry
    tgt = targets()
    s_m = tgt["industrial_output/revenue"]["value"] / P.output_ratio_manufacturing
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
    col["taxes"] = rev * 0.035 * mean1(rng, 0.4, shp) + 0.2 * np.maximum(col["net_profit"], 0)

    # --- exports: exporter status rises with size; intensity keeps the expectation fixed
    e_s = P.exports_ratio_services
    e_m = (tgt["exports/revenue"]["value"] - (1 - s_m) * e_s) / s_m
    p_lo = np.where(manuf, 0.25, 0.10)[:, None]
    p_hi = np.where(manuf, 0.95, 0.60)[:, None]
    p_exp = p_lo + (p_hi - p_lo) * sigmoid((lr - np.log(5e4)) / 1.5)
    exporter = rng.random(n)[:, None] < p_exp
    x = 1 + spread * (mean1(rng, 0.6, n)[:, None] * mean1(rng, 0.2, shp) - 1)
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
    profile = 1 + spread * P.rd_small_boost * sigmoid(-(lr - np.log(5e4)))
    startup = (tech & (age_entry <= 3))[:, None] & (rev < 3000)  # R&D-heavy start-ups
    profile = np.where(startup, 3 * profile, profile)
    w = rev * present * shrunk
    profile = profile / ((w * profile).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-9))
    rd_int = np.minimum(shrunk * profile * mean1(rng, 0.15, shp), 1.5)
    col["rd_expense"] = rev * rd_int

    # --- products, balance sheet
    ht_share = np.where(
        tech & (rng.random(n) < 0.85),
        rng.uniform(0.6, 0.95, n),
        rng.uniform(0.0, 0.55, n) * (rng.random(n) < 0.5),
    )[:, None]
    col["high_tech_product_revenue"] = rev * np.clip(ht_share + rng.normal(0, 0.02, shp), 0, 1)
    col["new_product_revenue"] = rev * np.clip(2.5 * rd_int + rng.normal(0.05, 0.05, shp), 0, 0.9)
    assets = rev * rng.lognormal(np.log(1.0), 0.5, n)[:, None] * mean1(rng, 0.1, shp)
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
        col["rd_expense"] / P.patent_cost * mean1(rng, 0.8, n)[:, None] * rng.gamma(2.0, 0.5, shp)
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
        * mean1(rng, 0.1, shp)
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
    return col


def _spread(log_rev: np.ndarray) -> np.ndarray:
    """Relative dispersion of a firm ratio: 1 for small firms, ``spread_min`` for the largest.

    Large firms' ratios stay near the mean, which is both realistic and what
    keeps revenue-weighted aggregates near their targets in small samples.
    """
    return P.spread_min + (1 - P.spread_min) * sigmoid(-(log_rev - np.log(P.spread_mid)))


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


def _rd_scale() -> tuple[float, float, float]:
    """R&D parameters: (scale, sector mean manufacturing, sector mean services).

    Raw intensity is log-normal for 'tech' firms and mostly small or zero for
    the others; the scale makes the revenue-weighted expectation equal the
    target given the manufacturing revenue share.
    """
    _, manuf, high, w = industry_table()
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


# Boards a demo listing is made on, with shares [A]; 新三板 (NEEQ) is 挂牌, excluded by indicator 5.6.
BOARDS = ("主板", "创业板", "科创板", "北交所", "新三板", "境外")
BOARD_SHARES = (0.33, 0.2, 0.15, 0.05, 0.17, 0.1)
DIGITAL_DIVISIONS = ("39", "63", "64", "65")  # [A] GB/T 4754 divisions of 数字经济核心产业 (classes 01–04), roughly


def national_2021_columns(rng: np.random.Generator, f: Firms, col: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(firms × years) arrays of the fields the whole 2021 system adds (migration 005), from the other columns.

    Drawn from their own generator (``rng``), so every earlier column stays as it was: same seed, same data.
    Plausible, not calibrated: technology contracts and cooperation spending with 'tech' firms, overseas R&D
    and national R&D institutions with size, incubation for young small tech firms, listings on boards.
    """
    n, nt = f.revenue.shape
    shp = (n, nt)
    rev, emp, lr, tech, manuf = f.revenue, f.employees, f.log_revenue, f.tech, f.manuf
    age = f.yrs[None, :] - f.founded[:, None]
    out: dict[str, np.ndarray] = {}
    seller = rng.random(n) < np.where(tech, 0.35, 0.04)
    out["tech_contract_turnover"] = np.where(seller[:, None], rev * rng.uniform(0.02, 0.25, n)[:, None]
                                             * mean1(rng, 0.3, shp), 0.0)
    out["wages"] = emp * rng.lognormal(np.log(60.0), 0.35, n)[:, None] * mean1(rng, 0.05, shp)  # 千元 a year
    importer = rng.random(n) < np.where(manuf & tech, 0.25, 0.04)
    out["tech_import_expense"] = np.where(importer[:, None], rev * rng.uniform(0.0, 0.01, shp), 0.0)
    out["assimilation_expense"] = np.where(importer[:, None],
                                           out["tech_import_expense"] * rng.uniform(0.1, 0.6, shp), 0.0)
    coop = rng.random(n) < np.where(tech, 0.4, 0.05)
    out["cooperation_expense"] = np.where(coop[:, None], col["rd_expense"] * rng.uniform(0.02, 0.15, shp), 0.0)
    domestic = rng.random(n) < 0.85
    out["is_domestic_controlled"] = np.broadcast_to(domestic[:, None], shp)
    p_abroad = 0.6 * sigmoid((lr - np.log(5e5)) / 0.8) * tech[:, None]
    abroad = np.maximum.accumulate(rng.random(shp) < 0.3 * p_abroad, axis=1)
    out["overseas_rd_institutions"] = np.where(abroad, 1 + rng.poisson(0.5, n)[:, None], 0).astype(np.int64)
    exporter = col["exports"] > 0
    out["foreign_invention_grants"] = rng.binomial(col["invention_grants"], np.where(exporter, 0.12, 0.02))
    out["foreign_trademarks"] = rng.poisson(0.08 * exporter * np.log1p(emp))
    codes = industry_table()[0][f.ind]
    digital = np.char.startswith(codes.astype(str)[:, None], DIGITAL_DIVISIONS).any(axis=1)
    out["is_digital_industry"] = np.broadcast_to((digital ^ (rng.random(n) < 0.03))[:, None], shp)
    listed = col["is_listed"]
    first = np.where(listed.any(axis=1), listed.argmax(axis=1), -1)
    already = (first == 0) | (first == f.entry)  # listed when first seen: listed some years before
    year_first = f.yrs[np.maximum(first, 0)]
    back = np.minimum(rng.integers(0, 8, n), np.maximum(year_first - f.founded - 1, 0))
    listed_year = np.where(already & (f.entry == 0), year_first - back, year_first).astype(float)
    listed_year[first < 0] = np.nan
    out["listed_year"] = np.where(listed, listed_year[:, None], np.nan)
    board = np.asarray(BOARDS)[rng.choice(len(BOARDS), n, p=BOARD_SHARES)]
    out["listing_board"] = np.where(listed, board[:, None], None)
    big_lab = rng.random(n) < 0.5 * tech
    out["has_national_rd_institution"] = big_lab[:, None] & (lr > np.log(8e5)) & f.present
    incub = rng.random(n) < np.where(tech, 0.6, 0.08)
    out["is_incubated"] = incub[:, None] & (age >= 1) & (age <= 3) & (rev < 20_000)
    return out
