"""Plan monitoring charts (decision 0035): the expected path (linear, geometric), the projection and the
outlook, with hand-worked numbers; and the /monitoring API over the demo store."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gaoxin.evaluation.monitor import MonitorRules, expected_value, monitor, parse_targets
from gaoxin.services.monitoring import outlook, trajectory

BASE = {"indicator": "rd", "scope": "zone", "scope_id": "GX001", "baseline_year": 2020, "baseline_value": 100.0,
        "target_year": 2025, "target_value": 200.0, "direction": "increase", "label_zh": "研发", "label_en": "R&D",
        "source": "test plan", "unit": "亿元"}


def _acts(values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame([{"indicator": "rd", "scope": "zone", "scope_id": "GX001", "year": y, "value": v}
                         for y, v in values.items()])


def _row(path: str = "linear", acts: dict[int, float] | None = None, year: int = 2023) -> dict:
    ts = parse_targets({"targets": [{**BASE, "path": path}]})
    return monitor(ts, _acts(acts or {2021: 120.0, 2022: 140.0, 2023: 160.0}), year).to_dict("records")[0]


def test_linear_path_is_a_straight_line_from_base_to_target():
    t = {**BASE, "path": "linear"}
    assert [expected_value(t, y) for y in range(2020, 2026)] == [100, 120, 140, 160, 180, 200]
    assert expected_value(t, 2019) == 100 and expected_value(t, 2030) == 200  # clipped to the plan period


def test_geometric_path_has_a_constant_annual_rate():
    t = {**BASE, "path": "geometric"}
    # 100 → 200 in 5 years: rate 2^(1/5) − 1 = 14.87 %; 2023: 100·2^(3/5) = 151.57
    assert expected_value(t, 2021) == pytest.approx(114.8698, abs=1e-4)
    assert expected_value(t, 2023) == pytest.approx(151.5717, abs=1e-4)
    ratios = [expected_value(t, y + 1) / expected_value(t, y) for y in range(2020, 2025)]
    assert max(ratios) - min(ratios) < 1e-12


def test_geometric_path_moves_the_status_expected_share():
    r = _row("geometric")
    # expected progress (151.57 − 100)/100 = 0.5157; actual 0.6 → gap 0.084 > ahead_gap 0.05 → ahead
    assert r["expected_progress"] == pytest.approx(0.515717, abs=1e-6)
    assert r["status"] == "ahead"
    assert _row("linear")["status"] == "on_track"  # linear: expected 0.6 = progress 0.6


def test_geometric_path_needs_positive_values():
    from gaoxin.evaluation.classify import RuleConfigError

    with pytest.raises(RuleConfigError, match="几何路径"):
        parse_targets({"targets": [{**BASE, "baseline_value": 0.0, "path": "geometric"}]})
    with pytest.raises(RuleConfigError, match="path"):
        parse_targets({"targets": [{**BASE, "path": "quadratic"}]})


def test_trajectory_points_hand_worked():
    r = _row()
    tr = trajectory(r, {2020: 100.0, 2021: 120.0, 2022: 140.0, 2023: 160.0}, MonitorRules())
    pts = {p["year"]: p for p in tr["points"]}
    assert list(pts) == [2020, 2021, 2022, 2023, 2024, 2025]
    assert [pts[y]["actual"] for y in pts] == [100, 120, 140, 160, None, None]
    assert [pts[y]["expected"] for y in pts] == [100, 120, 140, 160, 180, 200]
    # cagr over 2020→2023: 1.6^(1/3) − 1 = 16.96 %; projection 2024: 160·1.1696 = 187.14, 2025: 160·1.6^(2/3)
    assert [pts[y]["projection"] for y in (2020, 2021, 2022)] == [None, None, None]
    assert pts[2023]["projection"] == pytest.approx(160.0)
    assert pts[2024]["projection"] == pytest.approx(187.138, abs=1e-3)
    assert pts[2025]["projection"] == pytest.approx(218.877, abs=1e-3)
    # projected progress (218.877 − 100)/100 = 1.189 > 1.05 → ahead
    assert (tr["outlook"], tr["outlook_zh"], tr["outlook_en"]) == ("ahead", "超前", "ahead")
    assert tr["target_value"] == 200 and tr["target_year"] == 2025


@pytest.mark.parametrize(("projected", "expected"), [(200.0, "on_track"), (196.0, "on_track"), (194.0, "behind"),
                                                     (205.0, "on_track"), (206.0, "ahead"), (math.nan, "no_data")])
def test_outlook_thresholds(projected, expected):
    # P = (projected − 100)/100 against 1 − behind_gap (0.95) and 1 + ahead_gap (1.05)
    assert outlook({**BASE, "projected_value": projected}, MonitorRules()) == expected


def test_outlook_of_a_decrease_target():
    down = {**BASE, "baseline_value": 10.0, "target_value": 5.0, "direction": "decrease"}
    assert outlook({**down, "projected_value": 4.0}, MonitorRules()) == "ahead"  # P = 1.2
    assert outlook({**down, "projected_value": 7.0}, MonitorRules()) == "behind"  # P = 0.6


def test_slow_growth_is_behind_and_no_projection_without_growth_rate():
    r = _row(acts={2021: 102.0, 2022: 104.0, 2023: 106.0})
    tr = trajectory(r, {2020: 100.0, 2021: 102.0, 2022: 104.0, 2023: 106.0}, MonitorRules())
    # cagr 1.06^(1/3) − 1 = 1.96 %; 2025: 106·1.06^(2/3) = 110.20 → P = 0.10 → behind
    assert tr["points"][-1]["projection"] == pytest.approx(110.199, abs=1e-3)
    assert tr["outlook"] == "behind"
    none = trajectory({**r, "actual": math.nan, "cagr": math.nan}, {2020: 100.0}, MonitorRules())
    assert none["outlook"] == "no_data" and all(p["projection"] is None for p in none["points"])


def test_monitoring_api_has_a_trajectory_per_target(demo_db):
    from fastapi.testclient import TestClient

    from conftest import add_users, login
    from gaoxin.api.app import Settings, create_app

    add_users(demo_db, {"nat": {"role": "national"}})
    with TestClient(create_app(Settings(db=demo_db))) as client:
        login(client, "nat")
        body = client.get("/api/v1/monitoring").json()
    assert body["targets"], body
    for t in body["targets"]:
        tr = t["trajectory"]
        years = [p["year"] for p in tr["points"]]
        assert years[0] == t["baseline_year"] and years[-1] >= t["target_year"]
        assert tr["points"][0]["expected"] == t["baseline_value"]
        assert tr["outlook"] in ("ahead", "on_track", "behind", "no_data")
        assert "NaN" not in str(tr) and "nan" not in str(tr)
