"""Disclosure control (issue #10 §3): hand-built tables, the rules' boundaries, an attacker who solves the
published totals by linear programming, linked tables, ratios, the role matrix, hypothesis properties."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gaoxin.analysis.disclosure import (
    TOTAL,
    DisclosureError,
    DisclosureRuleError,
    Table,
    load_rules,
    protect,
    ratio,
    share,
)

RULES = load_rules()


def contributions(cells: dict[tuple[str, str], list[float]], dims: tuple[str, str] = ("zone", "industry"),
                  measure: str = "revenue") -> pd.DataFrame:
    """One row per contributor: ``{("A", "x"): [10, 10, 10], ...}`` → credit_code, zone, industry, revenue."""
    rows, i = [], 0
    for key, values in cells.items():
        for v in values:
            rows.append({"credit_code": f"F{i:04d}", dims[0]: key[0], dims[1]: key[1], measure: float(v)})
            i += 1
    return pd.DataFrame(rows)


def one_cell(values: list[float], **rules) -> bool:
    """Is a single cell of these contributions suppressed (for the public)?"""
    r = RULES.model_copy(update={k: getattr(RULES, k).model_copy(update=v) for k, v in rules.items()})
    c = pd.DataFrame({"credit_code": [f"F{i}" for i in range(len(values))], "zone": "A", "revenue": values})
    out = protect(c, Table("t", "zone", measures=("revenue",), margins=False), rules=r)
    return out["t"].loc["A", "revenue"] is None


# --------------------------------------------------------------------------------------------- the rules

def test_threshold_rule_exactly_at_n():
    assert one_cell([10, 10])  # 2 < 3
    assert not one_cell([10, 10, 10])  # 3 contributors: published
    assert one_cell([10, 10, 10], threshold={"min_contributors": 4})
    assert not one_cell([10, 10, 10, 10], threshold={"min_contributors": 4})


def test_dominance_rule_exactly_at_p():
    assert not one_cell([50, 35, 15])  # the 2 largest hold exactly 85 %: not more than p
    assert one_cell([50, 35.5, 14.5])  # 85.5 %
    assert one_cell([60, 25, 10, 5], dominance={"k": 1, "p": 50})  # the largest alone holds 60 %
    assert not one_cell([50, 25, 15, 10], dominance={"k": 1, "p": 50})  # exactly 50 %


def test_dominance_counts_absolute_values_and_empty_cells_are_not_sensitive():
    assert one_cell([-90, 5, 5])  # a large loss dominates the cell as much as a large profit
    assert not one_cell([-30, 40, 30])  # |−30|+40 = 70 of 100
    c = contributions({("A", "x"): [10, 10, 10], ("B", "y"): [10, 10, 10]})
    out = protect(c, Table("t", "zone", "industry", ("revenue",)), rules=RULES)
    assert out["t"].loc["A", "y"] == 0.0 and out["t"].loc["B", "x"] == 0.0  # nobody there: nothing to protect
    assert not out.any_suppressed and out.footnote() is None


# ------------------------------------------------------------------------------- a hand-built table

HAND = {("A", "x"): [10, 10, 10], ("A", "y"): [5, 6, 7, 8], ("B", "x"): [100, 1], ("B", "y"): [3, 3, 3],
        ("C", "x"): [4, 4, 4], ("C", "y"): [9, 9, 9]}


def test_hand_table_primary_and_secondary_pattern():
    """B×x has 2 firms (threshold); B's total 110 is 93.6 % its 2 largest (dominance). Column x then has one
    withheld cell: the smallest other, C×x = 12 (not A×x = 30), goes too; the total column likewise takes C's
    total 39 (not A's 56); row C then has two and every line is safe."""
    out = protect(contributions(HAND), Table("t", "zone", "industry", ("revenue",)), rules=RULES)
    t = out["t"]
    assert list(t.index) == ["A", "B", "C", TOTAL] and list(t.columns) == ["x", "y", TOTAL]
    withheld = {(r, c) for r in t.index for c in t.columns if t.loc[r, c] is None}
    assert withheld == {("B", "x"), ("B", TOTAL), ("C", "x"), ("C", TOTAL)}
    assert t.loc["A", "x"] == 30 and t.loc[TOTAL, "x"] == 143 and t.loc[TOTAL, TOTAL] == 205
    flags = {(f.row, f.col): (f.status, f.reason) for f in out.flags.itertuples()}
    assert flags == {("B", "x"): ("primary", "threshold"), ("B", TOTAL): ("primary", "dominance"),
                     ("C", "x"): ("secondary", "complement"), ("C", TOTAL): ("secondary", "complement")}
    assert out.footnote() == "—：为保护统计调查对象信息而不予公布 / suppressed to protect respondents' confidentiality"
    assert out.counts["primary"] == 2 and out.counts["secondary"] == 2


def true_values(c: pd.DataFrame, rows: str, cols: str, measure: str = "revenue") -> dict[tuple[str, str], float]:
    """Every cell of rows × cols with margins, summed independently of the code under test."""
    out = {(str(r), str(k)): float(v) for (r, k), v in c.groupby([rows, cols])[measure].sum().items()}
    out |= {(str(r), TOTAL): float(v) for r, v in c.groupby(rows)[measure].sum().items()}
    out |= {(TOTAL, str(k)): float(v) for k, v in c.groupby(cols)[measure].sum().items()}
    return out | {(TOTAL, TOTAL): float(c[measure].sum())}


# ------------------------------------------------------------------------------------------ the attacker

def attack(tables: dict[str, pd.DataFrame], key, known: dict | None = None) -> dict:
    """Solve the published tables for their withheld cells: for each, the interval [min, max] of values
    consistent with every published cell, every row and column total and non-negativity (linear programs).

    ``key(table, row, col)`` names a cell across tables (linked tables share cells); ``known`` are cells the
    attacker knows already (its own firms).
    """
    known = known or {}
    var: dict = {}
    fixed: dict = {}
    for name, t in tables.items():
        for r in t.index:
            for c in t.columns:
                k = key(name, r, c)
                v = t.loc[r, c]
                if v is None and k not in known:
                    var.setdefault(k, len(var))
                else:
                    fixed[k] = known.get(k, v)
    if not var:
        return {}
    a_eq, b_eq = [], []
    for name, t in tables.items():
        inner_r = [r for r in t.index if r != TOTAL]
        inner_c = [c for c in t.columns if c != TOTAL]
        lines = []
        if TOTAL in t.columns:
            lines += [[(name, r, c, 1.0) for c in inner_c] + [(name, r, TOTAL, -1.0)] for r in t.index]
        if TOTAL in t.index:
            lines += [[(name, r, c, 1.0) for r in inner_r] + [(name, TOTAL, c, -1.0)] for c in t.columns]
        for line in lines:
            row, rhs = np.zeros(len(var)), 0.0
            for tn, r, c, sign in line:
                k = key(tn, r, c)
                if k in var:
                    row[var[k]] += sign
                else:
                    rhs -= sign * fixed[k]
            if row.any():
                a_eq.append(row)
                b_eq.append(rhs)
    out = {}
    for k, j in var.items():
        obj = np.zeros(len(var))
        obj[j] = 1.0
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0, lo.message  # the true values are a solution: the system is feasible
        out[k] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


def cellkey(table: str, r: str, c: str) -> tuple[str, str]:
    return (r, c)


def test_the_attacker_recovers_a_naively_suppressed_cell():
    """The attacker works: withholding only the primary cell lets it be solved exactly from its row."""
    t = pd.DataFrame({"x": [30.0, None, 12.0, 143.0], "y": [26.0, 9.0, 27.0, 62.0], TOTAL: [56.0, 110.0, 39.0, 205.0]},
                     index=["A", "B", "C", TOTAL], dtype=object)
    t = t.astype(object).where(t.notna(), None)
    assert attack({"t": t}, cellkey) == {("B", "x"): (101.0, 101.0)}


def test_recovery_from_the_totals_fails_for_the_public_and_for_every_zone():
    c = contributions(HAND)
    out = protect(c, Table("t", "zone", "industry", ("revenue",)), rules=RULES, coalitions=["zone"])
    truth = true_values(c, "zone", "industry")
    public = attack(out.tables, cellkey)
    assert public and all(hi - lo > 1 for lo, hi in public.values())
    for (r, k), (lo, hi) in public.items():
        assert lo - 1e-6 <= truth[(r, k)] <= hi + 1e-6
    for zone in ("A", "B", "C"):  # zone staff know their own firms' cells and try again
        own = {k: v for k, v in truth.items() if k[0] == zone}
        res = attack(out.tables, cellkey, known=own)
        assert all(hi - lo > 1 for lo, hi in res.values()), (zone, res)


def test_a_bridge_cell_is_caught_by_the_exact_check():
    """Two protected 2×2 rectangles joined through one withheld cell: every line has two withheld cells, yet
    the joining cell follows from the totals. The exact check adds a complement; the attacker then fails."""
    big = [40, 40, 40]
    cells = {(r, k): list(big) for r in "ABCD" for k in "wxyz"}
    for k in [("A", "w"), ("B", "x"), ("C", "y"), ("D", "z")]:
        cells[k] = [100, 1]  # primary everywhere on the diagonal
    c = contributions(cells)
    out = protect(c, Table("t", "zone", "industry", ("revenue",)), rules=RULES)
    res = attack(out.tables, cellkey)
    assert all(hi - lo > 1 for lo, hi in res.values()), res
    assert out.counts["unchecked_cells"] == 0


# -------------------------------------------------------------------------------------- linked tables

def test_linked_tables_share_cells_and_hold_together():
    """zone × industry and zone × size publish the same zone totals: B's total is withheld in both, and the
    attacker with both tables still cannot solve any withheld cell."""
    rows = []
    spec = {("A", "x", "s"): 3, ("A", "y", "l"): 3, ("B", "x", "l"): 1, ("B", "y", "s"): 3, ("C", "x", "s"): 3,
            ("C", "y", "l"): 4, ("B", "x", "s"): 1}
    i = 0
    for (z, ind, size), n in spec.items():
        for _ in range(n):
            rows.append({"credit_code": f"F{i}", "zone": z, "industry": ind, "size": size,
                         "revenue": 500.0 if (z, ind) == ("B", "x") else 10.0 + i})
            i += 1
    c = pd.DataFrame(rows)
    tables = [Table("by_industry", "zone", "industry", ("revenue",)), Table("by_size", "zone", "size", ("revenue",))]
    out = protect(c, tables, rules=RULES)
    a, b = out["by_industry"], out["by_size"]
    for z in [*"ABC", TOTAL]:
        assert (a.loc[z, TOTAL] is None) == (b.loc[z, TOTAL] is None)  # one cell, one decision
    assert a.loc["B", "x"] is None

    def key(table: str, r: str, col: str) -> tuple:
        dim = "industry" if table == "by_industry" else "size"
        return (r, None if col == TOTAL else (dim, col))

    res = attack(out.tables, key)
    assert res and all(hi - lo > 1e-6 for lo, hi in res.values()), res


def test_one_dimensional_table_with_several_measures():
    c = contributions({("A", "x"): [10, 10, 10], ("B", "x"): [7, 7], ("C", "x"): [5, 5, 5]})
    c["employees"] = np.where(c["zone"] == "C", 1.0, 2.0)  # A 6, B 4, C 3: C is the smallest complement
    out = protect(c, Table("t", "zone", measures=("revenue", "employees", "count")), rules=RULES)
    t = out["t"]
    assert list(t.columns) == ["revenue", "employees", "count"]
    assert t.loc["B", "revenue"] is None and t.loc["B", "count"] is None  # 2 firms
    assert t.loc["C", "revenue"] is None  # the smallest complement of the total line
    assert t.loc[TOTAL, "revenue"] == 59 and t.loc[TOTAL, "count"] == 8 and t.loc["A", "employees"] == 6
    assert t.loc["C", "employees"] is None and t.loc[TOTAL, "employees"] == 13


# --------------------------------------------------------------------------------- shares and ratios

def test_ratios_and_shares_go_with_their_numerator_or_denominator():
    c = contributions(HAND)
    c["rd"] = c["revenue"] * 0.1
    out = protect(c, [Table("rev", "zone", "industry", ("revenue",)), Table("rd", "zone", "industry", ("rd",))],
                  rules=RULES)
    r = ratio(out["rd"], out["rev"])
    assert r.loc["A", "x"] == pytest.approx(0.1) and r.loc["B", "x"] is None
    s = share(out["rev"], of="column")
    assert s.loc["A", "x"] == pytest.approx(30 / 143) and s.loc["B", "x"] is None and s.loc[TOTAL, "x"] == 1
    s = share(out["rev"], of="row")
    assert s.loc["B", "y"] is None  # its row total is withheld: 9 / — is withheld too
    assert s.loc["A", "y"] == pytest.approx(26 / 56)
    with pytest.raises(DisclosureError, match="of must be"):
        share(out["rev"], of="diagonal")


# ------------------------------------------------------------------------------------------- audiences

def test_audience_sees_cells_of_its_own_firms_and_nothing_it_could_use():
    c = contributions(HAND)
    t = Table("t", "zone", "industry", ("revenue",))
    everyone = protect(c, t, rules=RULES, visible=None, coalitions=["zone"])
    assert not everyone.any_suppressed and everyone["t"].loc["B", "x"] == 101
    zone_b = protect(c, t, rules=RULES, visible=c["zone"].eq("B").to_numpy(), coalitions=["zone"])
    assert zone_b["t"].loc["B", "x"] == 101 and zone_b["t"].loc["B", TOTAL] == 110  # its own firms
    public = protect(c, t, rules=RULES, coalitions=["zone"])
    for r, k in itertools.product(public["t"].index, public["t"].columns):
        if r != "B":
            assert (zone_b["t"].loc[r, k] is None) == (public["t"].loc[r, k] is None)
    truth = true_values(c, "zone", "industry")
    res = attack(zone_b.tables, cellkey)
    assert res and all(hi - lo > 1 for lo, hi in res.values())
    ids = set(c.loc[c["zone"] == "A", "credit_code"])
    zone_a = protect(c, t, rules=RULES, visible=ids, coalitions=["zone"])  # ids work as well as a mask
    assert zone_a["t"].loc["A", "x"] == truth[("A", "x")]


# ------------------------------------------------------------------------------------- malformed input

def test_malformed_input_names_the_column_or_row():
    c = contributions(HAND)
    with pytest.raises(DisclosureError, match=r"lack column\(s\) \['sector'\]"):
        protect(c, Table("t", "zone", "sector", ("revenue",)))
    bad = c.copy()
    bad.loc[3, "industry"] = None
    with pytest.raises(DisclosureError, match=r"column industry has 1 empty value\(s\) \(rows 3\)"):
        protect(bad, Table("t", "zone", "industry", ("revenue",)))
    with pytest.raises(DisclosureError, match="score or rank, never suppressed"):
        protect(c.assign(score=1.0), Table("t", "zone", measures=("score",)))
    with pytest.raises(DisclosureError, match="one measure"):
        protect(c, Table("t", "zone", "industry", ("revenue", "count")))
    with pytest.raises(DisclosureError, match="not numeric"):
        protect(c.assign(revenue="many"), Table("t", "zone", measures=("revenue",)))


def test_rule_file_is_strict(tmp_path):
    assert (RULES.threshold.min_contributors, RULES.dominance.k, RULES.dominance.p) == (3, 2, 85.0)
    assert "统计法" in RULES.rule.source and "Hundepool" in RULES.rule.source
    f = tmp_path / "r.toml"
    f.write_text('[rule]\nid = "x"\nversion = "1"\nsource = "s"\n[dominance]\nk = 2\npercent = 80\n', "utf-8")
    with pytest.raises(DisclosureRuleError, match="percent"):
        load_rules(f)
    f.write_text('[rule]\nid = "x"\nversion = "1"\nsource = "s"\n[threshold]\nmin_contributors = 0\n', "utf-8")
    with pytest.raises(DisclosureRuleError, match="min_contributors"):
        load_rules(f)


def test_config_check_knows_the_rule_file():
    from gaoxin.analysis.disclosure import RULES_DIR
    from gaoxin.services.configs import check_config

    res = check_config(RULES_DIR.joinpath("default.toml"))
    assert res.kind == "disclosure"


# -------------------------------------------------------------------------------------------- properties

@st.composite
def tables(draw):
    zones = draw(st.integers(2, 4))
    inds = draw(st.integers(2, 4))
    cells = {}
    for z in range(zones):
        for k in range(inds):
            n = draw(st.integers(0, 4))
            cells[(f"Z{z}", f"I{k}")] = draw(st.lists(st.integers(1, 100), min_size=n, max_size=n))
    return contributions(cells)


def lines_with_one_withheld(t: pd.DataFrame) -> list:
    bad = []
    for r in t.index:
        if sum(v is None for v in t.loc[r]) == 1:
            bad.append(("row", r))
    for k in t.columns:
        if sum(v is None for v in t[k]) == 1:
            bad.append(("col", k))
    return bad


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=tables(), seen=st.integers(0, 3))
def test_property_published_cells_are_true_and_no_line_has_one_withheld(c, seen):
    if c.empty:
        return
    zone = f"Z{seen}"
    truth = true_values(c, "zone", "industry")
    t = Table("t", "zone", "industry", ("revenue",))
    for visible in (frozenset(), c["zone"].eq(zone).to_numpy()):
        out = protect(c, t, rules=RULES, visible=visible, coalitions=["zone"])["t"]
        for r, k in itertools.product(out.index, out.columns):
            v = out.loc[r, k]
            if v is not None:
                assert v == pytest.approx(truth.get((r, k), 0.0))
        assert lines_with_one_withheld(out) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=tables())
