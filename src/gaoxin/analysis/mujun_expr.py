"""亩均效益 as Ibis expressions: indicators, benchmarks, scores, grades, roll-up and green figures.

One expression per firm table (:func:`firm_expr`), built in stages of ``mutate`` because a window (a benchmark
computed from the data, the group mean that stands in for a missing emission figure, the rank) cannot read
another window in the same SQL select. It runs on the backend the query compiler is bound to — DuckDB over
the store, Spark over the same tables (:func:`compute`) — so it scales with the indicators and no row passes
through Python. Roll-up, zone green figures and the benchmark record are small expressions over the firm
result (:func:`rollup_expr`, :func:`zone_green_expr`, :func:`benchmarks_expr`). Rules: docs/mujun.md.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from gaoxin.analysis.green import INTENSITIES, firm_green
from gaoxin.analysis.mujun import INDICATORS, INPUT_COLUMNS, MISSING_TAKES_GROUP_MEAN, MujunRules, Term
from gaoxin.indicators.tables import Schemas, backend_schemas, bind, unbound_tables, visible

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    import pyarrow as pa

NULL = ibis.null("float64")
NO_TEXT = ibis.null("string")
# the firms a computed benchmark is taken over (benchmark_from = "<scope>_<statistic>")
SCOPE_KEYS = {"population": ("year", "zone_id", "population"), "zone": ("year", "zone_id"),
              "province": ("year", "province_code"), "all": ("year",)}
GROUP = ("year", "zone_id", "population")  # the grading population and the missing-emission group
KEPT_INPUTS = ("land_area_mu", "taxes", "value_added", "energy_tce", "electricity_mwh", "emissions_t")


def f64(x: float) -> ir.Value:
    return ibis.literal(float(x), "float64")


def ratio(num: ir.Value, den: ir.Value, scale: float = 1.0) -> ir.Value:
    """``scale · num / den``; NULL when either is missing or the denominator is not > 0 (never infinite)."""
    return ibis.ifelse(den > 0, (num if scale == 1.0 else f64(scale) * num) / den, NULL)


def formulas_used(rules: MujunRules) -> dict[str, list[Term]]:
    """Formula name → terms, for the formulas some population is assigned to (file order)."""
    assigned = set(rules.assign.model_dump().values())
    return {name: f.terms for name, f in rules.formulas.items() if name in assigned}


def scopes(rules: MujunRules) -> set[str]:
    """The scopes of the computed benchmarks the rules use."""
    return {t.benchmark_from.rsplit("_", 1)[0] for ts in formulas_used(rules).values() for t in ts
            if t.benchmark_from}


def prepare(ent: ir.Table, rules: MujunRules, zones: ir.Table | None = None) -> ir.Table:
    """Keys, the inputs as float64, ``excluded`` (industry code under an excluded prefix; unknown code: not
    excluded) and, when a benchmark is per province, ``province_code`` from the zone table."""
    code = ent.industry_code
    excluded = ibis.literal(False)
    for p in rules.populations.excluded_industries:
        excluded = excluded | ibis.coalesce(code.startswith(p), False)
    cols: dict[str, Any] = {c: ent[c].cast("float64") for c in INPUT_COLUMNS}
    keep = ["province_code"] if "province_code" in ent.columns else []
    t = ent.select("credit_code", "zone_id", *keep, year=ent.year.cast("int64"), **cols, excluded=excluded)
    if "province" in scopes(rules) and not keep:
        if zones is None:
            raise ValueError("a province benchmark needs the zone table / 按省基准值需要园区表")
        z = zones.select(z_zone=zones.zone_id, province_code=zones.province_code)
        t = t.left_join(z, t.zone_id == z.z_zone).drop("z_zone")
    return t


def _population(t: ir.Table, rules: MujunRules) -> ir.Value:
    """No own land (blank or 0) → tenant; revenue ≥ the 规上 line → above_scale; land ≥ 3 亩 → below_scale_3mu."""
    p = rules.populations
    land = t.land_area_mu
    return ibis.cases((~ibis.coalesce(land > 0, False), "tenant"),
                      (t.revenue >= f64(p.above_scale_revenue_kyuan), "above_scale"),
                      (land >= f64(p.small_land_mu), "below_scale_3mu"), else_="below_scale_small")


def _reason(t: ir.Table, rules: MujunRules) -> ir.Value:
    """Scored-but-not-graded reason ('' = gradable); an excluded class outranks a start-up, which outranks land."""
    p = rules.populations
    land = t.land_area_mu
    return ibis.cases((t.excluded, "excluded_class"), (t.founded_year > t.year - p.startup_years, "startup"),
                      ((land > 0) & (land < f64(p.land_floor_mu)), "land_below_floor"), else_="")


def _attach(t: ir.Table, keys: tuple[str, ...], aggs: dict[str, ir.Value]) -> ir.Table:
    """``t`` with per-group aggregates of ``t`` joined back on ``keys``: a group-by and a hash join, where a
    window would sort every (wide) row — the same numbers, several times faster on DuckDB."""
    g = t.group_by(list(keys)).aggregate(**aggs).rename({f"k|{k}": k for k in keys})
    j = t.left_join(g, [t[k] == g[f"k|{k}"] for k in keys])
    return j.drop(*[f"k|{k}" for k in keys])


def _ind(t: ir.Table, code: str) -> ir.Value:
    n, d, scale, *_ = INDICATORS[code]
    return ratio(t[n], t[d], scale)


def _bench_aggregate(t: ir.Table, term: Term) -> ir.Value:
    """A computed benchmark as an aggregate over its scope: Σ numerator / Σ denominator (firms with both, the
    denominator > 0) or the median of the firms' own ratios (firms with one)."""
    if term.benchmark_from.endswith("_median"):  # type: ignore[union-attr]
        return _ind(t, term.indicator).median()
    n, d, scale, *_ = INDICATORS[term.indicator]
    ok = t[n].notnull() & (t[d] > 0)
    return ratio(ibis.ifelse(ok, t[n], NULL).sum(), ibis.ifelse(ok, t[d], NULL).sum(), scale)


