"""Tier evidence, near misses and the funnel as queries over the tier expression (decision 0034).

At 1.09M firms the wide tier result (≈ 230 columns) and its long evidence (≈ 80M rows) do not fit a pandas
frame (the pandas path passed 14 GB).  So each output is an Ibis expression on top of :func:`tiers.tier_expr`
and only its (small or narrow) result leaves the database:

- evidence: the wide row unnested into one row per firm × criterion (an array of structs, one scan), the
  static text of each criterion (tier, labels, op) joined in Python by its index as categoricals; for lists
  only the criteria that fail or are unknown, of tiers the firm is not in;
- near misses: per firm, for every way into a tier (all-of plus one group per block), the index of the one
  failing criterion when all the others pass — a projection, a ``list_filter`` and an unnest of the few hits,
  then the closest criterion per firm × tier by a window;
- funnel: the membership of two consecutive years joined on the firm, one GROUP BY by zone × year (the
  current zone for members, entered and promoted, the previous zone for left).

Status codes in queries: 0 pass, 1 fail, 2 unknown (``STATUS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gaoxin.analysis.tiers import Criterion, TierRules, _options, criterion_keys

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

STATUS = ("pass", "fail", "unknown")
KEYS = ("credit_code", "year", "zone_id")
EVIDENCE_COLUMNS = ["credit_code", "year", "zone_id", "tier", "tier_status", "criterion", "part", "measure",
                    "label_zh", "label_en", "value", "op", "threshold", "status"]
NEAR_MISS_COLUMNS = ["credit_code", "year", "zone_id", "tier", "name_zh", "criterion", "label_zh", "label_en",
                     "value", "op", "threshold", "gap", "relative_gap"]


@dataclass(frozen=True)
class Crit:
    """One criterion of one tier, numbered in rule-file order (the index the queries carry)."""

    i: int
    tier: str
    tier_no: int
    key: str
    part: str
    c: Criterion


def crits(rules: TierRules) -> list[Crit]:
    out: list[Crit] = []
    for n, t in enumerate(rules.tier):
        for k, p, c in criterion_keys(t):
            out.append(Crit(len(out), t.id, n, k, p, c))
    return out


def _code(ok: ir.Value) -> ir.Value:
    """0 pass / 1 fail / 2 unknown of a three-valued boolean (CASE: a NULL condition takes the ELSE)."""
    import ibis

    return ibis.cases((ok, 0), (~ok, 1), else_=2).cast("int8")


def membership_expr(wide: ir.Table, rules: TierRules) -> ir.Table:
    """Keys and each tier's three-valued status (what the member lists are built from)."""
    return wide.select(*KEYS, *[t.id for t in rules.tier])


def evidence_expr(wide: ir.Table, rules: TierRules, *, open_only: bool = False) -> ir.Table:
    """Long evidence: keys, criterion index ``i``, value, threshold, status and tier_status codes.

    ``open_only``: only criteria that fail or are unknown, of tiers the firm is not in (the list view: why a
    firm is not in; a member's failing alternative branches are no reason)."""
    import ibis

    items = [ibis.struct({"i": ibis.literal(x.i, "int16"), "v": wide[f"v|{x.key}"].cast("float64"),
                          "t": wide[f"t|{x.key}"].cast("float64"), "s": _code(wide[f"p|{x.key}"]),
                          "ts": _code(wide[x.tier])}) for x in crits(rules)]
    keys: list = list(KEYS)
    if open_only:  # no text per row (40M rows at 1.09M firms): the firm's place in the member list instead
        wide = wide.mutate(firm=ibis.dense_rank().over(order_by=[wide.credit_code, wide.year]).cast("int32"))
        keys = ["firm"]
    u = wide.select(*keys, ev=ibis.array(items).unnest())  # in the select list: Table.unnest's lateral join
    # costs DuckDB ≈ 8 s of planning over the wide projection
    u = u.select(*keys, i=u.ev["i"], value=u.ev["v"], threshold=u.ev["t"], status=u.ev["s"],
                 tier_status=u.ev["ts"])
    if open_only:
        u = u.filter((u.status != 0) & (u.tier_status != 0))
    return u


