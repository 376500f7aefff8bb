"""The decomposition functions of gaoxin.evaluation.explain: identities, symmetry, hand-worked values."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaoxin.evaluation import explain as ex
from gaoxin.evaluation.methods.aggregate import aggregate_tree
from gaoxin.evaluation.pipeline import run_pipeline

META = pd.DataFrame([
    {"iCode": "x", "Parent": "idx", "Type": "Indicator", "Level": 1, "Weight": 1.0, "Direction": 1.0},
    {"iCode": "y", "Parent": "idx", "Type": "Indicator", "Level": 1, "Weight": 1.0, "Direction": 1.0},
    {"iCode": "idx", "Parent": None, "Type": "Aggregate", "Level": 2, "Weight": 1.0, "Direction": 1.0},
])
STEPS = [{"name": "normalise", "method": "minmax"}, {"name": "aggregate"}]


def _zone(data: pd.DataFrame, zone: str) -> tuple[pd.Series, pd.Series]:
    r = run_pipeline(data, META, STEPS)
    s = r.scores.loc[zone, ["x", "y"]]
    return s, ex.effective_weights(r.meta, r.weights, s)


def test_three_zones_two_indicators_minmax_by_hand():
    # year 0: B has x 5 of 0–10 (score 50), y 10 of 0–20 (50): composite 50.
    # year 1: B's x rises to 8 (80), its y to 12, but C's y doubles to 40, so y scores 30: composite 55.
    y0 = pd.DataFrame({"x": [0.0, 5.0, 10.0], "y": [0.0, 10.0, 20.0]}, index=["A", "B", "C"])
    y1 = pd.DataFrame({"x": [0.0, 8.0, 10.0], "y": [0.0, 12.0, 40.0]}, index=["A", "B", "C"])
    worlds = {}
    for own, peer in itertools.product((0, 1), repeat=2):
        d = (y1 if peer else y0).copy()
        d.loc["B"] = (y1 if own else y0).loc["B"]
        worlds[frozenset({"own"} if own else set()) | ({"peer"} if peer else set())] = _zone(d, "B")
    df = ex.additive_factor_contributions(worlds, ["own", "peer"])
    # x: 0.5 × (80 − 50) = +15, all the zone's own data (the range 0–10 did not move)
    assert df.loc["x", "contribution"] == pytest.approx(15.0)
    assert df.loc["x", "own"] == pytest.approx(15.0) and df.loc["x", "peer"] == pytest.approx(0.0)
    # y: 0.5 × (30 − 50) = −10; own = ½[(30 − 25) + (15 − 12.5)] = 3.75, peer = ½[(12.5 − 25) + (15 − 30)] = −13.75
    assert df.loc["y", "contribution"] == pytest.approx(-10.0)
    assert df.loc["y", "own"] == pytest.approx(3.75) and df.loc["y", "peer"] == pytest.approx(-13.75)
    assert df["contribution"].sum() == pytest.approx(55.0 - 50.0, abs=1e-12)
    assert (df["method"] == 0).all()


cell = st.one_of(st.integers(0, 50).map(float), st.just(float("nan")))


@given(st.lists(cell, min_size=24, max_size=24), st.sampled_from(["minmax", "zscore", "percentile_rank"]),
       st.sampled_from(["none", "median"]), st.booleans())
@settings(max_examples=15, deadline=None)
def test_pipeline_worlds_add_up_for_any_data(vals, norm, imp, method_changes):
    """Worlds from real pipeline runs (imputation, normalisation, weights renormalised over what a zone has):
    the contributions add up to the change of the composite and own + peer + method to each contribution."""
    idx = ["A", "B", "C", "D"]
    y0 = pd.DataFrame(np.reshape(vals[:12], (4, 3))[:, :2], index=idx, columns=["x", "y"])
    y1 = pd.DataFrame(np.reshape(vals[12:], (4, 3))[:, :2], index=idx, columns=["x", "y"])
    s0 = [{"name": "impute", "method": imp}, {"name": "normalise", "method": norm}, {"name": "aggregate"}]
    s1 = [{"name": "impute", "method": "median"}, {"name": "normalise", "method": "minmax"},
          {"name": "aggregate"}] if method_changes else s0
    players = ["own", "peer", "method"] if method_changes else ["own", "peer"]
    worlds, comp = {}, {}
    for k in range(len(players) + 1):
        for c in itertools.combinations(players, k):
            s = frozenset(c)
            d = (y1 if "peer" in s else y0).copy()
            d.loc["B"] = (y1 if "own" in s else y0).loc["B"]
            r = run_pipeline(d, META, s1 if "method" in s else s0)
            sc = r.scores.loc["B", ["x", "y"]]
            worlds[s] = (sc, ex.effective_weights(r.meta, r.weights, sc))
            comp[s] = r.scores.loc["B", "idx"]
    if any(pd.isna(v) for v in comp.values()):
        return  # B has no value at all in some world: nothing to explain
    df = ex.additive_factor_contributions(worlds, players)
    assert df["contribution"].sum() == pytest.approx(comp[frozenset(players)] - comp[frozenset()], abs=1e-9)
    assert np.allclose(df[["own", "peer", "method"]].sum(axis=1), df["contribution"], atol=1e-9)


def _game(values: dict[frozenset[str], float]):
    return lambda s: np.array(values[s])


@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=8, max_size=8))
@settings(max_examples=30, deadline=None)
def test_shapley_adds_up_and_ignores_the_order_of_players(vals):
    players = ["own", "peer", "method"]
    subsets = [frozenset(c) for k in range(4) for c in itertools.combinations(players, k)]
    v = dict(zip(subsets, vals, strict=True))
    a = ex.shapley(_game(v), players)
    b = ex.shapley(_game(v), list(reversed(players)))
    assert sum(a.values()) == pytest.approx(v[frozenset(players)] - v[frozenset()], abs=1e-9)
    for p in players:
        assert float(a[p]) == pytest.approx(float(b[p]), abs=1e-12)


def test_shapley_symmetric_players_get_equal_shares():
    v = {frozenset(): 0.0, frozenset({"a"}): 1.0, frozenset({"b"}): 1.0, frozenset({"a", "b"}): 4.0}
    s = ex.shapley(_game(v), ["a", "b"])
    assert float(s["a"]) == float(s["b"]) == 2.0


scores = st.lists(st.one_of(st.floats(0, 100), st.just(float("nan"))), min_size=3, max_size=3)
weights = st.lists(st.floats(0.1, 5), min_size=3, max_size=3)


@given(st.lists(st.tuples(scores, weights), min_size=8, max_size=8))
@settings(max_examples=30, deadline=None)
def test_factor_parts_add_up_to_each_contribution(worlds_raw):
    players = ["own", "peer", "method"]
    subsets = [frozenset(c) for k in range(4) for c in itertools.combinations(players, k)]
    codes = ["a", "b", "c"]
    worlds = {s: (pd.Series(sc, index=codes), pd.Series(w, index=codes)) for s, (sc, w) in
              zip(subsets, worlds_raw, strict=True)}
    df = ex.additive_factor_contributions(worlds, players)
    assert np.allclose(df[["own", "peer", "method"]].sum(axis=1), df["contribution"], atol=1e-9)
    end, start = worlds[frozenset(players)], worlds[frozenset()]
    total = (end[0].fillna(0) * end[1]).sum() - (start[0].fillna(0) * start[1]).sum()
    assert df["contribution"].sum() == pytest.approx(total, abs=1e-9)


TREE = pd.DataFrame([
    {"iCode": "a", "Parent": "p", "Type": "Indicator", "Level": 1, "Weight": 1.0},
    {"iCode": "b", "Parent": "p", "Type": "Indicator", "Level": 1, "Weight": 3.0},
    {"iCode": "c", "Parent": "q", "Type": "Indicator", "Level": 1, "Weight": 1.0},
    {"iCode": "d", "Parent": "q", "Type": "Indicator", "Level": 1, "Weight": 1.0},
    {"iCode": "p", "Parent": "r", "Type": "Aggregate", "Level": 2, "Weight": 0.3},
    {"iCode": "q", "Parent": "r", "Type": "Aggregate", "Level": 2, "Weight": 0.7},
    {"iCode": "r", "Parent": None, "Type": "Aggregate", "Level": 3, "Weight": 1.0},
])


@given(st.lists(st.one_of(st.floats(0, 100), st.just(float("nan"))), min_size=4, max_size=4))
@settings(max_examples=40, deadline=None)
def test_effective_weights_reproduce_the_arithmetic_tree(vals):
    x = pd.DataFrame([vals], columns=list("abcd"), index=["z"])
    if x.isna().all(axis=None):
        return
    comp = aggregate_tree(x, TREE)["r"].iloc[0]
    w = ex.effective_weights(TREE, None, x.iloc[0])
    assert (w.reindex(list("abcd")) * x.iloc[0].fillna(0)).sum() == pytest.approx(comp, abs=1e-9)
    assert w.sum() == pytest.approx(1.0)


def test_effective_weights_by_hand():
    w = ex.effective_weights(TREE, None, pd.Series({"a": 1.0, "b": 1.0, "c": np.nan, "d": 1.0}))
    assert w.to_dict() == pytest.approx({"a": 0.075, "b": 0.225, "c": 0.0, "d": 0.7})


def _agg(method: str, zone: str = "z0", tree: pd.DataFrame = TREE, root: str = "r"):
    return lambda f: float(aggregate_tree(f, tree, method=method)[root].loc[zone])


@given(st.lists(st.floats(1, 100), min_size=24, max_size=24))
@settings(max_examples=40, deadline=None)
def test_swaps_are_exact_for_the_arithmetic_mean_and_leave_a_residual_otherwise(vals):
    b = pd.DataFrame(np.reshape(vals[:12], (3, 4)), columns=list("abcd"), index=["z0", "z1", "z2"])
    a = pd.DataFrame(np.reshape(vals[12:], (3, 4)), columns=list("abcd"), index=["z0", "z1", "z2"])
    c, res = ex.swap_contributions(_agg("arithmetic"), _agg("arithmetic"), b, a)
    assert res == pytest.approx(0.0, abs=1e-9)
    assert c.sum() == pytest.approx(_agg("arithmetic")(a) - _agg("arithmetic")(b), abs=1e-9)
    c, res = ex.swap_contributions(_agg("geometric"), _agg("geometric"), b, a)
    assert c.sum() + res == pytest.approx(_agg("geometric")(a) - _agg("geometric")(b), abs=1e-9)


def test_swaps_with_two_indicators_are_the_shapley_values():
    tree = TREE.iloc[[0, 1]].assign(Parent="p").pipe(
        lambda t: pd.concat([t, pd.DataFrame([{"iCode": "p", "Parent": None, "Type": "Aggregate", "Level": 2,
                                               "Weight": 1.0}])], ignore_index=True))
    agg = _agg("geometric", tree=tree, root="p")
    b = pd.DataFrame({"a": [4.0], "b": [9.0]}, index=["z0"])
    a = pd.DataFrame({"a": [16.0], "b": [1.0]}, index=["z0"])
    c, res = ex.swap_contributions(agg, agg, b, a)
    assert res == pytest.approx(0.0, abs=1e-12)
    # two players: the symmetric swaps are their Shapley values, which add up to the change exactly
    assert c.sum() == pytest.approx(agg(a) - agg(b), abs=1e-12)


# --------------------------------------------------------------------------- enterprise terms


def test_formula_terms_and_reasons():
    t = ex.formula_terms("sum(rd_expense) / sum(revenue)")
    assert isinstance(t, ex.Terms) and sorted(t.enterprise.values()) == ["sum(rd_expense)", "sum(revenue)"]
    t = ex.formula_terms('coalesce(fact("new_registered_enterprises"), count(founded_year == year))')
    assert isinstance(t, ex.Terms) and list(t.zone.values()) == ["fact('new_registered_enterprises')"]
    s = ex.formula_terms("share(is_high_tech, where=revenue > 0)")
    assert isinstance(s, ex.Terms) and len(s.enterprise) == 2
    assert "growth" in ex.formula_terms("growth(sum(employees))")
    assert "net_new" in ex.formula_terms("net_new(is_high_tech)")
    assert "zone-level" in ex.formula_terms('fact("gdp") / fact("resident_population")')


def _firms(a0, b0, a1, b1):
    idx = [f"f{i}" for i in range(len(a0))]
    return (pd.DataFrame({"a": a0, "b": b0}, index=idx), pd.DataFrame({"a": a1, "b": b1}, index=idx))


@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(1, 1e5), st.floats(0, 1e4), st.floats(1, 1e5)),
                min_size=1, max_size=30))
@settings(max_examples=30, deadline=None)
def test_firm_contributions_to_a_ratio_of_sums_add_up_and_match_the_closed_form(rows):
    a0, b0, a1, b1 = (list(c) for c in zip(*rows, strict=True))
    f0, f1 = _firms(a0, b0, a1, b1)
    t = ex.formula_terms("sum(rd_expense) / sum(revenue)")
    name = {v: k for k, v in t.enterprise.items()}
    na, nb = name["sum(rd_expense)"], name["sum(revenue)"]
    before = {na: f0["a"].sum(), nb: f0["b"].sum()}
    after = {na: f1["a"].sum(), nb: f1["b"].sum()}
    shares = ex.term_shapley(t, before, after)
    d = (f1 - f0).rename(columns={"a": na, "b": nb})
    c = ex.firm_contributions(shares, d)
    r0, r1 = before[na] / before[nb], after[na] / after[nb]
    assert c.sum() == pytest.approx(r1 - r0, abs=1e-9 * max(1.0, abs(r0)))
    B0, B1 = before[nb], after[nb]
    closed = 0.5 * ((d[na] - r0 * d[nb]) / B1 + (d[na] - r1 * d[nb]) / B0)  # the symmetric 贡献值
    assert np.allclose(c, closed, rtol=1e-9, atol=1e-12)


def test_firm_contributions_to_a_sum_are_the_firms_changes():
    t = ex.formula_terms("sum(tech_service_exports)")
    (n,) = t.enterprise
    f0 = pd.Series({"f1": 10.0, "f2": 5.0, "f3": 0.0})
    f1 = pd.Series({"f1": 12.0, "f2": 1.0, "f3": 7.0})
    shares = ex.term_shapley(t, {n: f0.sum()}, {n: f1.sum()})
    c = ex.firm_contributions(shares, (f1 - f0).to_frame(n))
    assert c.to_dict() == {"f1": 2.0, "f2": -4.0, "f3": 7.0}
    assert c.sum() == f1.sum() - f0.sum()


def test_eval_zone_null_rules():
    t = ex.formula_terms('coalesce(fact("x"), count(is_listed)) / sum(revenue)')
    names = {v: k for k, v in {**t.enterprise, **t.zone}.items()}
    vals = {names["fact('x')"]: None, names["count(is_listed)"]: 3.0, names["sum(revenue)"]: 6.0}
    assert ex.eval_zone(t.tree, vals) == 0.5
    assert ex.eval_zone(t.tree, {**vals, names["sum(revenue)"]: 0.0}) is None


# --------------------------------------------------------------------------- numbers and narrative


def test_formatting_units_and_missing():
    assert ex.fmt_value(0.0534, "比例") == "5.34%"
    assert ex.fmt_change(-0.008, "比例") == "0.80 个百分点"
    assert ex.fmt_change(-0.008, "比例", "en") == "0.80 percentage points"
    assert ex.fmt_value(17.0, "家") == "17 家"
    assert ex.fmt_value(float("nan"), "家") == "—" and ex.fmt_change(None, "家") == "—"
    assert ex.fmt_number(12345.678) == "12,346"


def _indicator(code, contribution, v0, v1, unit="比例"):
    return {"code": code, "ref": "1.3", "name_zh": "研发经费内部支出占营业收入比例", "name_en": "R&D / revenue",
            "unit": unit, "value_before": v0, "value_after": v1, "contribution": contribution,
            "own": contribution / 2, "peer": contribution / 2, "method": 0.0, "median_after": 0.03,
            "gap_after": None if v1 is None else v1 - 0.03, "below_median": v1 is not None and v1 < 0.03,
            "score_after": 50.0}


finite_or_missing = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False, width=32))


@given(st.lists(st.tuples(st.floats(-10, 10), finite_or_missing, finite_or_missing), min_size=1, max_size=5),
       st.integers(1, 200), st.integers(1, 200))
@settings(max_examples=30, deadline=None)
def test_narrative_never_says_nan(rows, r0, r1):
    inds = [_indicator(f"i{k}", c, v0, v1) for k, (c, v0, v1) in enumerate(rows)]
    e = {"zone_id": "GX001", "zone_name": "示例高新区", "year": 2025, "base_year": 2024, "score_before": 50.0,
         "score_after": 50.0 + sum(c for c, _, _ in rows), "rank_before": r0, "rank_after": r1,
         "zones_after": 200, "indicators": inds, "firms": [], "pillars": {"p": 1.0}, "exact": False,
         "aggregation": "geometric", "residual": float("nan")}
    zh, en = ex.narrative(e, {"p": ("甲", "P")})
    assert "nan" not in zh.lower() and "nan" not in en.lower()
    assert f"第{r1}位" in zh


def test_narrative_by_hand():
    e = {"zone_id": "GX012", "zone_name": "示例高新区", "year": 2025, "base_year": 2024, "score_before": 60.0,
         "score_after": 57.9, "rank_before": 12, "rank_after": 19, "zones_after": 169, "exact": True,
         "indicators": [_indicator("rd_intensity", -2.1, 0.05, 0.042)], "firms": [], "pillars": {},
         "own": -1.5, "peer": -0.6, "method": 0.0}
    zh, en = ex.narrative(e)
    assert "排名由第12位降至第19位" in zh
    assert "其中自身数据 −1.5 分、其他园区变化 −0.6 分。" in zh and "方法" not in zh
    assert "1.3 研发经费内部支出占营业收入比例 下降 0.80 个百分点（贡献 −2.1 分" in zh
    assert "the rank fell from 12 to 19" in en


# --------------------------------------------------------------------------- references and reference data


def test_published_benchmark_values_are_reference_data_not_method():
    from gaoxin.evaluation.pipeline import Step

    def steps(values, scale=100.0):
        return [Step("normalise", {"method": "benchmark", "reference": "values", "values": values, "worst": None,
                                   "source": "file (2024)", "scale": scale}), Step("aggregate", {"method": "sum"})]

    a, b = steps({"x": 1.0}), steps({"x": 2.0})
    assert ex.steps_without_reference(a) == ex.steps_without_reference(b)  # no method factor
    assert ex.steps_without_reference(a) != ex.steps_without_reference(steps({"x": 1.0}, scale=1.0))
    mixed = ex.with_reference(steps({"x": 1.0}, scale=1.0), b)  # method of one side, benchmarks of the other
    assert mixed[0][1]["values"] == {"x": 2.0} and mixed[0][1]["scale"] == 1.0


def test_normalise_references_from_the_input_and_the_log():
    from gaoxin.evaluation.pipeline import Step

    x = pd.DataFrame({"up": [1.0, 4.0, 2.0], "down": [3.0, 9.0, 5.0], "skew": [1.0, 2.0, 3.0]})
    d = pd.Series({"up": 1.0, "down": -1.0, "skew": 1.0})
    log = [{"step": "treat", "details": {"treatment": [{"iCode": "skew", "status": "log"}]}},
           {"step": "normalise", "resolved": {}}]
    steps = [Step("treat", {}), Step("normalise", {"method": "minmax"})]
    r = ex.normalise_references(steps, log, {"raw": x, "treat": x}, d)
    assert r.loc["up", ["best", "worst"]].tolist() == [4.0, 1.0]
    assert r.loc["down", ["best", "worst"]].tolist() == [3.0, 9.0]  # a cost indicator's best is its minimum
    assert r.loc["skew"].isna().all()  # log-transformed: its reference is not in the indicator's unit
    z = ex.normalise_references([Step("normalise", {"method": "zscore"})], [], {"raw": x}, d)
    assert z.loc["up", "mean"] == pytest.approx(7 / 3) and z.loc["up", "sd"] == pytest.approx(x["up"].std())
    bench = [{"step": "normalise", "resolved": {"benchmark": {"up": 5.0}, "worst": {"up": 0.5}}}]
    b = ex.normalise_references([Step("normalise", {"method": "benchmark"})], bench, {"raw": x}, d)
    assert b.loc["up", ["best", "worst"]].tolist() == [5.0, 0.5]