def _with_group_values(t: ir.Table, forms: dict[str, list[Term]]) -> ir.Table:
    """Columns ``b|formula|indicator`` for the computed benchmarks (one group-by per scope, joined back) and
    ``m|formula|indicator``, the group mean term score that stands in for a missing emission term. The mean
    shares the population scope's group-by when its own benchmark is a number (the shipped case)."""
    by_scope: dict[str, dict[str, tuple[str, Term]]] = {}
    late: dict[str, tuple[str, Term]] = {}
    for f, ts in forms.items():
        for x in ts:
            if x.benchmark_from:
                by_scope.setdefault(x.benchmark_from.rsplit("_", 1)[0], {})[f"b|{f}|{x.indicator}"] = (f, x)
            if x.indicator in MISSING_TAKES_GROUP_MEAN:
                where = by_scope.setdefault("population", {}) if x.benchmark_from is None else late
                where[f"m|{f}|{x.indicator}"] = (f, x)

    def agg(t: ir.Table, col: str, f: str, x: Term) -> ir.Value:
        return _raw_term(t, f, x).mean() if col.startswith("m|") else _bench_aggregate(t, x)

    for scope, cols in by_scope.items():
        t = _attach(t, SCOPE_KEYS[scope], {c: agg(t, c, f, x) for c, (f, x) in cols.items()})
    if late:  # the mean of a term whose benchmark is itself computed: after that benchmark is joined
        t = _attach(t, GROUP, {c: agg(t, c, f, x) for c, (f, x) in late.items()})
    return t


def _bench(t: ir.Table, f: str, x: Term) -> ir.Value:
    return f64(x.benchmark) if x.benchmark is not None else t[f"b|{f}|{x.indicator}"]


def _raw_term(t: ir.Table, f: str, x: Term) -> ir.Value:
    """weight × indicator / benchmark (at most cap × weight) for the firms of formula ``f``, else NULL."""
    s = f64(x.weight) * _ind(t, x.indicator) / _bench(t, f, x)
    if x.cap is not None:
        s = ibis.ifelse(s > f64(x.cap * x.weight), f64(x.cap * x.weight), s)
    return ibis.ifelse(t.formula == f, s, NULL)