def decode_evidence(df: pd.DataFrame, rules: TierRules, *, categorical: bool = False,
                    members: pd.DataFrame | None = None, year: int | None = None) -> pd.DataFrame:
    """The query's coded rows with each criterion's text; ``categorical`` keeps the repeated text as
    categoricals (a list of millions of rows), else plain objects as the frames always had.  ``members``
    (credit_code, zone_id in the query's order) decodes the open list's ``firm`` numbers, all of ``year``."""
    import numpy as np
    import pandas as pd

    cs = crits(rules)
    i = df["i"].to_numpy("int64")
    tier_ids = [t.id for t in rules.tier]
    static = {"tier": [x.tier for x in cs], "criterion": [x.key for x in cs], "part": [x.part for x in cs],
              "measure": [x.c.measure for x in cs], "label_zh": [x.c.label_zh for x in cs],
              "label_en": [x.c.label_en for x in cs], "op": [x.c.op for x in cs]}

    def text(values: list[str], codes: np.ndarray) -> pd.Categorical | np.ndarray:
        cats, inv = np.unique(np.asarray(values, dtype=object), return_inverse=True)
        out = pd.Categorical.from_codes(inv[codes], categories=cats)
        return out if categorical else np.asarray(out, dtype=object)

    def status(codes: pd.Series) -> pd.Categorical | np.ndarray:
        out = pd.Categorical.from_codes(codes.to_numpy("int64"), categories=list(STATUS))
        return out if categorical else np.asarray(out, dtype=object)

    if members is not None:  # rows coded by the firm's row in the member list (ordered by credit code, year)
        f = df["firm"].to_numpy("int64")
        zones, zcode = np.unique(members["zone_id"].to_numpy(object), return_inverse=True)
        cols = {"credit_code": pd.Categorical.from_codes(f, categories=pd.Index(members["credit_code"])),
                "year": members["year"].to_numpy()[f] if "year" in members else np.full(len(f), year),
                "zone_id": pd.Categorical.from_codes(zcode[f], categories=zones)}
    else:
        cols = {k: df[k].to_numpy() for k in KEYS}
    cols |= {k: text(v, i) for k, v in static.items()}
    if categorical:
        cols["tier"] = pd.Categorical.from_codes(np.asarray([x.tier_no for x in cs])[i], categories=tier_ids)
    cols |= {"tier_status": status(df["tier_status"]), "status": status(df["status"]),
             "value": df["value"].to_numpy("float64"), "threshold": df["threshold"].to_numpy("float64")}
    return pd.DataFrame({c: cols[c] for c in EVIDENCE_COLUMNS})


