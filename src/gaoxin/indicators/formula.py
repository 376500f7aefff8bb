"""The indicator formula language: a small, safe expression language compiled to Ibis.

A formula is a Python *expression* (parsed with ``ast.parse(mode="eval")``, never
evaluated) over the enterprise-year rows of one zone and year plus the zone's
facts.  Only the nodes and functions listed here are accepted.

Two levels:

* **row level** (inside an aggregate): enterprise columns (``revenue``,
  ``is_high_tech`` …), ``year``, numbers, ``+ - * /``, comparisons, ``and``/``or``/``not``,
  ``abs(x)``, ``industry_in("63", "64")`` (industry code prefix match).
* **zone level** (the indicator): aggregates of row expressions and zone-year values:

  ========================  ==========================================================
  ``sum(x, where=c)``       sum over the zone-year's rows (missing values ignored; 0 if none)
  ``count()``               number of enterprise rows; ``count(c)`` / ``count(where=c)``
                            rows where the condition is true (missing = not true)
  ``share(c, where=w)``     ``count(c and w) / count(w)`` (``w`` defaults to all rows)
  ``mean / min / max(x)``   over non-missing values (NULL if none), optional ``where=``
  ``fact("code")``          the zone-fact value for the zone-year (NULL if not supplied)
  ``zone("column")``        a numeric column of the zones table (time-invariant)
  ``year``                  the indicator year
  ``lag(e, n=1)``           ``e`` for the same zone ``n`` years earlier (by year, not by row)
  ``diff(e)``               ``e - lag(e)``
  ``growth(e)``             ``e / lag(e) - 1``
  ``cagr(e, n)``            ``(e / lag(e, n)) ** (1/n) - 1`` (NULL unless the ratio is > 0)
  ``net_new(c)``            ``count(c) - lag(count(c))``: net change of the number of
                            enterprises for which ``c`` holds (e.g. 当年净增高新技术企业数)
  ``coalesce(a, b, …)``     first non-missing; ``abs(e)``
  ========================  ==========================================================

``a / b`` is NULL when ``b`` is 0 or NULL.  Lags are pushed down to the base
columns (``lag(sum(x) / sum(y)) = lag(sum(x)) / lag(sum(y))``), so a whole
framework needs one grouped aggregation, the pivoted facts, and one self-join
per distinct lag depth; see :func:`plan_query`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir

from gaoxin.ingest.contract import tables

ENT_TABLE = "__gaoxin_enterprise_years__"
FACT_TABLE = "__gaoxin_zone_facts__"
ZONE_TABLE = "__gaoxin_zones__"

_IBIS_TYPES = {"text": "string", "int": "int64", "number": "float64", "bool": "boolean", "year": "int64"}
AGGREGATES = {"sum", "count", "share", "mean", "min", "max"}
TIME_FUNCS = {"lag", "diff", "growth", "cagr", "net_new"}
ZONE_FUNCS = AGGREGATES | TIME_FUNCS | {"fact", "zone", "coalesce", "abs"}
ROW_FUNCS = {"abs", "industry_in"}
MAX_LAG = 20


class FormulaError(ValueError):
    """A formula that does not parse or uses something outside the language."""


@cache
def enterprise_schema() -> dict[str, str]:
    """Enterprise-year columns (contract) → Ibis types."""
    return {c.name: _IBIS_TYPES[c.type] for c in tables()["enterprises"].columns}


@cache
def zone_numeric_columns() -> frozenset[str]:
    return frozenset(c.name for c in tables()["zones"].columns if c.type in ("int", "number", "year"))


def _ident(s: str) -> bool:
    return s.isascii() and s.replace("_", "a").isalnum() and not s[0].isdigit()


# --------------------------------------------------------------------------- parsing and checking


@dataclass(frozen=True)
class Formula:
    """A parsed, checked formula: the expression tree and what it needs."""

    text: str
    tree: ast.expr
    facts: frozenset[str] = frozenset()
    zone_columns: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    max_lag: int = 0


@dataclass
class _Needs:
    facts: set[str] = field(default_factory=set)
    zone_columns: set[str] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)


def _const_int(node: ast.expr, what: str) -> int:
    if isinstance(node, ast.Constant) and type(node.value) is int and 1 <= node.value <= MAX_LAG:
        return node.value
    raise FormulaError(f"{what} must be a whole number from 1 to {MAX_LAG}")


def _const_str(node: ast.expr, what: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise FormulaError(f'{what} takes a quoted name, e.g. {what}("gdp")')


def _call_parts(node: ast.Call) -> tuple[str, list[ast.expr], dict[str, ast.expr]]:
    if not isinstance(node.func, ast.Name):
        raise FormulaError("only plain function calls like sum(x) are allowed")
    kw: dict[str, ast.expr] = {}
    for k in node.keywords:
        if k.arg is None:
            raise FormulaError("**kwargs is not allowed")
        kw[k.arg] = k.value
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise FormulaError("*args is not allowed")
    return node.func.id, list(node.args), kw


def _arity(name: str, args: list, kw: dict, lo: int, hi: int, kws: Iterable[str] = ()) -> None:
    if not lo <= len(args) <= hi:
        want = str(lo) if lo == hi else f"{lo}–{hi}"
        raise FormulaError(f"{name}() takes {want} positional argument(s), got {len(args)}")
    bad = set(kw) - set(kws)
    if bad:
        raise FormulaError(f"{name}() got unexpected keyword(s): {', '.join(sorted(bad))}")


_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _check_row(node: ast.expr, needs: _Needs) -> str:
    """Check a row-level expression; return its kind: 'num' or 'bool'."""
    schema = enterprise_schema()
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"only numbers are allowed as constants here, not {node.value!r}")
        return "num"
    if isinstance(node, ast.Name):
        if node.id == "year":
            return "num"
        if node.id not in schema:
            raise FormulaError(f"unknown enterprise column '{node.id}'")
        t = schema[node.id]
        if t == "string":
            raise FormulaError(f"text column '{node.id}' can only be used through industry_in()")
        needs.columns.add(node.id)
        return "bool" if t == "boolean" else "num"
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        _check_row(node.left, needs)
        _check_row(node.right, needs)
        return "num"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check_row(node.operand, needs)
        return "num"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        if _check_row(node.operand, needs) != "bool":
            raise FormulaError("'not' needs a condition")
        return "bool"
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            if _check_row(v, needs) != "bool":
                raise FormulaError("'and'/'or' need conditions on both sides")
        return "bool"
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.ops[0], _CMPOPS):
            raise FormulaError("use one comparison (==, !=, <, <=, >, >=) at a time; join with 'and'")
        _check_row(node.left, needs)
        _check_row(node.comparators[0], needs)
        return "bool"
    if isinstance(node, ast.Call):
        name, args, kw = _call_parts(node)
        if name == "abs":
            _arity(name, args, kw, 1, 1)
            _check_row(args[0], needs)
            return "num"
        if name == "industry_in":
            _arity(name, args, kw, 1, 50)
            for a in args:
                s = _const_str(a, name)
                if not s.isdigit():
                    raise FormulaError(f"industry_in() takes GB/T 4754 code prefixes (digits), not {s!r}")
            needs.columns.add("industry_code")
            return "bool"
        if name in ZONE_FUNCS:
            raise FormulaError(f"{name}() cannot be used inside an aggregate")
        raise FormulaError(f"unknown function '{name}'")
    raise FormulaError(f"'{ast.unparse(node)}' is not allowed in a formula")


def _check_zone(node: ast.expr, needs: _Needs, depth: int = 0) -> int:
    """Check a zone-level expression; return the deepest lag it needs."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"only numbers are allowed as constants, not {node.value!r}")
        return depth
    if isinstance(node, ast.Name):
        if node.id == "year":
            return depth
        if node.id in enterprise_schema():
            raise FormulaError(f"enterprise column '{node.id}' used outside an aggregate; wrap it, e.g. sum({node.id})")
        raise FormulaError(f"unknown name '{node.id}'")
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        return max(_check_zone(node.left, needs, depth), _check_zone(node.right, needs, depth))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _check_zone(node.operand, needs, depth)
    if isinstance(node, ast.Compare | ast.BoolOp) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        raise FormulaError(f"condition '{ast.unparse(node)}' outside an aggregate; use count(…) or share(…)")
    if not isinstance(node, ast.Call):
        raise FormulaError(f"'{ast.unparse(node)}' is not allowed in a formula")
    name, args, kw = _call_parts(node)
    if name in ("sum", "mean", "min", "max"):
        _arity(name, args, kw, 1, 1, ["where"])
        if _check_row(args[0], needs) == "bool" and name != "sum":
            raise FormulaError(f"{name}() needs a number; use share() for a condition")
    elif name == "count":
        _arity(name, args, kw, 0, 1, ["where"])
        if args and _check_row(args[0], needs) != "bool":
            raise FormulaError("count(c) counts rows where condition c holds; e.g. count(revenue > 0)")
    elif name == "share":
        _arity(name, args, kw, 1, 1, ["where"])
        if _check_row(args[0], needs) != "bool":
            raise FormulaError("share() needs a condition, e.g. share(is_high_tech)")
    elif name == "net_new":
        _arity(name, args, kw, 1, 1, ["where"])
        if _check_row(args[0], needs) != "bool":
            raise FormulaError("net_new() needs a condition, e.g. net_new(is_high_tech)")
        depth += 1
    elif name == "fact":
        _arity(name, args, kw, 1, 1)
        code = _const_str(args[0], name)
        if not _ident(code):
            raise FormulaError(f"fact code {code!r} must be an identifier (letters, digits, _)")
        needs.facts.add(code)
        return depth
    elif name == "zone":
        _arity(name, args, kw, 1, 1)
        col = _const_str(args[0], name)
        if col not in zone_numeric_columns():
            raise FormulaError(f"zone() takes a numeric zones column ({', '.join(sorted(zone_numeric_columns()))})")
        needs.zone_columns.add(col)
        return depth
    elif name in ("lag", "cagr"):
        lo = 1 if name == "lag" else 2
        _arity(name, args, kw, lo, 2, ["n"])
        nnode = args[1] if len(args) > 1 else kw.get("n")
        n = 1 if nnode is None else _const_int(nnode, f"{name}() n")
        if name == "cagr" and nnode is None:
            raise FormulaError("cagr(e, n) needs the number of years n")
        return _check_zone(args[0], needs, depth + n)
    elif name in ("diff", "growth"):
        _arity(name, args, kw, 1, 1)
        return _check_zone(args[0], needs, depth + 1)
    elif name == "coalesce":
        _arity(name, args, kw, 2, 10)
        return max(_check_zone(a, needs, depth) for a in args)
    elif name == "abs":
        _arity(name, args, kw, 1, 1)
        return _check_zone(args[0], needs, depth)
    elif name in ROW_FUNCS:
        raise FormulaError(f"{name}() is a row condition; use it inside an aggregate, e.g. count({name}(…))")
    else:
        raise FormulaError(f"unknown function '{name}'")
    if "where" in kw and _check_row(kw["where"], needs) != "bool":
        raise FormulaError(f"{name}(where=…) needs a condition")
    return depth