def _term(t: ir.Table, f: str, x: Term) -> ir.Value:
    """The term score; a missing emission term takes its group's mean term score (column ``m|f|indicator``)."""
    raw = _raw_term(t, f, x)
    fill = f"m|{f}|{x.indicator}"
    return ibis.coalesce(raw, t[fill]) if fill in t.columns else raw


def _missing(t: ir.Table, forms: dict[str, list[Term]], term: Callable[[str, Term], ir.Value]) -> ir.Value:
    """The firm's formula's terms without a score, ``;``-separated ('' = none)."""
    gaps = {f: ibis.literal(";").join([ibis.ifelse(term(f, x).isnull(), x.indicator, NO_TEXT) for x in ts])
            for f, ts in forms.items()}
    return _by_formula(t, gaps, ibis.literal(""))


def _total(t: ir.Table, forms: dict[str, list[Term]], term: Callable[[str, Term], ir.Value]) -> ir.Value:
    """Σ term scores of the firm's formula, in file order (missing terms as 0: see :func:`_missing`)."""
    totals = {}
    for f, ts in forms.items():
        tot = ibis.coalesce(term(f, ts[0]), 0.0)
        for x in ts[1:]:
            tot = tot + ibis.coalesce(term(f, x), 0.0)
        totals[f] = tot
    return _by_formula(t, totals, NULL)


def _score(t: ir.Table, forms: dict[str, list[Term]]) -> ir.Value:
    """The score, NULL when a term is missing (terms computed inline: for the narrow rank table)."""
    def term(f: str, x: Term) -> ir.Value:
        return _term(t, f, x)

    return ibis.ifelse(_missing(t, forms, term) == "", _total(t, forms, term), NULL)


def _with_grades(t: ir.Table, forms: dict[str, list[Term]]) -> ir.Table:
    """Columns ``rank`` (1 = best, ties share the better rank) and ``n_graded`` of the gradable firms with a
    score, within year × zone × population, and ``ord``, the firm's place by (zone, credit code): windows over a
    narrow table (key, group, score) joined back on (credit code, year), so no window sorts the wide rows."""
    n = t.select("credit_code", *GROUP, ok=(t.reason == "") & _score(t, forms).notnull(), score=_score(t, forms))
    graded = ibis.window(group_by=[*GROUP, "ok"], order_by=ibis.desc("score"))
    ranked = n.select(r_code=n.credit_code, r_year=n.year,
                      rank=ibis.ifelse(n.ok, (ibis.rank().over(graded) + 1).cast("int64"), ibis.null("int64")),
                      n_graded=ibis.ifelse(n.ok, n.count().over(ibis.window(group_by=[*GROUP, "ok"])).cast("int64"),
                                           ibis.null("int64")),
                      ord=ibis.row_number().over(ibis.window(order_by=["zone_id", "credit_code", "year"])))
    return t.left_join(ranked, [t.credit_code == ranked.r_code, t.year == ranked.r_year]).drop("r_code", "r_year")


def _by_formula(t: ir.Table, values: dict[str, ir.Value], default: ir.Value) -> ir.Value:
    """The value of the firm's own formula (formulas are exclusive per firm)."""
    if not values:
        return default
    return ibis.cases(*[(t.formula == f, v) for f, v in values.items()], else_=default)


