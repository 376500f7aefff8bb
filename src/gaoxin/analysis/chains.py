"""Industrial chains as data: chain → segments → nodes (GB/T 4754 codes and name keywords); enterprise
assignment as one Ibis expression; gap classes (补链 / 强链) and 招商 leads as small frame functions
(docs/industry.md, decision 0025).

Assignment: a firm whose industry code starts with a node's code is at that node ("code"); a firm matching no
code of the chain is at every node whose keyword its name contains ("keyword").  A firm at two or more nodes
by the same method is ambiguous: counted at each and reported.  Keywords are matched as substrings inside the
engine (no word segmentation, no per-name Python), so the assignment runs wherever the query compiler runs.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from gaoxin.config import StrictModel, load_toml

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from gaoxin.indicators.tables import StoreTables

SHIPPED = ("integrated-circuit", "biomedicine", "new-energy-vehicles")
SEGMENTS = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}


class ChainMeta(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name_zh: str
    name_en: str
    version: str
    source: str


class Node(StrictModel):
    """A chain node: GB/T 4754 code prefixes (2–4 digits) and keywords of enterprise names."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    segment: Literal["upstream", "midstream", "downstream"]
    name_zh: str
    name_en: str
    codes: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> Node:
        if not self.codes and not self.keywords:
            raise ValueError(f"node {self.id}: give codes or keywords")
        bad = [c for c in self.codes if not (c.isdigit() and 2 <= len(c) <= 4)]
        if bad:
            raise ValueError(f"node {self.id}: codes must be 2–4 digits of a GB/T 4754 code: {bad}")
        if any(not k.strip() for k in self.keywords):
            raise ValueError(f"node {self.id}: empty keyword")
        return self