def parse(text: str) -> Formula:
    """Parse and check ``text``; raise :class:`FormulaError` with the reason."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        raise FormulaError(f"syntax error: {e.msg}") from None
    needs = _Needs()
    depth = _check_zone(tree, needs)
    return Formula(text, tree, frozenset(needs.facts), frozenset(needs.zone_columns), frozenset(needs.columns), depth)


# --------------------------------------------------------------------------- compiling to Ibis


def _row_expr(node: ast.expr, t: ir.Table) -> ir.Value:
    if isinstance(node, ast.Constant):
        return ibis.literal(node.value, type="float64" if isinstance(node.value, float) else "int64")
    if isinstance(node, ast.Name):
        return t[node.id]
    if isinstance(node, ast.BinOp):
        a, b = _num(_row_expr(node.left, t)), _num(_row_expr(node.right, t))
        return _arith(node.op, a, b)
    if isinstance(node, ast.UnaryOp):
        v = _row_expr(node.operand, t)
        return ~v if isinstance(node.op, ast.Not) else (-_num(v) if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BoolOp):
        vals = [_row_expr(v, t) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.Compare):
        a, b = _num(_row_expr(node.left, t)), _num(_row_expr(node.comparators[0], t))
        op = node.ops[0]
        return {
            ast.Eq: lambda: a == b, ast.NotEq: lambda: a != b, ast.Lt: lambda: a < b,
            ast.LtE: lambda: a <= b, ast.Gt: lambda: a > b, ast.GtE: lambda: a >= b,
        }[type(op)]()  # fmt: skip
    if isinstance(node, ast.Call):
        name, args, _ = _call_parts(node)
        if name == "abs":
            return _num(_row_expr(args[0], t)).abs()
        if name == "industry_in":
            code = t["industry_code"]
            prefixes = [a.value for a in args]  # type: ignore[attr-defined]
            out = code.startswith(prefixes[0])
            for p in prefixes[1:]:
                out = out | code.startswith(p)
            return out
    raise FormulaError(f"cannot compile '{ast.unparse(node)}'")  # unreachable after parse()


def _num(v: ir.Value) -> ir.Value:
    return v.cast("int64") if v.type().is_boolean() else v


def _arith(op: ast.operator, a: ir.Value, b: ir.Value) -> ir.Value:
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    return a.cast("float64") / b.cast("float64").nullif(0.0)


@dataclass(frozen=True)
class Aggregate:
    """One base aggregate of enterprise rows, shared by every indicator that uses it."""

    func: str  # sum | count | mean | min | max
    arg: ast.expr | None
    where: ast.expr | None

    @property
    def key(self) -> str:
        d = ast.dump
        return f"{self.func}|{d(self.arg) if self.arg else ''}|{d(self.where) if self.where else ''}"

    def text(self) -> str:
        parts = [ast.unparse(self.arg)] if self.arg is not None else []
        if self.where is not None:
            parts.append(f"where={ast.unparse(self.where)}")
        return f"{self.func}({', '.join(parts)})"

    def to_ibis(self, t: ir.Table) -> ir.Scalar:
        where = _row_expr(self.where, t) if self.where is not None else None
        if self.func == "count":
            return t.count(where=where).cast("float64")
        arg = _num(_row_expr(self.arg, t))  # type: ignore[arg-type]
        if self.func == "sum":
            return ibis.coalesce(arg.cast("float64").sum(where=where), 0.0)
        return getattr(arg.cast("float64"), self.func)(where=where)


def _and(a: ast.expr | None, b: ast.expr | None) -> ast.expr | None:
    if a is None or b is None:
        return a if b is None else b
    return ast.BoolOp(op=ast.And(), values=[a, b])


class Plan:
    """Base columns (aggregates, facts, zone columns) at the lags a set of formulas needs."""

    def __init__(self) -> None:
        self.aggregates: dict[str, tuple[str, Aggregate]] = {}
        self.facts: dict[str, str] = {}
        self.zone_columns: dict[str, str] = {}
        self.refs: set[tuple[str, int]] = set()

    # name allocation -------------------------------------------------------
    def agg(self, a: Aggregate) -> str:
        if a.key not in self.aggregates:
            self.aggregates[a.key] = (f"a{len(self.aggregates)}", a)
        return self.aggregates[a.key][0]

    def fact(self, code: str) -> str:
        return self.facts.setdefault(code, f"f_{code}")

    def zone(self, col: str) -> str:
        return self.zone_columns.setdefault(col, f"z_{col}")

    @property
    def max_lag(self) -> int:
        return max((k for _, k in self.refs), default=0)

    def zone_expr(self, node: ast.expr, k: int, ref: Callable[[str, int], ir.Value], year: ir.Value) -> ir.Value:
        """Lower a zone-level node at lag ``k``; ``ref(name, k)`` gives a base column."""
        z = self.zone_expr
        if isinstance(node, ast.Constant):
            return ibis.literal(float(node.value))
        if isinstance(node, ast.Name):  # year
            return (year - k).cast("float64")
        if isinstance(node, ast.BinOp):
            return _arith(node.op, z(node.left, k, ref, year), z(node.right, k, ref, year))
        if isinstance(node, ast.UnaryOp):
            v = z(node.operand, k, ref, year)
            return -v if isinstance(node.op, ast.USub) else v
        name, args, kw = _call_parts(node)  # type: ignore[arg-type]
        where = kw.get("where")
        if name in ("sum", "mean", "min", "max"):
            return ref(self.agg(Aggregate(name, args[0], where)), k)
        if name == "count":
            return ref(self.agg(Aggregate("count", None, _and(args[0] if args else None, where))), k)
        if name == "share":
            num = ref(self.agg(Aggregate("count", None, _and(args[0], where))), k)
            den = ref(self.agg(Aggregate("count", None, where)), k)
            return num / den.nullif(0.0)
        if name == "net_new":
            a = self.agg(Aggregate("count", None, _and(args[0], where)))
            return ref(a, k) - ref(a, k + 1)
        if name == "fact":
            return ref(self.fact(args[0].value), k)  # type: ignore[attr-defined]
        if name == "zone":
            return ref(self.zone(args[0].value), 0).cast("float64")  # type: ignore[attr-defined]
        if name in ("lag", "cagr"):
            nnode = args[1] if len(args) > 1 else kw.get("n")
            n = 1 if nnode is None else nnode.value  # type: ignore[attr-defined]
            if name == "lag":
                return z(args[0], k + n, ref, year)
            ratio = z(args[0], k, ref, year) / z(args[0], k + n, ref, year).nullif(0.0)
            return ibis.ifelse(ratio > 0, ratio ** (1.0 / n) - 1.0, ibis.null("float64"))
        if name == "diff":
            return z(args[0], k, ref, year) - z(args[0], k + 1, ref, year)
        if name == "growth":
            return z(args[0], k, ref, year) / z(args[0], k + 1, ref, year).nullif(0.0) - 1.0
        if name == "coalesce":
            return ibis.coalesce(*[z(a, k, ref, year) for a in args])
        if name == "abs":
            return z(args[0], k, ref, year).abs()
        raise FormulaError(f"cannot compile '{ast.unparse(node)}'")


def _schema_tables() -> tuple[ir.Table, ir.Table, ir.Table]:
    ent = ibis.table(enterprise_schema(), name=ENT_TABLE)
    facts = ibis.table(
        {"zone_id": "string", "year": "int64", "indicator": "string", "value": "float64"}, name=FACT_TABLE
    )
    zone_types = {c.name: _IBIS_TYPES[c.type] for c in tables()["zones"].columns}
    zones = ibis.table(zone_types, name=ZONE_TABLE)
    return ent, facts, zones


def build_query(formulas: dict[str, Formula], years: tuple[int, int]) -> tuple[ir.Table, Plan]:
    """One Ibis query computing every formula for zone-years in ``years`` (wide: zone_id, year, codes…).

    Built over unbound tables (``ENT_TABLE``, ``FACT_TABLE``, ``ZONE_TABLE``) so
    that the same expression can be compiled for any Ibis backend (DuckDB now,
    Spark later); the caller binds them to the snapshot's rows.
    """
    y0, y1 = years
    plan = Plan()

    # pass 1: collect base columns and lags
    def record(name: str, k: int) -> ir.Value:
        plan.refs.add((name, k))
        return ibis.literal(0.0)

    year0 = ibis.literal(0)
    for f in formulas.values():
        plan.zone_expr(f.tree, 0, record, year0)
    lo = y0 - plan.max_lag
    ent, facts, zones = _schema_tables()

    # base: one grouped aggregation + pivoted facts over the extended year range, merged by a
    # union + group-by (a full outer join on the zone-year key, without join-chain pitfalls)
    e = ent.filter((ent.year >= lo) & (ent.year <= y1))
    agg_cols = [n for n, _ in plan.aggregates.values()]
    fact_cols = list(plan.facts.values())
    parts: list[ir.Table] = []
    if plan.aggregates or not plan.facts:
        metrics = {name: a.to_ibis(e) for name, a in plan.aggregates.values()}
        g = e.group_by(["zone_id", "year"]).aggregate(**metrics) if metrics else e.select("zone_id", "year").distinct()
        parts.append(g.mutate(**{c: ibis.null("float64") for c in fact_cols}))
    if plan.facts:
        f = facts.filter((facts.year >= lo) & (facts.year <= y1) & facts.indicator.isin(list(plan.facts)))
        pivot = f.group_by(["zone_id", "year"]).aggregate(
            **{col: f.value.max(where=f.indicator == code) for code, col in plan.facts.items()}
        )
        parts.append(pivot.mutate(**{c: ibis.null("float64") for c in agg_cols}))
    if len(parts) == 1:
        base = parts[0]
    else:
        u = ibis.union(*[p.select("zone_id", "year", *agg_cols, *fact_cols) for p in parts])
        base = u.group_by(["zone_id", "year"]).aggregate(**{c: u[c].max() for c in [*agg_cols, *fact_cols]})
    if plan.zone_columns:
        zsel = zones.select(zone_key=zones.zone_id, **{col: zones[c] for c, col in plan.zone_columns.items()})
        j = base.left_join(zsel, base.zone_id == zsel.zone_key)
        base = j.select(*[base[c] for c in base.columns], *[zsel[c] for c in plan.zone_columns.values()]).view()

    # lags: a window over the zone's years with a RANGE frame of exactly k years back,
    # so a missing year gives NULL rather than the row before it
    lag_cols = {}
    for name, k in sorted(plan.refs):
        if k > 0 and name not in plan.zone_columns.values():
            w = ibis.window(group_by="zone_id", order_by="year", range=(-k, -k))
            lag_cols[f"{name}__l{k}"] = base[name].first().over(w)
    wide = base.mutate(**lag_cols) if lag_cols else base
    wide = wide.filter(wide.year >= y0)

    def ref(name: str, k: int) -> ir.Value:
        return wide[name] if k == 0 or name in plan.zone_columns.values() else wide[f"{name}__l{k}"]

    out = {code: plan.zone_expr(f.tree, 0, ref, wide.year).cast("float64") for code, f in formulas.items()}
    result = wide.select("zone_id", "year", **out).order_by(["zone_id", "year"])
    return result, plan


def bind_sql(expr: ir.Table, dialect: str, sources: dict[str, str]) -> str:
    """Compile ``expr`` to SQL and replace the unbound table names by ``sources`` (SQL table expressions)."""
    sql = ibis.to_sql(expr, dialect=dialect)
    quote = "`" if dialect in ("spark", "pyspark", "databricks") else '"'
    for name, src in sources.items():
        sql = sql.replace(f"{quote}{name}{quote}", src)
    return str(sql)


def describe(node: Any) -> str:
    """Source text of a node (for messages)."""
    return ast.unparse(node)