def firm_expr(t: ir.Table, rules: MujunRules, tco2_per_tce: float) -> ir.Table:
    """Per firm: indicators, population, formula, term scores, computed benchmarks, score, missing inputs, rank,
    percentile, grade, the not-graded reason, green figures and the inputs the roll-up needs.

    ``t`` is :func:`prepare`'s table, one row per firm and year. Score = Σ weight × indicator / benchmark; a
    missing emission term takes the mean term score of its group (year × zone × population); any other
    missing term makes the score NULL. Rank 1 = best within the group among gradable firms with a score;
    percentile = 100·(rank − 1)/n, the share ranked ahead; grade i while the percentile is below cut i.
    The intermediate tables stay narrow (keys, inputs, population): every derived value is computed in the
    final projection, so joins and the rank sort move few columns.
    """
    forms = formulas_used(rules)
    codes = [c for c in INDICATORS if any(x.indicator == c for ts in forms.values() for x in ts)]
    assign = rules.assign.model_dump()
    t = t.mutate(population=_population(t, rules), reason=_reason(t, rules))
    t = t.mutate(formula=ibis.cases(*[(t.population == p, f) for p, f in assign.items()], else_=NO_TEXT))
    t = _with_group_values(t, forms)
    t = _with_grades(t, forms)
    t = t.mutate(**{f"s|{f}|{x.indicator}": _term(t, f, x) for f, ts in forms.items() for x in ts})

    def term(f: str, x: Term) -> ir.Value:
        return t[f"s|{f}|{x.indicator}"]

    t = t.mutate(missing=_missing(t, forms, term))
    t = t.mutate(score=ibis.ifelse(t.missing == "", _total(t, forms, term), NULL))
    ok = t["rank"].notnull()
    percentile = f64(100.0) * (t["rank"] - 1) / t.n_graded
    g = rules.grading
    grade = ibis.cases(*[(percentile < f64(c), lab) for c, lab in zip(g.cuts_pct, g.labels, strict=False)],
                       else_=g.labels[-1])
    not_graded = ibis.ifelse(t.reason != "", t.reason, ibis.ifelse(t.score.isnull(), "unknown_score", ""))

    def of(c: str, value: Callable[[str, Term], ir.Value]) -> ir.Value:
        return _by_formula(t, {f: value(f, x) for f, ts in forms.items() for x in ts if x.indicator == c}, NULL)

    province = ["province_code"] if "province_code" in t.columns else []
    # bench_<indicator> where some formula computes that benchmark (a published one is in the benchmark record)
    computed = {x.indicator for ts in forms.values() for x in ts if x.benchmark_from}
    return t.select(
        "credit_code", "zone_id", "year", *province, **{c: _ind(t, c) for c in INDICATORS},
        population=t.population, formula=t.formula,
        **{f"score_{c}": of(c, term) for c in codes},
        **{f"bench_{c}": of(c, lambda f, x: _bench(t, f, x)) for c in codes if c in computed},
        score=t.score, missing=t.missing, rank=t["rank"], n_graded=t.n_graded,
        percentile=percentile, grade=ibis.ifelse(ok, grade, NO_TEXT), not_graded=not_graded,
        **firm_green(t, tco2_per_tce), **{c: t[c] for c in KEPT_INPUTS}, ord=t.ord)


def firm_query(ent: ir.Table, zones: ir.Table, rules: MujunRules, year: int, tco2_per_tce: float,
               zone: str | None = None) -> ir.Table:
    """:func:`firm_expr` over the enterprise rows of ``year`` (``ent`` = the snapshot's visible rows), with the
    ``ord`` column :func:`in_order` sorts by.

    A zone filter comes first when every computed benchmark lies within a zone (grades always do), else after
    the benchmarks, so a province or all-firm benchmark is the same with or without ``zone``.
    """
    e = ent.filter(ent.year == int(year))
    early = zone is not None and not scopes(rules) & {"province", "all"}
    if early:
        e = e.filter(e.zone_id == zone)
    t = firm_expr(prepare(e, rules, zones), rules, tco2_per_tce)
    if zone is not None and not early:
        t = t.filter(t.zone_id == zone)
    return t


def rollup_expr(r: ir.Table) -> ir.Table:
    """Per zone, year and grade (ungraded as "—"): firms, land (亩), share of the zone's land, tax per 亩 (万元)."""
    land = ibis.ifelse(r.land_area_mu > 0, r.land_area_mu, NULL)
    x = r.mutate(grade=ibis.coalesce(r.grade, "—"), land=land, tax=ibis.ifelse(land.notnull(), r.taxes, NULL))
    g = x.group_by(["zone_id", "year", "grade"]).aggregate(firms=x.count(), land_mu=ibis.coalesce(x.land.sum(), 0.0),
                                                           tax=ibis.coalesce(x.tax.sum(), 0.0))
    zone_land = g.land_mu.sum().over(ibis.window(group_by=["zone_id", "year"]))
    out = g.select("zone_id", "year", "grade", "firms", "land_mu",
                   land_share=ibis.ifelse(zone_land > 0, g.land_mu / zone_land, NULL),
                   tax_per_mu=ratio(g.tax, g.land_mu, 0.1))
    return out.order_by(["zone_id", "year", "grade"])


