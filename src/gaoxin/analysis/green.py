"""Green and low-carbon indicators (issue #9 §6, seed 001 §三(六)): intensities per 万元 of value added and a
carbon estimate, per enterprise and per zone.

Zone figures are aggregate ratios (Σ energy / Σ value added over firms with both known), the way statistical
yearbooks compute an area's energy intensity, not means of firm ratios. Money arrives in 千元.
"""

from __future__ import annotations

import pandas as pd

from gaoxin.analysis.mujun import ratio

# code → (numerator, label zh, label en, unit); denominator is value added in 万元
INTENSITIES = {
    "energy_intensity": ("energy_tce", "单位增加值能耗", "energy intensity", "吨标准煤/万元"),
    "electricity_intensity": ("electricity_mwh", "单位增加值电耗", "electricity intensity", "兆瓦时/万元"),
    "emission_intensity": ("emissions_t", "单位增加值排放", "emission intensity", "吨/万元"),
}


def firm_green(firms: pd.DataFrame, tco2_per_tce: float) -> pd.DataFrame:
    """Per row: the three intensities (NaN when value added ≤ 0 or missing) and carbon = energy × factor (t CO2)."""
    va_wan = firms["value_added"].astype("float64") / 10.0
    out = {code: ratio(firms[num], va_wan) for code, (num, *_) in INTENSITIES.items()}
    out["carbon_t"] = firms["energy_tce"].astype("float64") * tco2_per_tce
    out["carbon_intensity"] = ratio(out["carbon_t"], va_wan)
    return pd.DataFrame(out, index=firms.index)


def zone_green(firms: pd.DataFrame, tco2_per_tce: float) -> pd.DataFrame:
    """Per zone and year: totals, aggregate intensities, carbon estimate and how many firms reported each input."""
    va = firms["value_added"].astype("float64")
    cols = {"zone_id": firms["zone_id"], "year": firms["year"]}
    for num, *_ in INTENSITIES.values():
        x = firms[num].astype("float64")
        both = x.notna() & (va > 0)
        cols[f"{num}__n"] = x.where(both)
        cols[f"{num}__va"] = va.where(both)
        cols[f"{num}__firms"] = both.astype("int64")
    g = pd.DataFrame(cols).groupby(["zone_id", "year"]).sum(min_count=1).reset_index()
    out = g[["zone_id", "year"]].copy()
    for code, (num, *_) in INTENSITIES.items():
        den = g[f"{num}__va"] / 10.0
        out[code] = g[f"{num}__n"] / den.where(den > 0)
        out[f"{num}_firms"] = g[f"{num}__firms"].fillna(0).astype("int64")
    energy = firms["energy_tce"].astype("float64").groupby([firms["zone_id"], firms["year"]]).sum(min_count=1)
    out["energy_tce"] = energy.to_numpy()
    out["carbon_t"] = out["energy_tce"] * tco2_per_tce
    return out