class Chain(StrictModel):
    chain: ChainMeta
    node: list[Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Chain:
        ids = [n.id for n in self.node]
        if len(set(ids)) != len(ids):
            raise ValueError("node ids must be unique")
        return self


class GapRule(StrictModel):
    id: str
    source: str
    weak_below: float = Field(ge=0, description="LQ strictly below (with firms present) = weak")
    strong_from: float = Field(gt=0, description="LQ at or above = strong")
    leads_per_gap: int = Field(ge=0, le=1000)

    @model_validator(mode="after")
    def _order(self) -> GapRule:
        if self.weak_below >= self.strong_from:
            raise ValueError("weak_below must be below strong_from")
        return self


class GapFile(StrictModel):
    gaps: GapRule


def _rules(name: str) -> os.PathLike | str:
    return resources.files("gaoxin.analysis").joinpath("rules/chains", name)  # type: ignore[return-value]


@cache
def _shipped(chain_id: str) -> Chain:
    return load_toml(_rules(f"{chain_id}.toml"), Chain)


def load_chain(ref: str) -> Chain:
    """A shipped chain by id, or a chain file by path."""
    return _shipped(ref) if ref in SHIPPED else load_toml(ref, Chain)


def load_gaps(path: str | os.PathLike | None = None) -> GapRule:
    return load_toml(path if path is not None else _rules("gaps.toml"), GapFile).gaps


def assign(t: StoreTables, snapshot: ir.Value, year: int, chain: Chain) -> ir.Table:
    """Enterprise × node matches of ``year``: credit_code, name, zone_id, revenue, employees, rd_expense, node,
    method ("code" | "keyword"), nodes (how many nodes the firm matched)."""
    from gaoxin.indicators.tables import visible

    e = visible(t.enterprise_year, snapshot)
    e = e.filter(e.year == year)
    return assign_rows(e, chain, ("credit_code", "name", "zone_id", "revenue", "employees", "rd_expense"),
                       "credit_code")


def assign_rows(e: ir.Table, chain: Chain, keep: tuple[str, ...], key: str) -> ir.Table:
    """Rows of ``e`` (with ``name`` and ``industry_code``) × the chain nodes they match, keeping ``keep``:
    the one assignment rule for the store's firms and for a user's lead list (``key`` identifies a firm)."""
    import ibis

    code = e.industry_code.fill_null("")
    codes = [c for n in chain.node for c in n.codes]
    any_code = ibis.or_(*[code.startswith(c) for c in codes]) if codes else ibis.literal(False)
    parts = []
    for n in chain.node:
        if n.codes:
            parts.append(e.filter(ibis.or_(*[code.startswith(c) for c in n.codes]))
                         .select(*keep, node=ibis.literal(n.id), method=ibis.literal("code")))
        if n.keywords:
            parts.append(e.filter(~any_code & ibis.or_(*[e.name.contains(k) for k in n.keywords]))
                         .select(*keep, node=ibis.literal(n.id), method=ibis.literal("keyword")))
    u = ibis.union(*parts).distinct()
    u = u.mutate(revenue=u.revenue.cast("float64"), employees=u.employees.cast("float64"),
                 rd_expense=u.rd_expense.cast("float64"))
    return u.mutate(nodes=u.node.count().over(ibis.window(group_by=key)))


def node_presence(matches: pd.DataFrame, zone_revenue: pd.Series, chain: Chain) -> pd.DataFrame:
    """Zone × node: firms, revenue and LQ against all zones (denominators: each zone's and all zones' revenue).

    ``zone_revenue`` is every zone's total revenue (index zone_id), so a zone without firms at a node has a row
    with firms 0 and LQ 0.
    """
    import pandas as pd

    g = matches.groupby(["zone_id", "node"], as_index=False).agg(firms=("credit_code", "nunique"),
                                                                 revenue=("revenue", "sum"))
    grid = pd.MultiIndex.from_product([sorted(zone_revenue.index), [n.id for n in chain.node]],
                                      names=["zone_id", "node"]).to_frame(index=False)
    p = grid.merge(g, on=["zone_id", "node"], how="left").fillna({"firms": 0, "revenue": 0.0})
    p["firms"] = p["firms"].astype("int64")
    all_rev = float(zone_revenue.sum())
    node_rev = p.groupby("node")["revenue"].transform("sum")
    z_rev = p["zone_id"].map(zone_revenue).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (p["revenue"] / z_rev) / (node_rev / all_rev)
    p["lq"] = lq.where(np.isfinite(lq))
    return p


def classify(presence: pd.DataFrame, rule: GapRule) -> pd.Series:
    """absent (no firm) | weak (LQ < weak_below) | strong (LQ ≥ strong_from) | present; unknown if no LQ."""
    lq = presence["lq"]
    out = np.select([presence["firms"] == 0, lq.isna(), lq < rule.weak_below, lq >= rule.strong_from],
                    ["absent", "unknown", "weak", "strong"], "present")
    return presence.assign(status=out)["status"]


def leads(matches: pd.DataFrame, presence: pd.DataFrame, zone: str, gap_nodes: list[str], n: int) -> pd.DataFrame:
    """For each gap node, the ``n`` largest-revenue firms at it in other zones that are strong at that node."""
    strong = presence[(presence["status"] == "strong") & (presence["zone_id"] != zone)][["zone_id", "node"]]
    c = matches[matches["node"].isin(gap_nodes)].merge(strong, on=["zone_id", "node"])
    c = c.sort_values(["node", "revenue", "credit_code"], ascending=[True, False, True], kind="stable")
    return c.groupby("node", as_index=False).head(n).reset_index(drop=True)


def zone_totals(t: StoreTables, snapshot: ir.Value, year: int) -> ir.Table:
    """Every zone of the snapshot with its province and its firms' total revenue in ``year`` (0 when none)."""
    from gaoxin.indicators.tables import visible

    e = visible(t.enterprise_year, snapshot)
    e = e.filter(e.year == year)
    rev = e.group_by("zone_id").aggregate(revenue=e.revenue.sum().cast("float64"))
    z = visible(t.zone, snapshot)
    j = z.left_join(rev, z.zone_id == rev.zone_id)
    return j.select(zone_id=z.zone_id, province_code=z.province_code, revenue=rev.revenue.fill_null(0.0))