def test_property_the_attacker_never_pins_a_withheld_cell(c):
    if c.empty:
        return
    out = protect(c, Table("t", "zone", "industry", ("revenue",)), rules=RULES, coalitions=["zone"])
    truth = true_values(c, "zone", "industry")
    for zone in [None, *sorted(set(c["zone"]))]:
        own = {} if zone is None else {k: v for k, v in truth.items() if k[0] == zone}
        res = attack(out.tables, cellkey, known=own)
        others = c if zone is None else c[c["zone"] != zone]  # what the attacker does not know already
        theirs = set(true_values(others, "zone", "industry")) if len(others) else set()
        assert all(hi - lo > 1e-6 for k, (lo, hi) in res.items() if k in theirs), (zone, res)


# ------------------------------------------------------------------- the role matrix over a demo store

def demo_contributions(store) -> pd.DataFrame:
    """Every firm of the demo store's last year: zone, industry division, revenue (read here, in the test)."""
    con = store.cursor()
    sid = con.execute("SELECT max(id) FROM snapshot").fetchall()[0][0]
    year = con.execute("SELECT max(year) FROM enterprise_years_at(?)", [sid]).fetchall()[0][0]
    return con.execute("SELECT credit_code, zone_id, coalesce(substr(industry_code, 1, 1), '?') AS industry, "
                       "revenue FROM enterprise_years_at(?) WHERE year = ?", [sid, year]).df()


