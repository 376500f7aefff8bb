"""Synthetic firms: who they are (sector, industry, 'tech', zone), when they enter and exit, how big they grow.

``simulate_firms`` gives a chunk of firms with revenue, employees and presence
on (firms × years) arrays; ``attributes.firm_year_columns`` derives everything
else from them.  ``make_codes`` and ``firm_identity`` give credit codes and names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaoxin.demo.params import NAME_WORDS, P, industry_table
from gaoxin.demo.zones import Zones
from gaoxin.ingest.credit_code import ALPHABET, WEIGHTS


@dataclass
class Firms:
    """A chunk of simulated firms: firm-level traits, and (firms × years) size and presence."""

    years: tuple[int, int]  # first and last year
    yrs: np.ndarray  # the years, ascending
    zone: np.ndarray  # zone index
    ind: np.ndarray  # industry index into ``industry_table()``
    manuf: np.ndarray  # manufacturing (else services)
    tech: np.ndarray  # 'tech' firm: drives R&D, S&T staff, high-tech products
    unicorn: np.ndarray  # unicorn-like: young, fast-growing, VC-backed, never listed
    founded: np.ndarray  # founding year
    entry: np.ndarray  # index of the first year present
    age_entry: np.ndarray  # age in that year
    log_revenue: np.ndarray  # (firms × years)
    revenue: np.ndarray  # 千元, one decimal
    employees: np.ndarray
    present: np.ndarray  # the firm has a row that year (entered, not exited)


def simulate_firms(rng: np.random.Generator, n: int, zones: Zones, years: tuple[int, int]) -> Firms:
    """Simulate ``n`` firms over ``years``: traits, births, size at entry, growth and exits.

    The panel is unbalanced: a firm appears the year after its founding (or in
    the first year) until it exits.
    """
    y0, y1 = years
    yrs = np.arange(y0, y1 + 1)
    nt = len(yrs)
    _, ind_manuf, ind_high, ind_w = industry_table()

    # --- firm traits: zone, sector, industry, tech, founding
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
    return Firms(
        years=years,
        yrs=yrs,
        zone=zone,
        ind=ind,
        manuf=manuf,
        tech=tech,
        unicorn=uni,
        founded=founded,
        entry=entry,
        age_entry=age_entry,
        log_revenue=lr,
        revenue=rev,
        employees=emp,
        present=present,
    )


# --------------------------------------------------------------------------- identity


def firm_identity(f: Firms, serial0: int, zones: Zones, key: int) -> dict[str, np.ndarray]:
    """Firm-level identity columns: credit code, name, zone, industry and founding year."""
    n = len(f.zone)
    zone, ind = f.zone, f.ind
    codes = industry_table()[0]
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
    return {
        "credit_code": codes_firm,
        "name": names,
        "zone_id": np.asarray(zones.ids)[zone],
        "industry_code": codes[ind],
        "founded_year": f.founded,
    }


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
