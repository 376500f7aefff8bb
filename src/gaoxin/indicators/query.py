"""One Ibis expression for a whole framework, a unit of analysis and a year range.

Built over the store's tables (:mod:`~gaoxin.indicators.tables`) with the snapshot
as a typed Ibis parameter, so the same expression compiles for DuckDB and Spark
and a compiled plan can be cached independently of the snapshot.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from gaoxin.indicators.formula import Formula, FormulaError
from gaoxin.indicators.lower import Plan, add_row_lags, lag_column
from gaoxin.indicators.tables import StoreTables, visible
from gaoxin.indicators.units import INDUSTRY_NODE, Unit

STORE_KEY = ("credit_code", "year")  # the key of a visible enterprise_year row (migrations/001)


def industry_node(ent: ir.Table, unit: Unit) -> ir.Table:
    """Add the unit's industry node column: the GB/T 4754 code prefix (NULL code → NULL node).

    The one place a chain-node mapping table would be left-joined instead.
    """
    if unit.industry_digits is None:
        return ent
    return ent.mutate(**{INDUSTRY_NODE: ent.industry_code.substr(0, unit.industry_digits)})


def _collect(formulas: dict[str, Formula], unit: Unit) -> Plan:
    """Pass 1: the distinct base aggregates, facts and zone columns, at every lag used."""
    plan = Plan(guard_new=unit.zone_rows)

    def record(name: str, k: int) -> ir.Value:
        plan.refs.add((name, k))
        return ibis.literal(0.0)

    for code, f in formulas.items():
        if (f.facts or f.zone_columns) and not unit.has_zone:
            raise FormulaError(f"{code}: fact()/zone() need a unit with zone_id, not {unit.name}")
        plan.zone_expr(f.tree, 0, record, ibis.literal(0))
    return plan


def _base(plan: Plan, unit: Unit, t: StoreTables, snapshot: ir.Value, lo: int, y1: int) -> ir.Table:
    """Base columns per unit row over years [lo, y1]: aggregates, pivoted facts, zone columns."""
    ent = visible(t.enterprise_year, snapshot)
    e = industry_node(ent.filter((ent.year >= lo) & (ent.year <= y1)), unit)
    lags = plan.row_lags()
    if lags:  # prev()/new(): the enterprise's own earlier rows, joined on the columns the aggregates read only;
        # rows of the first row_depth years only serve as that history (no base row is built for them)
        need = {"credit_code", "year", *unit.group_by, *plan.row_columns()}
        h = e.select(*[c for c in e.columns if c in need])
        e = add_row_lags(h.filter(h.year >= lo + plan.row_depth), lags, history=h)
    keys = list(unit.group_by)
    agg_cols = [n for n, _ in plan.aggregates.values()]
    fact_cols = list(plan.facts.values())
    if unit.keys == STORE_KEY:
        # (credit code, year) is the store key: every group is one row, so the aggregates are row expressions
        # and no GROUP BY is run (at 10M rows the hash aggregate was the largest part of the query)
        g = e.select(*keys, **{name: a.to_row(e) for name, a in plan.aggregates.values()})
    else:
        metrics = {name: a.to_ibis(e) for name, a in plan.aggregates.values()}
        g = e.group_by(keys).aggregate(**metrics) if metrics else e.select(*keys).distinct()

    pivot = None
    if plan.facts:
        fv = visible(t.zone_fact, snapshot)
        f = fv.filter((fv.year >= lo) & (fv.year <= y1) & fv.indicator.isin(list(plan.facts)))
        pivot = f.group_by(["zone_id", "year"]).aggregate(
            **{col: f.value.max(where=f.indicator == code) for code, col in plan.facts.items()}
        )
    if pivot is None:
        base = g
    elif unit.zone_rows:
        # union + group-by = full outer join on the zone-year key (a zone-year with facts only appears)
        parts = [g.mutate(**{c: ibis.null("float64") for c in fact_cols}),
                 pivot.mutate(**{c: ibis.null("float64") for c in agg_cols})]  # fmt: skip
        # both sides as nullable float64 (store NOT NULL columns make ibis types differ in nullability)
        # keys nullable on both sides too (a join for enterprise history makes the aggregate side's keys nullable)
        u = ibis.union(*[p.select(**{k: p[k].cast(p[k].type().copy(nullable=True)) for k in keys},
                                  **{c: p[c].cast("float64") for c in [*agg_cols, *fact_cols]}) for p in parts])
        base = u.group_by(keys).aggregate(**{c: u[c].max() for c in [*agg_cols, *fact_cols]})
    else:
        fp = pivot.rename(fz_zone="zone_id", fz_year="year")
        j = g.left_join(fp, (g.zone_id == fp.fz_zone) & (g.year == fp.fz_year))
        base = j.select(*[g[c] for c in g.columns], *[fp[c] for c in fact_cols]).view()
    if plan.zone_columns:
        zv = visible(t.zone, snapshot)
        zsel = zv.select(zone_key=zv.zone_id, **{col: zv[c] for c, col in plan.zone_columns.items()})
        j = base.left_join(zsel, base.zone_id == zsel.zone_key)
        base = j.select(*[base[c] for c in base.columns], *[zsel[c] for c in plan.zone_columns.values()]).view()
    return base


def build_query(
    formulas: dict[str, Formula], years: tuple[int, int], unit: Unit, tables: StoreTables, snapshot: ir.Value
) -> tuple[ir.Table, Plan]:
    """Every formula for the unit's rows in ``years``: columns ``unit.columns`` then one per code.

    Data of ``plan.max_lag`` earlier years is read for lags.  Lags are windows over
    the unit's years with a RANGE frame of exactly k years back, so a missing year
    gives NULL rather than the row before it.
    """
    y0, y1 = years
    plan = _collect(formulas, unit)
    # zone lags and enterprise history add up: a lag-k aggregate reading r years of history needs y0 - k - r
    base = _base(plan, unit, tables, snapshot, y0 - plan.max_lag - plan.row_depth, y1)
    zone_cols = set(plan.zone_columns.values())
    wanted = {(name, k) for name, k in plan.refs if k > 0 and name not in zone_cols}
    if unit.keys == STORE_KEY and wanted:
        # an enterprise's own earlier row: joins on the store key for the output years only, not a RANGE window
        # sorted over every year read (the window was the largest part of the query at 10M rows)
        wide = add_row_lags(base.filter(base.year >= y0), wanted, history=base)
        wide = wide.rename(**{f"{name}__l{k}": lag_column(name, k) for name, k in wanted})
    else:
        lag_cols = {}
        for name, k in sorted(wanted):
            w = ibis.window(group_by=list(unit.partition), order_by="year", range=(-k, -k))
            lag_cols[f"{name}__l{k}"] = base[name].first().over(w)
        wide = base.mutate(**lag_cols) if lag_cols else base
        wide = wide.filter(wide.year >= y0)

    def ref(name: str, k: int) -> ir.Value:
        return wide[name] if k == 0 or name in zone_cols else wide[f"{name}__l{k}"]

    out = {code: plan.zone_expr(f.tree, 0, ref, wide.year).cast("float64") for code, f in formulas.items()}
    return wide.select(*unit.columns, **out).order_by(list(unit.columns)), plan