def zone_green_expr(r: ir.Table, tco2_per_tce: float) -> ir.Table:
    """Per zone and year: aggregate intensities (Σ input / Σ value added over firms with both, the yearbook way),
    how many firms reported each, total energy (every firm's) and the carbon estimate."""
    aggs: dict[str, Any] = {}
    for num, *_ in INTENSITIES.values():
        both = r[num].notnull() & (r.value_added > 0)
        aggs[f"{num}__n"] = ibis.ifelse(both, r[num], NULL).sum()
        aggs[f"{num}__va"] = ibis.ifelse(both, r.value_added, NULL).sum()
        aggs[f"{num}_firms"] = r.count(where=both)
    g = r.group_by(["zone_id", "year"]).aggregate(**aggs, energy_tce=r.energy_tce.sum())
    cols: dict[str, Any] = {}
    for code, (num, *_) in INTENSITIES.items():
        cols[code] = ratio(g[f"{num}__n"], g[f"{num}__va"] / 10.0)
        cols[f"{num}_firms"] = ibis.coalesce(g[f"{num}_firms"], 0)
    out = g.select("zone_id", "year", **cols, energy_tce=g.energy_tce, carbon_t=g.energy_tce * f64(tco2_per_tce))
    return out.order_by(["zone_id", "year"])


BENCH_RECORD = ("formula", "indicator", "benchmark_from", "year", "zone_id", "province_code", "population", "value")


def fixed_benchmarks(rules: MujunRules, year: int) -> list[dict[str, Any]]:
    """The published benchmarks of the assigned formulas, as benchmark records (no scope: they apply to all)."""
    return [{"formula": f, "indicator": x.indicator, "benchmark_from": "fixed", "year": int(year), "zone_id": None,
             "province_code": None, "population": None, "value": float(x.benchmark)}
            for f, ts in formulas_used(rules).items() for x in ts if x.benchmark is not None]


def benchmarks_expr(r: ir.Table, rules: MujunRules) -> ir.Table | None:
    """The computed benchmark values used: per formula and term one row per scope group that has firms of the
    formula (``None`` when every benchmark is a published number; see :func:`fixed_benchmarks`)."""
    parts = []
    for f, ts in formulas_used(rules).items():
        for x in ts:
            if x.benchmark_from is None:
                continue
            keys = SCOPE_KEYS[x.benchmark_from.rsplit("_", 1)[0]]
            rows = r.filter((r.formula == f) & r[f"bench_{x.indicator}"].notnull())
            cols = {k: (rows[k].cast("string") if k in keys else NO_TEXT)
                    for k in ("zone_id", "province_code", "population")}
            parts.append(rows.select(formula=ibis.literal(f), indicator=ibis.literal(x.indicator),
                                     benchmark_from=ibis.literal(x.source), year=rows.year, **cols,
                                     value=rows[f"bench_{x.indicator}"]).distinct())
    if not parts:
        return None
    out = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return out.order_by(["formula", "indicator", "year", "zone_id", "province_code", "population"])


def benchmark_records(r: pa.Table, rules: MujunRules, year: int) -> list[dict[str, Any]]:
    """Every benchmark value a result used: the published ones, then the computed ones per scope group."""
    computed = [] if benchmarks_expr(ibis.table(_arrow_schema(r), name=INPUT_TABLE), rules) is None else \
        on_table(r, lambda t: benchmarks_expr(t, rules)).to_pylist()  # type: ignore[arg-type,return-value]
    return fixed_benchmarks(rules, year) + computed


def _duckdb_run(expr: ir.Table, con: Any) -> pa.Table:
    return con.sql(str(ibis.to_sql(expr, dialect="duckdb"))).to_arrow_table()


