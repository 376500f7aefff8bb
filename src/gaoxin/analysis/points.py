"""Innovation points (创新积分制): rules as data, the scoring as one Ibis expression over enterprise × year.

The rule's indicators and items are formulas of the formula language, compiled by the query compiler at the
enterprise-year unit; :func:`points_expr` puts the scoring on top of that expression (band, scores against the
references, weighted contributions, bonus and negative items, ranks within zone × year × band by window
functions, top bands), so the whole computation is one query run by the backend the compiler is bound to
(DuckDB, Spark) — no frame is pulled before the result. Only the back-test works in pandas, on the small
per-firm result. Rule file: ``rules/points/guideline-2024.toml`` (docs/innovation-points.md, decisions 0023, 0026).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from gaoxin.config import StrictModel, load_toml

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

BUILTIN = "guideline-2024"
KEYS = ("credit_code", "zone_id", "year")
BAND_LABELS = {"top5": "前5%", "top5_10": "5–10%", "top10_20": "10–20%", "rest": "其他"}


class Band(StrictModel):
    """A peer group by revenue (千元): ``revenue_from`` ≤ revenue < ``revenue_below``; group weights sum to 1."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    revenue_from: float = Field(ge=0)
    revenue_below: float | None = None
    weights: dict[str, float]


class Group(StrictModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str


class PointsIndicator(StrictModel):
    """An indicator: formula (enterprise-year unit), reference value (score 1 at or above), weight in its group."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    group: str
    name_zh: str
    name_en: str
    unit: str = ""
    formula: str
    reference: float = Field(gt=0)
    weight: float = Field(gt=0, le=1)


class Item(StrictModel):
    """A bonus or negative item: ``points`` when the formula's value is > 0."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    formula: str
    points: float = Field(gt=0)
    source: str = ""


class Cutoffs(StrictModel):
    """Top bands by rank percentile within the peer group: rank ≤ ceil(share × n)."""

    top5: float = Field(default=0.05, gt=0, lt=1)
    top10: float = Field(default=0.10, gt=0, lt=1)
    top20: float = Field(default=0.20, gt=0, lt=1)


class RuleMeta(StrictModel):
    id: str
    name_zh: str
    name_en: str
    version: str
    source: str = Field(min_length=1)
    structure_verified: bool = False
    indicators_verified: bool = False
    notes: str = ""


class PointsRules(StrictModel):
    """A whole points scheme (one file): metadata, bands, groups, indicators, bonus and negative items."""

    rule: RuleMeta
    band: list[Band] = Field(min_length=1)
    group: list[Group] = Field(min_length=1)
    indicator: list[PointsIndicator] = Field(min_length=1)
    bonus: list[Item] = Field(default_factory=list)
    negative: list[Item] = Field(default_factory=list)
    cutoffs: Cutoffs = Field(default_factory=Cutoffs)

    @model_validator(mode="after")
    def _consistent(self) -> PointsRules:
        groups = [g.code for g in self.group]
        codes = [i.code for i in self.indicator] + [f"b_{b.code}" for b in self.bonus] + \
            [f"n_{n.code}" for n in self.negative]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator / bonus / negative codes must be unique")
        for i in self.indicator:
            if i.group not in groups:
                raise ValueError(f"indicator {i.code}: group {i.group!r} is not one of {groups}")
        for g in groups:
            s = sum(i.weight for i in self.indicator if i.group == g)
            if abs(s - 1) > 1e-6:
                raise ValueError(f"weights of the indicators of group {g} sum to {s:.4f}, not 1")
        bands = sorted(self.band, key=lambda b: b.revenue_from)
        for lo, hi in itertools.pairwise(bands):
            if lo.revenue_below != hi.revenue_from:
                raise ValueError(f"band {lo.code} must end where {hi.code} starts ({hi.revenue_from})")
        if bands[-1].revenue_below is not None:
            raise ValueError(f"the last band ({bands[-1].code}) must be open-ended (no revenue_below)")
        for b in self.band:
            if set(b.weights) != set(groups):
                raise ValueError(f"band {b.code}: weights must name exactly the groups {groups}")
            if abs(sum(b.weights.values()) - 1) > 1e-6:
                raise ValueError(f"band {b.code}: group weights sum to {sum(b.weights.values()):.4f}, not 1")
        c = self.cutoffs
        if not c.top5 < c.top10 < c.top20:
            raise ValueError("cutoffs must rise: top5 < top10 < top20")
        return self


def builtin_path(name: str = BUILTIN) -> Path:
    return Path(str(resources.files("gaoxin.analysis").joinpath("rules", "points", f"{name}.toml")))


def load_rules(path: str | os.PathLike | None = None) -> tuple[PointsRules, str]:
    """The rules of ``path`` (default: the shipped guideline-structure file) and the file's SHA-256 (for storage)."""
    p = Path(path) if path is not None else builtin_path()
    rules = load_toml(p, PointsRules)
    return rules, hashlib.sha256(p.read_bytes()).hexdigest()


def framework_data(rules: PointsRules) -> dict[str, Any]:
    """The rule's formulas as an in-memory framework (for the query compiler at the enterprise-year unit)."""
    pillars = [{"code": f"g_{g.code}", "name_zh": g.name_zh, "name_en": g.name_en} for g in rules.group]
    pillars.append({"code": "g_items", "name_zh": "加分与负面", "name_en": "Bonus and negative items"})
    inds = [{"code": i.code, "parent": f"g_{i.group}", "name_zh": i.name_zh, "name_en": i.name_en,
             "formula": i.formula, "source": rules.rule.source} for i in rules.indicator]
    for prefix, items in (("b_", rules.bonus), ("n_", rules.negative)):
        inds += [{"code": prefix + it.code, "parent": "g_items", "name_zh": it.name_zh, "name_en": it.name_en,
                  "formula": it.formula, "source": it.source or rules.rule.source} for it in items]
    return {"framework": {"id": "points-" + rules.rule.id.lower(), "name_zh": rules.rule.name_zh,
                          "name_en": rules.rule.name_en, "version": rules.rule.version, "source": rules.rule.source},
            "pillar": pillars, "indicator": inds}


def band_measure(rules: PointsRules) -> str:
    """The indicator code that places a firm in its revenue band: ``revenue`` when the rule has it, else the
    rule's first indicator (a local scheme with one band needs no revenue)."""
    codes = [i.code for i in rules.indicator]
    return "revenue" if "revenue" in codes else codes[0]


def band_coefficients(rules: PointsRules) -> dict[str, dict[str, float]]:
    """Points per unit score: band → indicator → 100 × w_group(band) × w_indicator (Python floats, in this order)."""
    return {b.code: {i.code: 100.0 * b.weights[i.group] * i.weight for i in rules.indicator} for b in rules.band}


def ordered_bands(rules: PointsRules) -> list[Band]:
    return sorted(rules.band, key=lambda b: b.revenue_from)


def band_cutoff(share: float, n: ir.Value) -> ir.Value:
    """⌈share × n⌉ with the product rounded to 9 decimals first, so 7 % of 100 is 7 (the double is 7.000…01)."""
    return (n.cast("float64") * share).round(9).ceil()


# ---- the expression (Ibis) -------------------------------------------------------------------------------

def _clean(v: ir.Value) -> ir.Value:
    """A formula value as float64 with NaN made NULL (SQL orders NaN above every number: it would score 1)."""
    import ibis

    f = v.cast("float64")
    return ibis.ifelse(f.isnan(), ibis.null("float64"), f)


def band_expr(revenue: ir.Value, rules: PointsRules) -> ir.Value:
    """Band code by revenue: lower bound inclusive, upper exclusive; missing or below the first band → NULL."""
    import ibis

    bands = ordered_bands(rules)
    cases = [(revenue.isnull() | (revenue < bands[0].revenue_from), ibis.null("string"))]
    cases += [(revenue < hi.revenue_from, lo.code) for lo, hi in itertools.pairwise(bands)]
    return ibis.cases(*cases, else_=bands[-1].code)


def score_expr(value: ir.Value, reference: float) -> ir.Value:
    """Indicator score clip(value / reference, 0, 1); a missing value scores 0.

    GREATEST/LEAST skip NULLs in SQL (LEAST(NULL, 1) is 1), hence the explicit test; NaN is NULL already.
    """
    import ibis

    x = value / float(reference)
    return ibis.ifelse(x.isnull(), 0.0, ibis.greatest(ibis.least(x, 1.0), 0.0))


def _by_band(band: ir.Value, per_band: dict[str, float]) -> ir.Value:
    import ibis

    return ibis.cases(*[(band == b, float(v)) for b, v in per_band.items()], else_=ibis.null("float64"))


def _item_total(t: ir.Table, items: list[Item], prefix: str) -> ir.Value:
    import ibis

    total: ir.Value = ibis.literal(0.0)
    for it in items:  # an item counts when its formula's value is > 0; missing = no
        total = total + ibis.ifelse(ibis.coalesce(t[prefix + it.code], 0.0) > 0, float(it.points), 0.0)
    return total


def points_expr(values: ir.Table, rules: PointsRules) -> ir.Table:
    """Points of every enterprise-year of ``values`` (credit_code, zone_id, year and the rule's codes).

    Columns: credit_code, zone_id, year, band, points, bonus, negative, rank (1 = most points within zone ×
    year × band; ties share the best rank), peer_size, top_band, ``pts_<code>`` per indicator, then the
    indicator values.  Rounding: contributions and points to 6 decimals by the backend's ROUND.
    """
    import ibis

    codes = [i.code for i in rules.indicator]
    items = [f"b_{b.code}" for b in rules.bonus] + [f"n_{n.code}" for n in rules.negative]
    # one projection per stage, each reading the previous one's columns: inlining the band's CASE into every
    # contribution (and those into the points and the window) made 130 kB of SQL for 11 indicators
    v = values.select("credit_code", "zone_id", "year", **{c: _clean(values[c]) for c in [*codes, *items]})
    b = v.mutate(band=band_expr(v[band_measure(rules)], rules))
    coef = band_coefficients(rules)
    c = b.mutate(bonus=_item_total(b, rules.bonus, "b_"), negative=_item_total(b, rules.negative, "n_"),
                 **{f"c_{i.code}": _by_band(b.band, {k: coef[k][i.code] for k in coef})
                    * score_expr(b[i.code], i.reference) for i in rules.indicator})
    total = c[f"c_{codes[0]}"]
    for code in codes[1:]:
        total = total + c[f"c_{code}"]
    s = c.mutate(points=ibis.ifelse(c.band.isnull(), ibis.null("float64"), (total + c.bonus - c.negative).round(6)),
                 **{f"pts_{code}": c[f"c_{code}"].round(6) for code in codes})
    peer = [s.zone_id, s.year, s.band]
    w = ibis.window(group_by=peer, order_by=ibis.desc(s.points))
    ranked = s.mutate(rank=ibis.ifelse(s.band.isnull(), ibis.null("int64"), (ibis.rank().over(w) + 1).cast("int64")),
                      peer_size=ibis.ifelse(s.band.isnull(), ibis.null("int64"),
                                            s.credit_code.count().over(ibis.window(group_by=peer)).cast("int64")))
    cut = rules.cutoffs
    r, n = ranked["rank"], ranked.peer_size
    top = ibis.cases((ranked.band.isnull(), "unknown"), (r <= band_cutoff(cut.top5, n), "top5"),
                     (r <= band_cutoff(cut.top10, n), "top5_10"), (r <= band_cutoff(cut.top20, n), "top10_20"),
                     else_="rest")
    out = ranked.mutate(top_band=top)
    cols = ["credit_code", "zone_id", "year", "band", "points", "bonus", "negative", "rank", "peer_size",
            "top_band", *[f"pts_{c}" for c in codes], *codes]
    return out.select(*cols)


def ordered(t: ir.Table, rules: PointsRules) -> ir.Table:
    """``t`` sorted as the lists are published: zone, year, band (small to large), rank, credit code."""
    import ibis

    rank_of = {b.code: k for k, b in enumerate(ordered_bands(rules))}
    t = t.mutate(_b=ibis.cases(*[(t.band == b, k) for b, k in rank_of.items()], else_=ibis.null("int64")))
    return t.order_by([ibis.asc("zone_id"), ibis.asc("year"), ibis.asc("_b", nulls_first=False),
                       ibis.asc("rank", nulls_first=False), ibis.asc("credit_code")]).drop("_b")


def score_frame(values: pd.DataFrame, rules: PointsRules) -> pd.DataFrame:
    """:func:`points_expr` run by an in-memory DuckDB over a frame of indicator values (tests, small inputs)."""
    import duckdb
    import ibis

    con = ibis.duckdb.from_connection(duckdb.connect())
    t = ibis.memtable(values.astype({c: "float64" for c in values.columns if c not in KEYS}))
    return _typed(con.execute(ordered(points_expr(t, rules), rules)))


def cagr(base: pd.Series, later: pd.Series, years: int) -> pd.Series:
    """(later / base)^(1/years) − 1; missing unless both are positive."""
    import pandas as pd

    b = pd.to_numeric(base, errors="coerce").astype("float64")
    v = pd.to_numeric(later, errors="coerce").astype("float64")
    ok = (b > 0) & (v > 0)
    return ((v / b) ** (1.0 / years) - 1).where(ok)


def backtest(points: pd.DataFrame, revenue: pd.DataFrame, year: int, horizons: tuple[int, ...] = (1, 2, 3)
             ) -> pd.DataFrame:
    """Points of ``year`` against revenue growth (CAGR) to year + h: Spearman ρ, median growth top band vs rest.

    ``points``: the :func:`score` frame of ``year``; ``revenue``: credit_code, year, revenue for later years.
    Firms without revenue in year + h are left out of that horizon (n says how many remain).
    """
    import pandas as pd
    from scipy.stats import spearmanr

    base = points[["credit_code", "points", "top_band"]].dropna(subset=["points"])
    rev0 = revenue[revenue["year"] == year].set_index("credit_code")["revenue"]
    rows = []
    for h in horizons:
        later = revenue[revenue["year"] == year + h].set_index("credit_code")["revenue"]
        g = cagr(base["credit_code"].map(rev0), base["credit_code"].map(later), h)
        d = base.assign(growth=g.to_numpy()).dropna(subset=["growth"])
        top = d["top_band"] != "rest"
        rho = float(spearmanr(d["points"], d["growth"]).statistic) if len(d) >= 3 and \
            d["points"].nunique() > 1 and d["growth"].nunique() > 1 else None
        rows.append({"horizon": h, "to_year": year + h, "n": len(d), "spearman": rho,
                     "top_n": int(top.sum()), "median_growth_top": float(d.loc[top, "growth"].median())
                     if top.any() else None, "median_growth_rest": float(d.loc[~top, "growth"].median())
                     if (~top).any() else None})
    return pd.DataFrame(rows)


# ---- running the expression -----------------------------------------------------------------------------

def rule_framework(rules: PointsRules) -> Any:
    """The rule's formulas parsed as a framework (validated like any framework)."""
    from gaoxin.indicators.framework import parse_framework

    return parse_framework(framework_data(rules), f"<points rule {rules.rule.id}>")


def result_expr(rules: PointsRules, years: tuple[int, int], schemas: Any, zone: str | None = None
                ) -> tuple[ir.Table, Any]:
    """The service's table: the compiled indicator values → :func:`points_expr`, names and Chinese labels.

    Returns the expression (over the compiler's unbound store tables, snapshot a parameter) and the
    compiled framework it extends (its ``tables`` and ``snapshot`` bind and parameterise it).
    """
    import ibis

    from gaoxin.indicators.compute import compile_framework
    from gaoxin.indicators.tables import visible

    cf = compile_framework(rule_framework(rules), years, "enterprise-year", schemas=schemas)
    vals = cf.expr if zone is None else cf.expr.filter(cf.expr.zone_id == zone)
    p = points_expr(vals, rules)
    ent = visible(cf.tables.enterprise_year, cf.snapshot)
    ent = ent.filter((ent.year >= years[0]) & (ent.year <= years[1]))
    names = ent.select(n_code=ent.credit_code, n_year=ent.year, name=ent.name)
    j = p.left_join(names, (p.credit_code == names.n_code) & (p.year == names.n_year))
    labels = {b.code: b.name_zh for b in rules.band}
    band_zh = ibis.cases(*[(j.band == b, zh) for b, zh in labels.items()], else_=ibis.null("string"))
    top_zh = ibis.cases(*[(j.top_band == b, zh) for b, zh in {**BAND_LABELS, "unknown": "未知"}.items()],
                        else_=ibis.null("string"))
    lead = ["credit_code", "name", "zone_id", "year", "band", "band_zh", "points", "rank", "peer_size",
            "top_band", "top_band_zh", "bonus", "negative"]
    rest = [c for c in p.columns if c not in lead]
    out = j.select(*[j[c] for c in p.columns], name=j.name, band_zh=band_zh, top_band_zh=top_zh)
    return ordered(out, rules).select(*lead, *rest), cf


_SQL: OrderedDict[tuple, str] = OrderedDict()  # (rules hash, years, zone, schemas, snapshot) → DuckDB SQL
_SQL_LOCK = threading.Lock()


def _duckdb_sql(rules: PointsRules, key: tuple, years: tuple[int, int], schemas: Any, zone: str | None,
                snapshot: int) -> str:
    """The compiled SQL, cached per rule file, years, zone, schemas and snapshot (compiling costs ~0.2 s)."""
    import ibis

    with _SQL_LOCK:
        if key in _SQL:
            _SQL.move_to_end(key)
            return _SQL[key]
    expr, cf = result_expr(rules, years, schemas, zone)
    sql = str(ibis.to_sql(expr, dialect="duckdb", params={cf.snapshot: int(snapshot)}, pretty=False))
    with _SQL_LOCK:
        _SQL[key] = sql
        while len(_SQL) > 64:
            _SQL.popitem(last=False)
    return sql


def compute_points(con: Any, rules: PointsRules, years: tuple[int, int], snapshot: int, zone: str | None = None,
                   *, rules_hash: str | None = None) -> pd.DataFrame:
    """Run :func:`result_expr` for ``snapshot``: on the store's DuckDB connection (the compiled SQL, cached
    when ``rules_hash`` names the rule file) or on any Ibis backend holding the store tables (e.g. Spark)."""
    import duckdb

    from gaoxin.indicators.tables import backend_schemas, bind

    if isinstance(con, duckdb.DuckDBPyConnection):
        from gaoxin.indicators.backend import duckdb_schemas

        schemas = duckdb_schemas(con)
        key = (rules_hash or rules.model_dump_json(), tuple(years), zone, schemas, int(snapshot))
        # execute, not sql(): duckdb 2's Python relation layer tokenises the text of sql() (≈ 0.1 s for this query)
        df = con.execute(_duckdb_sql(rules, key, years, schemas, zone, snapshot)).df()
    else:
        expr, cf = result_expr(rules, years, backend_schemas(con), zone)
        df = con.execute(bind(expr, cf.tables, con), params={cf.snapshot: int(snapshot)})
    return _typed(df)


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Backend-neutral dtypes: int64 year, nullable Int64 rank and peer size (missing shown as "—")."""
    return df.astype({"year": "int64", "rank": "Int64", "peer_size": "Int64"})
