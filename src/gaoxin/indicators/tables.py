"""The store's versioned tables as Ibis tables, and the snapshot filter as an Ibis expression.

The compiled indicator expression reads the store tables themselves (``zone``,
``enterprise_year``, ``zone_fact``) under their real names and schemas, and the
snapshot's validity interval (migrations/001) is a predicate of the expression,
so any Ibis backend holding those tables runs it unchanged.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import ibis
import ibis.expr.schema as sch
import ibis.expr.types as ir

STORE_TABLES = ("enterprise_year", "zone_fact", "zone")


class Schemas(NamedTuple):
    """Ibis schemas of the three store tables (hashable: part of the plan-cache key)."""

    enterprise_year: sch.Schema
    zone_fact: sch.Schema
    zone: sch.Schema


class StoreTables(NamedTuple):
    """The three store tables as Ibis tables (unbound in a cached plan)."""

    enterprise_year: ir.Table
    zone_fact: ir.Table
    zone: ir.Table


def backend_schemas(backend: Any) -> Schemas:
    """Schemas as the backend reports them (so DECIMAL / BIGINT columns keep their own types)."""
    return Schemas(*(backend.table(name).schema() for name in STORE_TABLES))


def unbound_tables(schemas: Schemas) -> StoreTables:
    """Ibis tables named like the store's, not tied to a backend (the cached, portable form)."""
    return StoreTables(*(ibis.table(s, name=n) for n, s in zip(STORE_TABLES, schemas, strict=True)))


def visible(t: ir.Table, snapshot: ir.Value) -> ir.Table:
    """Rows of ``t`` in the snapshot: ``valid_from <= s AND (valid_to IS NULL OR valid_to > s)``."""
    return t.filter((t.valid_from <= snapshot) & (t.valid_to.isnull() | (t.valid_to > snapshot)))


def bind(expr: ir.Table, tables: StoreTables, backend: Any) -> ir.Table:
    """``expr`` with its unbound store tables replaced by the backend's tables of the same names.

    A substitution on the Ibis operation graph (not on SQL text); the backend's
    schemas must equal the ones the expression was built on.
    """
    if getattr(backend, "name", "") == "pyspark":
        from gaoxin.indicators.backend import tune_spark

        tune_spark(backend)
    subs = {}
    for name, t in zip(STORE_TABLES, tables, strict=True):
        real = backend.table(name)
        if real.schema() != t.schema():
            raise ValueError(f"store table {name}: backend schema differs from the compiled plan's")
        subs[t.op()] = real.op()
    return expr.op().replace(subs).to_expr()
