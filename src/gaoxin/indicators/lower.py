"""Lowering checked formulas to Ibis: row expressions, the shared base aggregates, lags.

Kept apart from :mod:`gaoxin.indicators.formula` so that parsing and checking a
framework (``gaoxin frameworks``, config checks) never imports Ibis.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from gaoxin.indicators.formula import FormulaError, _call_parts

ENTERPRISE_KEY = "credit_code"  # enterprise history (prev/new) follows the credit code, across zone moves


def lag_column(name: str, k: int) -> str:
    """Name of column ``name`` of the same enterprise's row ``k`` years earlier (added by :func:`add_row_lags`)."""
    return name if k == 0 else f"{name}__p{k}"


def row_lags(node: ast.expr | None, k: int = 0) -> set[tuple[str, int]]:
    """(column, years back) pairs a row expression reads at an offset > 0 (``year`` included)."""
    if node is None:
        return set()
    if isinstance(node, ast.Name):
        return {(node.id, k)} if k > 0 else set()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "industry_in":
        return {("industry_code", k)} if k > 0 else set()  # its arguments are constants
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("prev", "new"):
        _, args, kw = _call_parts(node)
        if node.func.id == "new":
            return row_lags(args[0], k) | row_lags(args[0], k + 1)
        nnode = args[1] if len(args) > 1 else kw.get("n")
        return row_lags(args[0], k + (1 if nnode is None else nnode.value))  # type: ignore[attr-defined]
    out: set[tuple[str, int]] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            out |= row_lags(child, k)
    return out


def add_row_lags(t: ir.Table, lags: set[tuple[str, int]], history: ir.Table | None = None) -> ir.Table:
    """``t`` with each (column, k) of the same enterprise's row exactly k years earlier (NULL if none).

    One left join per distinct k on (credit code, year − k): the store key, so at most one match and a
    gap year gives NULL.  Measured 4–6× faster on DuckDB than RANGE-frame windows (one per column and k)
    on the demo store; portable to Spark.  The earlier rows come from ``history`` (default ``t``), so ``t``
    can be only the years wanted while ``history`` holds the years before.
    """
    if not lags:
        return t
    base_cols = list(t.columns)
    by_k: dict[int, list[str]] = {}
    for name, k in sorted(lags):
        by_k.setdefault(k, []).append(name)
    out, h = t, (t if history is None else history)
    for k, names in sorted(by_k.items()):
        prev = h.select(_pk_code=h[ENTERPRISE_KEY], _pk_year=h.year + k,
                        **{lag_column(n, k): h[n] for n in names})
        j = out.left_join(prev, (out[ENTERPRISE_KEY] == prev._pk_code) & (out.year == prev._pk_year))
        out = j.select(*[out[c] for c in out.columns], *[prev[lag_column(n, k)] for n in names]).view()
    assert list(out.columns[: len(base_cols)]) == base_cols
    return out