def test_role_matrix_over_the_demo_store(demo_db):
    from gaoxin.services import Store
    from gaoxin.services.access import Access, zone_provinces
    from gaoxin.services.disclosure import protect_for

    with Store(demo_db, "read") as store:
        c = demo_contributions(store)
        provinces = zone_provinces(store)
        zone = sorted(set(c["zone_id"]))[0]
        prov = provinces[zone]
        t = Table("t", "zone_id", "industry", ("revenue",))
        view = {role: protect_for(store, a, c, t)["t"] for role, a in {
            "admin": Access("a", "admin"), "national": Access("n", "national"),
            "province": Access("p", "province", provinces=frozenset({prov})),
            "zone": Access("z", "zone", zones=frozenset({zone})),
            "bank": Access("b", "bank", zones=frozenset({zone})), "viewer": Access("v", "viewer")}.items()}
    truth = true_values(c, "zone_id", "industry")
    public = view["viewer"]
    withheld = {(r, k) for r in public.index for k in public.columns if public.loc[r, k] is None}
    assert withheld, "the demo store's table should need some suppression"
    for role in ("admin", "national"):
        assert not view[role].isna().any().any()
        assert all(view[role].loc[r, k] == pytest.approx(truth.get((r, k), 0.0)) for r, k in withheld)
    assert view["bank"].equals(public)  # banks see aggregates as the public does
    own_zones = {z for z, p in provinces.items() if p == prov}
    for role, mine in (("zone", {zone}), ("province", own_zones)):
        v = view[role]
        for r, k in itertools.product(v.index, v.columns):
            if r in mine:  # cells made only of the user's own firms: shown as they are
                assert v.loc[r, k] == pytest.approx(truth.get((r, k), 0.0)), (role, r, k)
            elif r != TOTAL:  # other zones' cells: as the public sees them
                assert (v.loc[r, k] is None) == (public.loc[r, k] is None), (role, r, k)
            if public.loc[r, k] is not None:  # never less than the public, and what is shown is true
                assert v.loc[r, k] is not None
            if v.loc[r, k] is not None:
                assert v.loc[r, k] == pytest.approx(truth.get((r, k), 0.0))
        assert lines_with_one_withheld(v) == [], role
    known = {k: v for k, v in truth.items() if k[0] == zone}
    res = attack({"t": view["zone"]}, cellkey, known=known)
    assert res and all(hi - lo > 1e-6 for lo, hi in res.values())


