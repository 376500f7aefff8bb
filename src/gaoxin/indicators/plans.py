"""Compiled indicator plans and the cache a long-lived process keeps of them.

A plan is the Ibis expression of a framework for a unit and a year range over the
store's tables, with the snapshot as a parameter.  Building it (parse, lower,
build) and compiling it to SQL cost ~0.1–0.3 s, far more than running it on a
small store, so a server keeps plans keyed by (framework content hash, unit,
years, store schemas) and, per plan, the SQL compiled for each (dialect, snapshot).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir

from gaoxin.indicators.framework import Framework
from gaoxin.indicators.query import build_query
from gaoxin.indicators.tables import Schemas, StoreTables, bind, unbound_tables
from gaoxin.indicators.units import Unit

_SPARK_DIALECTS = ("pyspark", "spark", "databricks")


def framework_hash(fw: Framework) -> str:
    """sha256 of the framework's content (not its path): equal content, equal plans."""
    return hashlib.sha256(fw.model_dump_json(exclude={"path"}).encode()).hexdigest()


@cache
def default_schemas() -> Schemas:
    """The store schema the migrations create, read from a throw-away in-memory store."""
    import duckdb

    from gaoxin.indicators.backend import duckdb_schemas
    from gaoxin.store.db import migrate

    con = duckdb.connect()
    migrate(con)
    return duckdb_schemas(con)


@dataclass(eq=False)
class CompiledFramework:
    """A framework's query for one unit and year range, over unbound store tables."""

    framework: Framework
    years: tuple[int, int]
    unit: Unit
    tables: StoreTables  # the unbound Ibis tables the expression reads
    expr: ir.Table
    snapshot: ir.Scalar  # the parameter to bind
    max_lag: int
    aggregates: tuple[str, ...]  # base aggregates, deduplicated (text form)
    facts: tuple[str, ...]
    _sql: dict[tuple[str, int], str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sql(self, snapshot: int, dialect: str = "duckdb") -> str:
        """SQL Ibis compiles for ``snapshot`` (a typed literal); cached per (dialect, snapshot)."""
        key = (dialect, int(snapshot))
        with self._lock:
            if key in self._sql:
                return self._sql[key]
        if dialect in _SPARK_DIALECTS:
            # the compiler reads ibis.options.pyspark, registered when the backend is first loaded
            _ = ibis.pyspark
        text = str(ibis.to_sql(self.expr, dialect=dialect, params={self.snapshot: int(snapshot)}))
        with self._lock:
            if len(self._sql) >= 32:
                self._sql.pop(next(iter(self._sql)))
            self._sql[key] = text
        return text

    def bind(self, backend: Any) -> ir.Table:
        """The expression over ``backend``'s store tables (execute with ``params={plan.snapshot: s}``)."""
        return bind(self.expr, self.tables, backend)


def build_plan(fw: Framework, years: tuple[int, int], unit: Unit, schemas: Schemas) -> CompiledFramework:
    """Plan and build the expression (no SQL yet: that is compiled per dialect and snapshot)."""
    tables = unbound_tables(schemas)
    snapshot = ibis.param(schemas.enterprise_year["valid_from"])
    expr, plan = build_query(fw.formulas(), years, unit, tables, snapshot)
    aggs = tuple(a.text() for _, a in plan.aggregates.values())
    return CompiledFramework(fw, years, unit, tables, expr, snapshot, plan.max_lag + plan.row_depth, aggs,
                             tuple(sorted(plan.facts)))


class PlanCache:
    """Thread-safe LRU of compiled plans keyed by (framework hash, unit, years, schemas)."""

    def __init__(self, maxsize: int = 128) -> None:
        self.maxsize = maxsize
        self._plans: OrderedDict[tuple, CompiledFramework] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, fw: Framework, years: tuple[int, int], unit: Unit, schemas: Schemas) -> CompiledFramework:
        key = (framework_hash(fw), unit, years, schemas)
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                self.hits += 1
                return plan
            self.misses += 1
        plan = build_plan(fw, years, unit, schemas)  # outside the lock: a duplicate build is harmless
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > self.maxsize:
                self._plans.popitem(last=False)
        return plan

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._plans)


PLANS = PlanCache()