def _row_expr(node: ast.expr, t: ir.Table, k: int = 0) -> ir.Value:
    """Lower a row expression evaluated on the enterprise's row ``k`` years back (lag columns in ``t``)."""
    if isinstance(node, ast.Constant):
        return ibis.literal(node.value, type="float64" if isinstance(node.value, float) else "int64")
    if isinstance(node, ast.Name):
        return t[lag_column(node.id, k)]
    if isinstance(node, ast.BinOp):
        a, b = _num(_row_expr(node.left, t, k)), _num(_row_expr(node.right, t, k))
        return _arith(node.op, a, b)
    if isinstance(node, ast.UnaryOp):
        v = _row_expr(node.operand, t, k)
        return ~v if isinstance(node.op, ast.Not) else (-_num(v) if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BoolOp):
        vals = [_row_expr(v, t, k) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.Compare):
        a, b = _num(_row_expr(node.left, t, k)), _num(_row_expr(node.comparators[0], t, k))
        op = node.ops[0]
        return {
            ast.Eq: lambda: a == b, ast.NotEq: lambda: a != b, ast.Lt: lambda: a < b,
            ast.LtE: lambda: a <= b, ast.Gt: lambda: a > b, ast.GtE: lambda: a >= b,
        }[type(op)]()  # fmt: skip
    if isinstance(node, ast.Call):
        name, args, kw = _call_parts(node)
        if name == "abs":
            return _num(_row_expr(args[0], t, k)).abs()
        if name == "industry_in":
            code = t[lag_column("industry_code", k)]
            prefixes = [a.value for a in args]  # type: ignore[attr-defined]
            out = code.startswith(prefixes[0])
            for p in prefixes[1:]:
                out = out | code.startswith(p)
            return out
        if name == "text_in":
            col = t[lag_column(args[0].id, k)]  # type: ignore[attr-defined]
            return ibis.coalesce(col.isin([a.value for a in args[1:]]), ibis.literal(False))  # type: ignore[attr-defined]
        if name == "prev":
            nnode = args[1] if len(args) > 1 else kw.get("n")
            return _row_expr(args[0], t, k + (1 if nnode is None else nnode.value))  # type: ignore[attr-defined]
        if name == "new":
            before = ibis.coalesce(_row_expr(args[0], t, k + 1), ibis.literal(False))
            return _row_expr(args[0], t, k) & ~before
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

    def lags(self) -> set[tuple[str, int]]:
        """Enterprise-history columns this aggregate reads (see :func:`add_row_lags`)."""
        return row_lags(self.arg) | row_lags(self.where)

    def text(self) -> str:
        parts = [ast.unparse(self.arg)] if self.arg is not None else []
        if self.where is not None:
            parts.append(f"where={ast.unparse(self.where)}")
        return f"{self.func}({', '.join(parts)})"

    def to_ibis(self, t: ir.Table) -> ir.Scalar:
        where = _row_expr(self.where, t) if self.where is not None else None
        if self.func == "count":
            # coalesce: Ibis compiles a filtered count for Spark as SUM(CAST(c AS BIGINT)), NULL when c is NULL
            # on every row, where DuckDB's COUNT(*) FILTER gives 0
            return ibis.coalesce(t.count(where=where), 0).cast("float64")
        arg = _num(_row_expr(self.arg, t))  # type: ignore[arg-type]
        # aggregate on the column's own type (DECIMAL / BIGINT sums are exact, so independent
        # of thread order) and convert to float64 only after the aggregate
        if self.func == "sum":
            return ibis.coalesce(arg.sum(where=where).cast("float64"), 0.0)
        return getattr(arg, self.func)(where=where).cast("float64")

    def to_row(self, t: ir.Table) -> ir.Value:
        """The aggregate over a group of exactly one row, as a row expression (no GROUP BY needed).

        Same values as :meth:`to_ibis` on a one-row group: a count is 1 or 0, a sum is the value or 0 when it
        is missing or filtered out, mean/min/max the value or NULL (casts after the value, as there).
        """
        where = _row_expr(self.where, t) if self.where is not None else None
        if self.func == "count":
            return ibis.literal(1.0) if where is None else ibis.ifelse(ibis.coalesce(where, False), 1.0, 0.0)
        arg = _num(_row_expr(self.arg, t))  # type: ignore[arg-type]
        if where is not None:
            arg = ibis.ifelse(ibis.coalesce(where, False), arg, ibis.null(arg.type()))
        if self.func == "sum":
            return ibis.coalesce(arg.cast("float64"), 0.0)
        return arg.cast("float64")


AGGREGATE_FUNCS = ("sum", "mean", "min", "max", "count", "share")


def _uses_new(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "new" for n in ast.walk(node))


def _and(a: ast.expr | None, b: ast.expr | None) -> ast.expr | None:
    if a is None or b is None:
        return a if b is None else b
    return ast.BoolOp(op=ast.And(), values=[a, b])


class Plan:
    """Base columns (aggregates, facts, zone columns) at the lags a set of formulas needs."""

    def __init__(self, guard_new: bool = False) -> None:
        # zone units: an aggregate over new(...) is NULL when the zone has no returns the year before (the first
        # year of the data, a zone's first year): "new" cannot be told there, and every flagged firm would count
        self.guard_new = guard_new
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

    def row_lags(self) -> set[tuple[str, int]]:
        """Every (column, k) of enterprise history the aggregates read."""
        out: set[tuple[str, int]] = set()
        for _, a in self.aggregates.values():
            out |= a.lags()
        return out

    def row_columns(self) -> set[str]:
        """Enterprise columns the aggregates read (``year`` included; ``industry_in`` reads industry_code)."""
        out: set[str] = set()
        for _, a in self.aggregates.values():
            for node in (a.arg, a.where):
                for n in ast.walk(node) if node is not None else ():
                    if isinstance(n, ast.Name):
                        out.add(n.id)
                    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "industry_in":
                        out.add("industry_code")
        return out

    @property
    def row_depth(self) -> int:
        """Years of enterprise history read before an aggregate's own year."""
        return max((k for _, k in self.row_lags()), default=0)

    def zone_expr(self, node: ast.expr, k: int, ref: Callable[[str, int], ir.Value], year: ir.Value,
                  guard: bool = True) -> ir.Value:
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
        if guard and self.guard_new and name in AGGREGATE_FUNCS and _uses_new(node):
            rows_before = ref(self.agg(Aggregate("count", None, None)), k + 1)
            value = self.zone_expr(node, k, ref, year, guard=False)
            return ibis.ifelse(rows_before.isnull() | (rows_before == 0), ibis.null("float64"), value)
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