def near_miss_expr(wide: ir.Table, rules: TierRules) -> ir.Table:
    """Firm-years not in a tier one criterion short of it (all others pass, none unknown), the closest way in
    per firm × tier: ``i`` of the failing criterion, value, threshold, gap and relative gap (docs/enterprise-
    tiers.md).  A criterion marked ``near_miss = false`` failing alone is no near miss."""
    import ibis

    by_key = {(x.tier, x.key): x for x in crits(rules)}
    key_rank = {k: r for r, k in enumerate(sorted(x.key for x in by_key.values()))}
    tier_rank = {t: r for r, t in enumerate(sorted(t.id for t in rules.tier))}
    hits = []
    for t in rules.tier:
        keys = criterion_keys(t)
        not_in = wide[t.id].isnull() | ~wide[t.id]
        for opt in _options(keys):
            p = {k: wide[f"p|{k}"] for k in opt}
            fails = sum(ibis.ifelse(p[k] == False, 1, 0) for k in opt)  # noqa: E712 (SQL comparison)
            passes = sum(ibis.ifelse(p[k] == True, 1, 0) for k in opt)  # noqa: E712
            hit = not_in & (fails == 1) & (passes == len(opt) - 1)
            cand = [by_key[(t.id, k)] for k in opt if by_key[(t.id, k)].c.near_miss]
            if not cand:
                continue

            def pick(col: str, cand: list[Crit] = cand, p: dict = p) -> ir.Value:
                return ibis.cases(*[(p[x.key] == False, wide[f"{col}|{x.key}"].cast("float64"))  # noqa: E712
                                    for x in cand], else_=ibis.null("float64"))

            i = ibis.cases(*[(p[x.key] == False, ibis.literal(x.i, "int16")) for x in cand],  # noqa: E712
                           else_=ibis.null("int16"))
            k = ibis.cases(*[(p[x.key] == False, ibis.literal(key_rank[x.key], "int16")) for x in cand],  # noqa: E712
                           else_=ibis.null("int16"))
            hits.append(ibis.struct({"i": ibis.ifelse(hit, i, ibis.null("int16")), "k": k,
                                     "tr": ibis.literal(tier_rank[t.id], "int16"),
                                     "v": pick("v"), "t": pick("t")}))
    if not hits:
        return wide.select(*KEYS, i=ibis.null("int16"), value=ibis.null("float64")).filter(ibis.literal(False))
    arr = ibis.array(hits).filter(lambda s: s["i"].notnull())
    u = wide.select(*KEYS, nm=arr.unnest())
    u = u.select(*KEYS, i=u.nm["i"], k=u.nm["k"], tr=u.nm["tr"], value=u.nm["v"], threshold=u.nm["t"])
    u = u.mutate(gap=u.threshold - u.value)
    den = ibis.ifelse(u.threshold != 0, u.threshold.abs(), 1.0)
    u = u.mutate(relative_gap=(u.gap.abs() / den).round(12))
    w = ibis.window(group_by=[u.credit_code, u.year, u.tr], order_by=[u.relative_gap, u.k])
    u = u.mutate(_n=ibis.row_number().over(w))
    u = u.filter(u._n == 0).drop("_n")
    return u.order_by([u.tr, u.relative_gap, u.zone_id, u.credit_code, u.year])


def decode_near_miss(df: pd.DataFrame, rules: TierRules) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    cs = crits(rules)
    names = {t.id: t.name_zh for t in rules.tier}
    i = df["i"].to_numpy("int64")

    def col(f: Callable[[Crit], object]) -> pd.Categorical:  # repeated text: categoricals (2.4M rows at scale)
        cats, inv = np.unique(np.asarray([f(x) for x in cs], dtype=object), return_inverse=True)
        return pd.Categorical.from_codes(inv[i], categories=cats)

    out = pd.DataFrame({"credit_code": df["credit_code"].to_numpy(), "year": df["year"].to_numpy(),
                        "zone_id": pd.Categorical(df["zone_id"].to_numpy(object)), "tier": col(lambda x: x.tier),
                        "name_zh": col(lambda x: names[x.tier]), "criterion": col(lambda x: x.key),
                        "label_zh": col(lambda x: x.c.label_zh), "label_en": col(lambda x: x.c.label_en),
                        "value": df["value"].to_numpy("float64"), "op": col(lambda x: x.c.op),
                        "threshold": df["threshold"].to_numpy("float64"), "gap": df["gap"].to_numpy("float64"),
                        "relative_gap": df["relative_gap"].to_numpy("float64")})
    return out[NEAR_MISS_COLUMNS]


