"""Green indicators on hand-made enterprises: intensities per 万元 of value added and the carbon estimate,
per firm (columns of the 亩均 expression) and per zone (aggregate ratios)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.analysis import green
from gaoxin.analysis import mujun_expr as mx
from gaoxin.analysis.mujun import load_carbon


def frame() -> pd.DataFrame:
    return pd.DataFrame({"zone_id": ["Z", "Z", "Z"], "year": [2024] * 3, "value_added": [1000.0, 3000.0, np.nan],
                         "energy_tce": [50.0, 50.0, 10.0], "electricity_mwh": [200.0, np.nan, 5.0],
                         "emissions_t": [1.0, 3.0, np.nan]})


def test_firm_intensities_by_hand():
    g = mx.on_table(frame(), lambda t: t.select(**green.firm_green(t, 2.66))).to_pandas()
    assert g.at[0, "energy_intensity"] == pytest.approx(0.5)  # 50 tce / 100 万元
    assert g.at[0, "electricity_intensity"] == pytest.approx(2.0)
    assert g.at[0, "carbon_t"] == pytest.approx(133.0) and g.at[0, "carbon_intensity"] == pytest.approx(1.33)
    assert np.isnan(g.at[1, "electricity_intensity"])  # no electricity figure
    assert np.isnan(g.at[2, "energy_intensity"]) and g.at[2, "carbon_t"] == pytest.approx(26.6)


def test_zone_figures_are_aggregate_ratios():
    z = mx.on_table(frame(), lambda t: mx.zone_green_expr(t, 2.66)).to_pandas().iloc[0]
    assert z["energy_intensity"] == pytest.approx(100 / 400)  # firms with both known: (50+50)/(100+300)
    assert z["electricity_intensity"] == pytest.approx(2.0) and z["electricity_mwh_firms"] == 1
    assert z["emission_intensity"] == pytest.approx(4 / 400) and z["energy_tce_firms"] == 2
    assert z["carbon_t"] == pytest.approx(110 * 2.66)  # every firm's energy counts for the carbon estimate


def test_zone_without_value_added_has_no_intensity_but_a_carbon_estimate():
    f = frame().assign(value_added=[0.0, np.nan, -5.0])
    z = mx.on_table(f, lambda t: mx.zone_green_expr(t, 2.66)).to_pandas().iloc[0]
    assert np.isnan(z["energy_intensity"]) and z["energy_tce_firms"] == 0
    assert z["carbon_t"] == pytest.approx(110 * 2.66)


def test_shipped_carbon_factor_has_a_source():
    c = load_carbon().carbon
    assert c.tco2_per_tce == 2.66 and "能源研究所" in c.source
