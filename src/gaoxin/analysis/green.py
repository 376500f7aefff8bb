"""Green and low-carbon indicators (issue #9 §6, seed 001 §三(六)): intensities per 万元 of value added and a
carbon estimate, per enterprise (here, as Ibis columns of the 亩均 firm expression) and per zone
(:func:`gaoxin.analysis.mujun_expr.zone_green_expr`).

Zone figures are aggregate ratios (Σ energy / Σ value added over firms with both known), the way statistical
yearbooks compute an area's energy intensity, not means of firm ratios. Money arrives in 千元.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

# code → (numerator, label zh, label en, unit); denominator is value added in 万元
INTENSITIES = {
    "energy_intensity": ("energy_tce", "单位增加值能耗", "energy intensity", "吨标准煤/万元"),
    "electricity_intensity": ("electricity_mwh", "单位增加值电耗", "electricity intensity", "兆瓦时/万元"),
    "emission_intensity": ("emissions_t", "单位增加值排放", "emission intensity", "吨/万元"),
}


def firm_green(t: ir.Table, tco2_per_tce: float) -> dict[str, ir.Value]:
    """Per row: the three intensities (NULL when value added ≤ 0 or missing), carbon = energy × factor (t CO2)
    and the carbon intensity; ``t`` has the inputs as float64."""
    from gaoxin.analysis.mujun_expr import f64, ratio

    va_wan = t.value_added / 10.0
    out = {code: ratio(t[num], va_wan) for code, (num, *_) in INTENSITIES.items()}
    carbon = t.energy_tce * f64(tco2_per_tce)
    out["carbon_t"] = carbon
    out["carbon_intensity"] = ratio(carbon, va_wan)
    return out