def funnel_expr(members: ir.Table, rules: TierRules) -> ir.Table:
    """Per zone × year: per tier members, entered, left, and promoted (highest ladder rank rose in the same
    zone).  ``members`` = :func:`membership_expr` over the years; unknown counts as not a member; a firm with no
    row the year before entered; one whose row is gone (or moved zone) left its previous zone.  The first year
    has no year before: its entered/left/promoted are set to missing by :func:`decode_funnel`."""
    import ibis

    ids = [t.id for t in rules.tier]
    m = members.select(*KEYS, **{t: members[t].fill_null(False) for t in ids})
    ranks = [ibis.ifelse(m[t.id], t.rank, 0) for t in rules.tier if t.rank > 0]
    m = m.mutate(top=ibis.greatest(*ranks) if len(ranks) > 1 else ranks[0] if ranks else ibis.literal(0))
    prev = m.select(pc=m.credit_code, py=m.year + 1, pz=m.zone_id, ptop=m.top, **{f"b|{t}": m[t] for t in ids})
    j = m.outer_join(prev, [m.credit_code == prev.pc, m.year == prev.py])
    yr = ibis.coalesce(j.year, j.py)
    same = (j.zone_id == j.pz).fill_null(False)
    cols = {}
    for t in ids:
        now, before = j[t].fill_null(False), j[f"b|{t}"].fill_null(False)
        cols[f"e|{t}"] = now & ~(before & same)
        cols[f"l|{t}"] = before & ~(now & same)
        cols[f"n|{t}"] = now
    j = j.select(yr=yr, z=j.zone_id, pz=j.pz, prom=(j.top > j.ptop).fill_null(False) & same, **cols)
    j = j.filter(j.yr.isin(members.year))
    # each joined row counts twice: for its current zone (side 0) and for its previous zone (side 1)
    sides = ibis.array([ibis.struct({"zone": j.z, "side": ibis.literal(0, "int8")}),
                        ibis.struct({"zone": j.pz, "side": ibis.literal(1, "int8")})])
    u = j.mutate(sd=sides.unnest())
    u = u.mutate(zone=u.sd["zone"], side=u.sd["side"]).filter(lambda r: r.zone.notnull())
    now_side = u.side == 0

    def count(cond: ir.Value) -> ir.Value:
        return ibis.ifelse(cond, 1, 0).sum()

    aggs = {"rows": count(now_side), "promoted": count(now_side & u.prom)}
    for t in ids:
        aggs[f"members|{t}"] = count(now_side & u[f"n|{t}"])
        aggs[f"entered|{t}"] = count(now_side & u[f"e|{t}"])
        aggs[f"left|{t}"] = count(~now_side & u[f"l|{t}"])
    g = u.group_by(zone_id=u.zone, year=u.yr).aggregate(**aggs)
    return g.order_by(["zone_id", "year"])


def decode_funnel(g: pd.DataFrame, rules: TierRules) -> pd.DataFrame:
    """The wide per-zone-year counts as the long funnel frame (zone, year, tier, members, entered, left,
    promoted), zone-years with no firm row dropped, the first year's flows missing ("—")."""
    import pandas as pd

    ids = [t.id for t in rules.tier]
    g = g[g["rows"] > 0]
    parts = [pd.DataFrame({"zone_id": g["zone_id"].to_numpy(), "year": g["year"].to_numpy(), "tier": t,
                           "members": g[f"members|{t}"].to_numpy(), "entered": g[f"entered|{t}"].to_numpy(),
                           "left": g[f"left|{t}"].to_numpy(), "promoted": g["promoted"].to_numpy()}) for t in ids]
    cols = ["zone_id", "year", "tier", "members", "entered", "left", "promoted"]
    out = pd.concat(parts, ignore_index=True) if parts and len(g) else pd.DataFrame(columns=cols)
    for c in ("members", "entered", "left", "promoted"):
        out[c] = out[c].astype("Int64")
    if len(out):
        out.loc[out["year"] == out["year"].min(), ["entered", "left", "promoted"]] = pd.NA
    return out.sort_values(["zone_id", "year", "tier"], ignore_index=True)[cols]


# ---- running the queries on a store connection --------------------------------------------------------------

FIRM_FILTER = "gaoxin_tier_firms"  # a registered Arrow table of credit codes: the firm list reaches the query as
# data (DuckDB's register), never as SQL text
_SQL: dict[tuple, str] = {}  # compiled SQL per (rules hash, kind, years, zone, snapshot, filtered); Ibis's
# compilation of the 72-criterion expression costs ≈ 1 s, a server asks the same queries again


def _wide(con, rules: TierRules, years: tuple[int, int], snapshot: int, zone: str | None,
          firms: bool) -> ir.Table:
    import ibis

    from gaoxin.analysis.tiers import tier_expr
    from gaoxin.indicators.backend import duckdb_schemas
    from gaoxin.indicators.tables import unbound_tables, visible

    ent = visible(unbound_tables(duckdb_schemas(con)).enterprise_year, ibis.literal(int(snapshot), "int64"))
    if firms:
        f = ibis.table({"credit_code": "string"}, name=FIRM_FILTER)
        ent = ent.filter(ent.credit_code.isin(f.credit_code))
    return tier_expr(ent, rules, years, zone)