# -------------------------------------------------------------------------- users of several zones

PAIR = {("A", "x"): [50], ("B", "x"): [4, 4, 4], ("C", "x"): [6, 6, 6], ("D", "x"): [20, 20, 20]}


def test_a_user_of_two_zones_is_a_coalition_of_its_own():
    """Zone A (one firm) is withheld, B (smallest) as its complement; A's staff would then solve B, so C goes
    too and D (60) is shown. Against a user of both A and B that is not enough: they know A and B, and C
    follows from the total. With their zone set as a coalition D is withheld as well, and they fail."""
    c = contributions(PAIR)
    c["pair"] = np.where(c["zone"].isin(["A", "B"]), "AB", None)
    t = Table("t", "zone", measures=("revenue",))
    truth = {(z, "revenue"): float(v) for z, v in c.groupby("zone")["revenue"].sum().items()}
    pair_knows = {k: v for k, v in truth.items() if k[0] in ("A", "B")}

    zones_only = protect(c, t, rules=RULES, coalitions=["zone"])
    assert [z for z in "ABCD" if zones_only["t"].loc[z, "revenue"] is None] == ["A", "B", "C"]
    solved = attack(zones_only.tables, cellkey, known=pair_knows)
    assert solved[("C", "revenue")] == (pytest.approx(18.0), pytest.approx(18.0))  # the threat is real

    with_pair = protect(c, t, rules=RULES, coalitions=["zone", "pair"])
    assert all(with_pair["t"].loc[z, "revenue"] is None for z in "ABCD")
    assert with_pair["t"].loc[TOTAL, "revenue"] == 140
    for known in (pair_knows, *({k: v} for k, v in truth.items())):  # the pair, and every zone alone
        res = attack(with_pair.tables, cellkey, known=known)
        assert all(hi - lo > 1 for lo, hi in res.values()), (known, res)


def test_accounts_of_several_zones_become_coalitions(demo_db):
    from conftest import add_users
    from gaoxin.services import Store
    from gaoxin.services.access import zone_provinces
    from gaoxin.services.disclosure import account_coalitions

    with Store(demo_db, "read") as store:
        provinces = zone_provinces(store)
    zones = sorted(provinces)
    by_province: dict[str, list[str]] = {}
    for z in zones:
        by_province.setdefault(provinces[z], []).append(z)
    whole = max(by_province.values(), key=len)  # a province's zones: covered by the province coalition
    across = [zones[0], next(z for z in zones if provinces[z] != provinces[zones[0]])]
    add_users(demo_db, {"two": {"role": "zone", "zones": across}, "one": {"role": "zone", "zones": zones[:1]},
                        "prov": {"role": "zone", "zones": whole}, "bank2": {"role": "bank", "zones": across[::-1]},
                        "gone": {"role": "zone", "zones": zones[:3]}})
    from gaoxin.services import accounts

    with Store(demo_db, "write") as store:
        accounts.change_user(store, "gone", disabled=True)
    with Store(demo_db, "read") as store:
        assert account_coalitions(store) == [frozenset(across)]  # the bank's set is the same set
