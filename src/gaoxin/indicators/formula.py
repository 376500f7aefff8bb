"""The indicator formula language: a small, safe expression language compiled to Ibis.

A formula is a Python *expression* (parsed with ``ast.parse(mode="eval")``, never
evaluated) over the enterprise-year rows of one zone and year plus the zone's
facts.  Only the nodes and functions listed here are accepted.

Two levels:

* **row level** (inside an aggregate): enterprise columns (``revenue``,
  ``is_high_tech`` …), ``year``, numbers, ``+ - * /``, comparisons, ``and``/``or``/``not``,
  ``abs(x)``, ``industry_in("63", "64")`` (industry code prefix match),
  ``text_in(listing_board, "新三板")`` (a text column equal to one of the values; missing = false),
  and the enterprise's own history:

  ========================  ==========================================================
  ``prev(x, n=1)``          ``x`` in the same enterprise's row ``n`` years earlier
                            (by credit code and year, across zone moves; NULL if none)
  ``new(c)``                "new this year": ``c`` holds this year and did not hold in the
                            enterprise's row of the year before (no row then = did not
                            hold), e.g. ``count(new(is_high_tech))`` 当年新认定高新技术企业;
                            on zone units NULL when the zone has no returns the year before
  ``gazelle()``             the 瞪羚 rule of ``criteria/gazelle.toml`` as a row condition
                            (uses ``prev``: revenue and staff growth over 3 years)
  ========================  ==========================================================
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

``a / b`` is NULL when ``b`` is 0 or NULL.  "Zone" above means the unit of
analysis (zone × year by default; see :mod:`gaoxin.indicators.units`).  This module
only parses and checks (no Ibis import); :mod:`~gaoxin.indicators.lower` and
:mod:`~gaoxin.indicators.query` compile to one Ibis expression.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from gaoxin.ingest.contract import tables

_IBIS_TYPES = {"text": "string", "int": "int64", "number": "float64", "bool": "boolean", "year": "int64"}
AGGREGATES = {"sum", "count", "share", "mean", "min", "max"}
TIME_FUNCS = {"lag", "diff", "growth", "cagr", "net_new"}
ZONE_FUNCS = AGGREGATES | TIME_FUNCS | {"fact", "zone", "coalesce", "abs"}
ROW_FUNCS = {"abs", "industry_in", "text_in", "prev", "new", "gazelle"}
MAX_LAG = 20
MAX_CHARS = 4000  # a formula longer than this is refused (the built-in ones are under 200)
MAX_DEPTH = 64  # nesting of the expression tree; keeps every recursive checker and compiler far from the stack limit


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
    max_lag: int = 0  # years read before the first indicator year (zone lags plus enterprise history)


@dataclass
class _Needs:
    facts: set[str] = field(default_factory=set)
    zone_columns: set[str] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)
    row_lag: int = 0  # deepest prev()/new() offset inside aggregates


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
        if k.arg in kw:  # ast.parse accepts f(where=a, where=b); the language does not pick one silently
            raise FormulaError(f"{node.func.id}() 的关键字参数 {k.arg} 重复 / keyword '{k.arg}' given more than once "
                               f"in {node.func.id}(); combine conditions with 'and'")
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


def _check_row(node: ast.expr, needs: _Needs, lag: int = 0) -> str:
    """Check a row-level expression at enterprise offset ``lag`` (years back); return its kind: 'num' or 'bool'."""
    needs.row_lag = max(needs.row_lag, lag)
    if lag > MAX_LAG:
        raise FormulaError(f"prev()/new() reach back {lag} years; the limit is {MAX_LAG}")
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
            raise FormulaError(f"text column '{node.id}' can only be used through text_in() or industry_in()")
        needs.columns.add(node.id)
        return "bool" if t == "boolean" else "num"
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        _check_row(node.left, needs, lag)
        _check_row(node.right, needs, lag)
        return "num"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check_row(node.operand, needs, lag)
        return "num"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        if _check_row(node.operand, needs, lag) != "bool":
            raise FormulaError("'not' needs a condition")
        return "bool"
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            if _check_row(v, needs, lag) != "bool":
                raise FormulaError("'and'/'or' need conditions on both sides")
        return "bool"
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.ops[0], _CMPOPS):
            raise FormulaError("use one comparison (==, !=, <, <=, >, >=) at a time; join with 'and'")
        _check_row(node.left, needs, lag)
        _check_row(node.comparators[0], needs, lag)
        return "bool"
    if isinstance(node, ast.Call):
        name, args, kw = _call_parts(node)
        if name == "abs":
            _arity(name, args, kw, 1, 1)
            _check_row(args[0], needs, lag)
            return "num"
        if name == "industry_in":
            _arity(name, args, kw, 1, 50)
            for a in args:
                s = _const_str(a, name)
                if not s.isdigit():
                    raise FormulaError(f"industry_in() takes GB/T 4754 code prefixes (digits), not {s!r}")
            needs.columns.add("industry_code")
            return "bool"
        if name == "text_in":
            _arity(name, args, kw, 2, 50)
            col = args[0]
            if not (isinstance(col, ast.Name) and schema.get(col.id) == "string"):
                raise FormulaError("text_in(column, \"value\", …) takes a text column first, "
                                   f"e.g. text_in(listing_board, \"新三板\"), not {ast.unparse(col)!r}")
            for a in args[1:]:
                _const_str(a, name)
            needs.columns.add(col.id)
            return "bool"
        if name == "prev":
            _arity(name, args, kw, 1, 2, ["n"])
            nnode = args[1] if len(args) > 1 else kw.get("n")
            n = 1 if nnode is None else _const_int(nnode, "prev() n")
            return _check_row(args[0], needs, lag + n)
        if name == "new":
            _arity(name, args, kw, 1, 1)
            if _check_row(args[0], needs, lag + 1) != "bool":
                raise FormulaError("new() needs a condition, e.g. new(is_high_tech)")
            return "bool"
        if name == "gazelle":
            raise FormulaError("gazelle() takes no arguments")  # expanded before checking when it has none
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
    if len(text) > MAX_CHARS:
        raise FormulaError(f"公式过长（{len(text)} 字符，上限 {MAX_CHARS}）/ formula too long: {len(text)} characters, "
                           f"the limit is {MAX_CHARS}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        raise FormulaError(f"syntax error: {e.msg}") from None
    except (RecursionError, MemoryError):  # the C parser's own nesting limit
        raise _too_deep() from None
    if _depth(tree) > MAX_DEPTH:
        raise _too_deep()
    tree = _expand(tree)
    needs = _Needs()
    depth = _check_zone(tree, needs)
    return Formula(text, tree, frozenset(needs.facts), frozenset(needs.zone_columns), frozenset(needs.columns),
                   depth + needs.row_lag)


class _Macros(ast.NodeTransformer):
    """Replace ``gazelle()`` by the row condition of the criteria file (so lowering never sees it)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "gazelle" and not node.args and not node.keywords:
            from gaoxin.indicators.criteria import builtin_gazelle_formula

            return ast.parse(builtin_gazelle_formula(), mode="eval").body
        return node


def _expand(tree: ast.expr) -> ast.expr:
    return _Macros().visit(tree)


def _too_deep() -> FormulaError:
    return FormulaError(f"公式嵌套过深（上限 {MAX_DEPTH} 层）/ formula nested too deeply: the limit is {MAX_DEPTH} "
                        "levels; split it into several indicators")


def _depth(tree: ast.AST) -> int:
    """Depth of the expression tree, without recursion (the tree may be deeper than Python's stack)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))
    return deepest


def describe(node: Any) -> str:
    """Source text of a node (for messages)."""
    return ast.unparse(node)