@lru_cache(maxsize=64)
def _store_sql(rules_json: str, schemas: Schemas, year: int, snapshot: int, tco2_per_tce: float,
               zone: str | None) -> str:
    """The compiled firm query (compiling the expression costs more than running it on a small store)."""
    rules = MujunRules.model_validate_json(rules_json)
    t = unbound_tables(schemas)
    snap = ibis.literal(int(snapshot), "int64")
    expr = firm_query(visible(t.enterprise_year, snap), visible(t.zone, snap), rules, year, tco2_per_tce, zone)
    return str(ibis.to_sql(expr, dialect="duckdb"))


def compute(con: Any, rules: MujunRules, year: int, snapshot: int, tco2_per_tce: float,
            zone: str | None = None) -> pa.Table:
    """Run :func:`firm_query` for ``snapshot``: on the store's DuckDB connection (one query, its SQL cached
    per rules, schemas, year, snapshot and zone), or on another Ibis backend holding the store tables
    (Spark), which executes the bound expression itself."""
    import duckdb

    if isinstance(con, duckdb.DuckDBPyConnection):
        from gaoxin.indicators.backend import duckdb_schemas

        sql = _store_sql(rules.model_dump_json(), duckdb_schemas(con), int(year), int(snapshot),
                         float(tco2_per_tce), zone)
        return in_order(con.sql(sql).to_arrow_table())
    t = unbound_tables(backend_schemas(con))
    snap = ibis.literal(int(snapshot), "int64")
    expr = firm_query(visible(t.enterprise_year, snap), visible(t.zone, snap), rules, year, tco2_per_tce, zone)
    return in_order(con.to_pyarrow(bind(expr, t, con)))


def in_order(tbl: pa.Table) -> pa.Table:
    """Rows by (zone, credit code) from the ``ord`` column the query computed on its narrow key table.

    Sorting the wide result in the query moved every column (≈ 40 % of the query's time on 1M firms); the
    permutation of a dense integer is one ``take``. Any backend's result comes out the same order.
    """
    import pyarrow.compute as pc

    return tbl.take(pc.sort_indices(tbl.column("ord"))).drop_columns(["ord"])


INPUT_TABLE = "mujun_input"


@lru_cache(maxsize=16)
def _frame_sql(rules_json: str, schema: ibis.Schema, tco2_per_tce: float) -> str:
    rules = MujunRules.model_validate_json(rules_json)
    t = ibis.table(schema, name=INPUT_TABLE)
    return str(ibis.to_sql(firm_expr(prepare(t, rules), rules, tco2_per_tce), dialect="duckdb"))


def evaluate_frame(firms: pd.DataFrame | pa.Table, rules: MujunRules, tco2_per_tce: float) -> pa.Table:
    """:func:`firm_expr` over firms given as a table (``credit_code, zone_id, year, industry_code``, the
    :data:`~gaoxin.analysis.mujun.INPUT_COLUMNS`, optionally ``province_code``) on in-process DuckDB: hand-made
    examples, or a zone's own list checked before it is loaded. NaN is missing."""
    tbl = _arrow(firms)
    schema = _arrow_schema(tbl)
    return in_order(_run_registered(tbl.cast(schema.to_pyarrow()), _frame_sql(rules.model_dump_json(), schema,
                                                                               float(tco2_per_tce))))


def on_table(data: pa.Table | pd.DataFrame, build: Callable[[ir.Table], ir.Table]) -> pa.Table:
    """``build(table)`` over an in-memory table (a result) on in-process DuckDB; a frame's NaN is missing."""
    tbl = _arrow(data)
    schema = _arrow_schema(tbl)
    return _run_registered(tbl.cast(schema.to_pyarrow()),
                           str(ibis.to_sql(build(ibis.table(schema, name=INPUT_TABLE)), dialect="duckdb")))


def _arrow(data: pa.Table | pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    return data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)


def _run_registered(tbl: pa.Table, sql: str) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        con.register(INPUT_TABLE, tbl)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _arrow_schema(tbl: pa.Table) -> ibis.Schema:
    import pyarrow as pa

    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in tbl.schema]
    return ibis.Schema.from_pyarrow(pa.schema(fields))  # an all-missing column of hand-made firms: text