def output_expr(kind: str, wide: ir.Table, rules: TierRules) -> ir.Table:
    """The query of one output over the tier expression ``wide`` (any backend)."""
    if kind == "membership":
        return membership_expr(wide, rules).order_by(["credit_code", "year"])
    if kind == "evidence":
        return evidence_expr(wide, rules).order_by(["credit_code", "year", "i"])
    if kind == "evidence_open":
        return evidence_expr(wide, rules, open_only=True)  # unordered: a sort of 40M rows buys nothing
    if kind == "near_miss":
        return near_miss_expr(wide, rules)
    if kind == "funnel":
        return funnel_expr(membership_expr(wide, rules), rules)
    raise ValueError(f"unknown tier output {kind!r}")


def run_on(backend, rules: TierRules, kind: str, years: tuple[int, int], snapshot: int,
           zone: str | None = None) -> pd.DataFrame:
    """One output query on any Ibis backend holding the store tables (e.g. Spark), as a pandas frame."""
    import ibis

    from gaoxin.analysis.tiers import tier_expr
    from gaoxin.indicators.tables import backend_schemas, bind, unbound_tables, visible

    tables = unbound_tables(backend_schemas(backend))
    ent = visible(tables.enterprise_year, ibis.literal(int(snapshot), "int64"))
    expr = output_expr(kind, tier_expr(ent, rules, years, zone), rules)
    return backend.execute(bind(expr, tables, backend))


def run(con, rules: TierRules, sha: str, kind: str, years: tuple[int, int], snapshot: int,
        zone: str | None = None, firms: list[str] | None = None) -> pd.DataFrame:
    """Run one output query (``kind``: membership, evidence, evidence_open, near_miss, funnel) for the
    snapshot's firms of ``years`` (optionally one zone, or only ``firms``) and fetch its narrow result."""
    sql = compile_sql(con, rules, sha, kind, years, snapshot, zone, firms is not None)
    cur = con.cursor()  # own cursor: the registered firm list stays private to this call
    try:
        if firms is not None:
            import pyarrow as pa

            cur.register(FIRM_FILTER, pa.table({"credit_code": pa.array([str(f) for f in firms], pa.string())}))
        return cur.execute(sql).df()
    finally:
        cur.close()


def compile_sql(con, rules: TierRules, sha: str, kind: str, years: tuple[int, int], snapshot: int,
                zone: str | None = None, filtered: bool = False) -> str:
    """The DuckDB SQL of one output query, compiled once per rule-file hash, kind, years, zone, snapshot."""
    import ibis

    key = (sha, kind, years, zone, int(snapshot), filtered)
    sql = _SQL.get(key)
    if sql is None:
        expr = output_expr(kind, _wide(con, rules, years, snapshot, zone, filtered), rules)
        sql = _SQL[key] = str(ibis.to_sql(expr, dialect="duckdb", pretty=False))
        if len(_SQL) > 128:
            _SQL.pop(next(iter(_SQL)))
    return sql


def rules_key(rules: TierRules) -> str:
    """A cache key for rules not read from a file (tests, a filtered rule set): the hash of their content."""
    import hashlib

    return "rules:" + hashlib.sha256(rules.model_dump_json().encode()).hexdigest()


def evidence_frame(con, rules: TierRules, years: tuple[int, int], snapshot: int = 1,
                   firms: list[str] | None = None, zone: str | None = None) -> pd.DataFrame:
    """Every criterion of every tier for the firm-years of ``years`` (or of ``firms``), decoded."""
    return decode_evidence(run(con, rules, rules_key(rules), "evidence", years, snapshot, zone, firms), rules)


def near_miss_frame(con, rules: TierRules, years: tuple[int, int], snapshot: int = 1,
                    firms: list[str] | None = None, zone: str | None = None) -> pd.DataFrame:
    return decode_near_miss(run(con, rules, rules_key(rules), "near_miss", years, snapshot, zone, firms), rules)


def funnel_frame(con, rules: TierRules, years: tuple[int, int], snapshot: int = 1,
                 zone: str | None = None) -> pd.DataFrame:
    return decode_funnel(run(con, rules, rules_key(rules), "funnel", years, snapshot, zone), rules)
