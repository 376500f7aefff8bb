"""Statistical disclosure control (统计数据保密) for tables of enterprise aggregates: the one function.

Why: an aggregate over few firms, or one dominated by one or two, reveals a respondent's figures
(统计法 第二十五条, docs/disclosure.md). :func:`protect` takes the long frame of contributions (one row per
contributor and classification, a column per measure) and the tables a page or report publishes, and returns
them with every cell the audience may not see set to ``None``, a flag frame and the footnote.

- **Primary suppression**: a cell with 1 … n−1 contributors (threshold rule), or whose k largest contributors
  hold more than p % of its absolute total (dominance rule), is sensitive. Empty cells are not.
- **Secondary suppression**: every published total (a margin, or a cell of another table of the same call that
  is the sum of this table's cells) is an equation an attacker can solve. No equation may have exactly one
  suppressed cell — nor exactly one that a *coalition* does not know: a contributor knows its own cells, a
  zone's staff the cells made only of that zone's firms, a province the same for its zones (``coalitions``
  columns). Complements are the smallest cells (non-zero first). Linked tables passed together share cells by
  identity (measure + classification), so a cell is suppressed in all of them or in none.
- **Audience**: the pattern above is computed once, for the public; an audience is shown, in addition, every
  cell all of whose contributors it may see (``visible``). Because the public pattern already protects against
  each zone and province coalition, what a zone user sees beyond the public never lets it recover the rest.
- Shares and ratios (:func:`ratio`, :func:`share`) are suppressed through their numerator and denominator.
  Scores and ranks are not magnitudes of respondents and are never passed here (:data:`NEVER_SUPPRESSED`).

Everything is grouped and merged in pandas; the only loop is over rounds of complementary suppression.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from gaoxin.config import ConfigError, StrictModel, load_toml

TOTAL = "合计"  # label of a margin (row or column total) in every table
COUNT = "count"  # measure name: the number of contributors (each contributes 1)
NEVER_SUPPRESSED = frozenset({"score", "rank", "rank_p05", "rank_p95", "rank_change", "percentile"})
RULES_DIR = resources.files("gaoxin.analysis").joinpath("rules", "disclosure")


class DisclosureRuleError(ConfigError):
    """A disclosure rule file that does not validate."""


class DisclosureError(ValueError):
    """Contributions or table specifications that cannot be protected (a column missing, a key empty …)."""


class RuleMeta(StrictModel):
    config_error = DisclosureRuleError
    id: str
    version: str
    source: str


class Threshold(StrictModel):
    config_error = DisclosureRuleError
    min_contributors: int = Field(default=3, ge=1)


class Dominance(StrictModel):
    config_error = DisclosureRuleError
    k: int = Field(default=2, ge=1)
    p: float = Field(default=85.0, gt=0, le=100)


class Footnote(StrictModel):
    config_error = DisclosureRuleError
    zh: str = "—：为保护统计调查对象信息而不予公布"
    en: str = "—: suppressed to protect respondents' confidentiality"


class DisclosureRules(StrictModel):
    """A disclosure rule file (``gaoxin config check`` kind ``disclosure``; default ``rules/disclosure/``)."""

    config_error = DisclosureRuleError
    rule: RuleMeta
    threshold: Threshold = Field(default_factory=Threshold)
    dominance: Dominance = Field(default_factory=Dominance)
    footnote: Footnote = Field(default_factory=Footnote)


def load_rules(path: str | Path | None = None) -> DisclosureRules:
    return load_toml(RULES_DIR.joinpath("default.toml") if path is None else Path(path), DisclosureRules,
                     DisclosureRuleError)


@dataclass(frozen=True)
class Table:
    """One published table: ``rows`` × ``cols`` of one measure, or ``rows`` × several measures (``cols=None``).

    ``margins`` publishes the row and column totals (``TOTAL``) and the grand total.
    """

    name: str
    rows: str
    cols: str | None = None
    measures: tuple[str, ...] = ("value",)
    margins: bool = True

    def groupings(self) -> list[tuple[str, ...]]:
        dims = (self.rows,) if self.cols is None else (self.rows, self.cols)
        if not self.margins:
            return [dims]
        if self.cols is None:
            return [dims, ()]
        return [dims, (self.rows,), (self.cols,), ()]


@dataclass
class Protected:
    """The tables as the audience may see them (suppressed cells ``None``), the flags and the footnote."""

    tables: dict[str, pd.DataFrame]
    flags: pd.DataFrame  # table, measure, row, col, status (primary | secondary), reason
    footnote_zh: str
    footnote_en: str
    rule_id: str = "default"
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def any_suppressed(self) -> bool:
        return not self.flags.empty

    def footnote(self) -> str | None:
        """The bilingual footnote, or None when nothing is suppressed."""
        return f"{self.footnote_zh} / {self.footnote_en.removeprefix('—: ')}" if self.any_suppressed else None


# ---------------------------------------------------------------------------------------------- input checks

def _check(contributions: pd.DataFrame, tables: Sequence[Table], contributor: str,
           coalitions: Sequence[str]) -> None:
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise DisclosureError(f"表名重复 / duplicate table names: {names}")
    for t in tables:
        if t.cols is not None and len(t.measures) != 1:
            raise DisclosureError(f"表 {t.name}：行×列的表只能有一个指标 / table {t.name}: a rows × cols table has "
                                  f"one measure, not {list(t.measures)}")
        if t.cols == t.rows:
            raise DisclosureError(f"表 {t.name}：行与列相同 / table {t.name}: rows and cols are both {t.rows!r}")
        for m in t.measures:
            if m in NEVER_SUPPRESSED:
                raise DisclosureError(f"表 {t.name}：{m} 是得分或排名，不作保密处理 / table {t.name}: {m!r} is a "
                                      "score or rank, never suppressed; publish it as it is")
    need = {contributor, *coalitions} | {d for t in tables for d in (t.rows, t.cols) if d} | {
        m for t in tables for m in t.measures if m != COUNT}
    missing = sorted(need - set(contributions.columns))
    if missing:
        raise DisclosureError(f"贡献数据缺少列 {missing} / the contributions lack column(s) {missing}; "
                              f"columns: {list(contributions.columns)}")
    for col in sorted({contributor} | {d for t in tables for d in (t.rows, t.cols) if d}):
        bad = contributions.index[contributions[col].isna()]
        if len(bad):
            rows = ", ".join(str(i) for i in bad[:5])
            raise DisclosureError(f"列 {col} 有 {len(bad)} 个空值（行 {rows}）/ column {col} has {len(bad)} empty "
                                  f"value(s) (rows {rows}); every contribution needs its classification")
    for m in sorted({m for t in tables for m in t.measures if m != COUNT}):
        if not pd.api.types.is_numeric_dtype(contributions[m]):
            raise DisclosureError(f"列 {m} 不是数值 / column {m} is not numeric ({contributions[m].dtype})")


def _visible_mask(contributions: pd.DataFrame, visible: Collection[str] | pd.Series | np.ndarray | None,
                  contributor: str) -> np.ndarray:
    if visible is None:
        return np.ones(len(contributions), dtype=bool)
    if isinstance(visible, pd.Series | np.ndarray) and len(visible) == len(contributions) and (
            np.asarray(visible).dtype == bool):
        return np.asarray(visible, dtype=bool)
    return contributions[contributor].astype(str).isin({str(v) for v in visible}).to_numpy()


# ------------------------------------------------------------------------------------------------ the cells

def _cells(c: pd.DataFrame, groupings: dict[str, set[tuple[str, ...]]], dims: list[str], k: int,
           coalitions: list[str]) -> pd.DataFrame:
    """One row per published cell: measure, grouping, every dim (TOTAL where aggregated), value, n, dominance,
    whether every contributor is visible, and its owner per coalition column (None when mixed)."""
    out = []
    for measure, gs in groupings.items():
        values = c["_one"] if measure == COUNT else c[measure]
        base = c.assign(_v=values.astype("float64"))
        base = base[base["_v"].notna()]
        for g in sorted(gs):
            keys = list(g) or ["_all"]
            agg: dict[str, Any] = {"v": ("_v", "sum"), "vis": ("_vis", "all")}
            agg |= {f"_o{i}": (col, "first") for i, col in enumerate(coalitions)}
            per = base.groupby([*keys, "_who"], sort=False, observed=True).agg(**agg).reset_index()
            per["a"] = per["v"].abs()
            per = per.sort_values("a", ascending=False, kind="stable")
            per["top"] = per["a"].where(per.groupby(keys, sort=False).cumcount() < k, 0.0)
            cagg: dict[str, Any] = {"value": ("v", "sum"), "n": ("v", "size"), "abs_total": ("a", "sum"),
                                    "topk": ("top", "sum"), "visible": ("vis", "all")}
            for i in range(len(coalitions)):
                cagg |= {f"_o{i}": (f"_o{i}", "first"), f"_u{i}": (f"_o{i}", "nunique")}
            cagg["_w"] = ("_who", "first")
            cell = per.groupby(keys, sort=False, observed=True).agg(**cagg).reset_index()
            cell["measure"], cell["grouping"] = measure, "|".join(g)
            for d in dims:
                if d not in g:
                    cell[d] = TOTAL
            out.append(cell.drop(columns=["_all"], errors="ignore"))
    if not out:
        return pd.DataFrame()
    cells = pd.concat(out, ignore_index=True)
    cells["cell"] = np.arange(len(cells))
    return cells


def _owners(cells: pd.DataFrame, coalitions: list[str]) -> pd.DataFrame:
    """(cell, coalition, owner) for every cell known wholly to one coalition member (a firm, a zone …)."""
    parts = [pd.DataFrame({"cell": cells["cell"][cells["n"] == 1], "coal": -1,
                           "owner": cells["_w"][cells["n"] == 1].astype(str)})]
    for i in range(len(coalitions)):
        one = (cells[f"_u{i}"] == 1) & cells[f"_o{i}"].notna()
        parts.append(pd.DataFrame({"cell": cells["cell"][one], "coal": i, "owner": cells[f"_o{i}"][one].astype(str)}))
    return pd.concat(parts, ignore_index=True)


def _equations(cells: pd.DataFrame, groupings: dict[str, set[tuple[str, ...]]]) -> pd.DataFrame:
    """(eq, cell) membership: for every published grouping G, dim d in G and published G−{d}, each cell of
    G−{d} equals the sum of the G cells that agree with it on G−{d}; the total is a member like the others."""
    parts, offset = [], 0
    for measure, gs in groupings.items():
        for g in gs:
            for d in g:
                h = tuple(x for x in g if x != d)
                if h not in gs:
                    continue
                inner = cells[(cells["measure"] == measure) & (cells["grouping"] == "|".join(g))]
                outer = cells[(cells["measure"] == measure) & (cells["grouping"] == "|".join(h))]
                if inner.empty:
                    continue
                if h:
                    eq = inner.groupby(list(h), sort=False).ngroup().to_numpy() + offset
                    m_in = pd.DataFrame({"eq": eq, "cell": inner["cell"].to_numpy(), "sign": 1.0})
                    keys = inner[list(h)].assign(eq=eq).drop_duplicates(list(h))
                    m_out = outer[["cell", *h]].merge(keys, on=list(h)).assign(sign=-1.0)
                else:
                    m_in = pd.DataFrame({"eq": offset, "cell": inner["cell"].to_numpy(), "sign": 1.0})
                    m_out = pd.DataFrame({"eq": offset, "cell": outer["cell"].to_numpy(), "sign": -1.0})
                parts += [m_in, m_out[["eq", "cell", "sign"]]]
                offset = int(m_in["eq"].max()) + 1
    if not parts:
        return pd.DataFrame({"eq": pd.Series(dtype="int64"), "cell": pd.Series(dtype="int64"),
                             "sign": pd.Series(dtype="float64")})
    return pd.concat(parts, ignore_index=True)


def _secondary(cells: pd.DataFrame, mem: pd.DataFrame, owners: pd.DataFrame, sup: np.ndarray) -> np.ndarray:
    """Complementary suppression, in rounds, until no equation leaves one suppressed cell that someone
    (the public, a contributor, a zone, a province) does not know and could solve for."""
    sup = sup.copy()
    mag = cells["value"].abs().to_numpy()
    order = pd.DataFrame({"cell": cells["cell"], "zero": mag == 0, "mag": mag})
    while True:
        s = mem[sup[mem["cell"].to_numpy()]]
        size = s.groupby("eq").size()
        lone = pd.DataFrame({"eq": size.index[size == 1], "coal": -2, "owner": ""})
        by = s.merge(owners, on="cell").groupby(["eq", "coal", "owner"]).size().rename("c").reset_index()
        by = by[size.reindex(by["eq"]).to_numpy() - by["c"].to_numpy() == 1][["eq", "coal", "owner"]]
        need = pd.concat([lone, by], ignore_index=True)
        if need.empty:
            return sup
        cand = mem[~sup[mem["cell"].to_numpy()]].merge(need, on="eq")
        known = cand.merge(owners.rename(columns={"owner": "o2"}), on=["cell", "coal"], how="left")
        cand = known[known["o2"].isna() | (known["o2"] != known["owner"])]
        cand = cand.merge(order, on="cell").sort_values(["zero", "mag", "cell"], kind="stable")
        picks = cand.drop_duplicates(["eq", "coal", "owner"])["cell"].unique()
        if len(picks) == 0:  # cannot happen: the equation's total is always a candidate
            raise DisclosureError("无法完成次级保密 / secondary suppression found no complement")
        sup[picks] = True


EXACT_CHECK_LIMIT = 1000  # suppressed cells per linked component checked by linear algebra


def _pinned(a: np.ndarray) -> np.ndarray:
    """Columns j of the equation matrix ``a`` (equations × unknown cells) whose value the equations fix:
    e_j in the row space, i.e. leverage 1 — the squared norm of column j of the row space's orthonormal
    basis (economy SVD: cost equations² × cells, cheap because a component has few equations)."""
    a = a[np.abs(a).sum(axis=1) > 0]
    if a.shape[0] == 0:
        return np.zeros(0, dtype=int)
    _, sv, vt = np.linalg.svd(a, full_matrices=False)
    rank = int((sv > sv.max() * max(a.shape) * 1e-12).sum())
    lev = (vt[:rank] ** 2).sum(axis=0)
    return np.flatnonzero(lev > 1 - 1e-9)


def _determined(mem: pd.DataFrame, owners: pd.DataFrame, sup: np.ndarray) -> tuple[list[tuple[int, int, str, int]],
                                                                                     int]:
    """Suppressed cells an attacker can still solve for exactly, as (cell, coalition, owner) — the singleton
    rule misses some (a suppressed cell bridging two protected cycles is fixed by the totals around it);
    the last item of each is a representative cell of its component.

    Per connected component of suppressed cells linked by equations, and per attacker (the public, every
    coalition member — zone, province — owning one of its cells, who knows those cells; single firms are
    covered by the singleton rule only): a cell is determined iff its unit vector lies in
    the row space of the equations restricted to the unknown cells (:func:`_pinned`). Components over
    :data:`EXACT_CHECK_LIMIT` cells are left to the singleton rule; their size is returned as ``unchecked``.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = mem[sup[mem["cell"].to_numpy()]]
    if m.empty:
        return [], 0
    cell_ids, ci = np.unique(m["cell"].to_numpy(), return_inverse=True)
    eq_ids, ei = np.unique(m["eq"].to_numpy(), return_inverse=True)
    nc, ne = len(cell_ids), len(eq_ids)
    graph = coo_matrix((np.ones(len(m)), (ci, nc + ei)), shape=(nc + ne, nc + ne))
    _, label = connected_components(graph, directed=False)
    own = owners[owners["cell"].isin(cell_ids)]
    own_of: dict[int, list[tuple[int, str]]] = {}
    for cid, coal, owner in zip(own["cell"].to_numpy(), own["coal"].to_numpy(), own["owner"].to_numpy(), strict=True):
        own_of.setdefault(int(cid), []).append((int(coal), str(owner)))
    found, unchecked = [], 0
    for comp in np.unique(label[:nc]):
        cols = np.flatnonzero(label[:nc] == comp)
        if len(cols) > EXACT_CHECK_LIMIT:
            unchecked += len(cols)
            continue
        rows = np.unique(ei[np.isin(ci, cols)])
        sel = np.isin(ci, cols)
        a = np.zeros((len(rows), len(cols)))
        a[np.searchsorted(rows, ei[sel]), np.searchsorted(cols, ci[sel])] = m["sign"].to_numpy()[sel]
        ids = cell_ids[cols]
        attackers: dict[tuple[int, str], set[int]] = {(-2, ""): set()}
        for j, cid in enumerate(ids):
            for key in own_of.get(int(cid), []):
                if key[0] >= 0:  # zones, provinces …; a single firm is left to the singleton rule (cost)
                    attackers.setdefault(key, set()).add(j)
        seen: set[frozenset[int]] = set()
        for (coal, owner), known in attackers.items():
            unknown = [j for j in range(len(ids)) if j not in known]
            if not unknown or frozenset(known) in seen:  # the same knowledge finds the same cells
                continue
            seen.add(frozenset(known))
            found += [(int(ids[unknown[j]]), coal, owner, int(ids[0])) for j in _pinned(a[:, unknown])]
    return found, unchecked


def _break(cells: pd.DataFrame, mem: pd.DataFrame, owners: pd.DataFrame, sup: np.ndarray,
           found: list[tuple[int, int, str, int]]) -> np.ndarray:
    """For each determined cell, suppress the smallest further cell its attacker does not know (non-zero
    first) of one of its own equations — or, when they have none left, of any equation of its component
    (the totals that pin it lie there); the caller checks again."""
    sup = sup.copy()
    mag = cells["value"].abs().to_numpy()
    f = pd.DataFrame(found, columns=["target", "coal", "owner", "comp"])
    picks = _smallest(f, f["target"], mem, owners, sup, mag)
    missing = f[~f.set_index(["target", "coal", "owner"]).index.isin(
        picks.set_index(["target", "coal", "owner"]).index)]
    if not missing.empty:  # widen to the component: the equations of every suppressed cell linked to it
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        m = mem[sup[mem["cell"].to_numpy()]]
        cid, ci = np.unique(m["cell"].to_numpy(), return_inverse=True)
        _, ei = np.unique(m["eq"].to_numpy(), return_inverse=True)
        n = len(cid) + int(ei.max()) + 1
        _, label = connected_components(coo_matrix((np.ones(len(m)), (ci, len(cid) + ei)), shape=(n, n)),
                                        directed=False)
        comp_of = dict(zip(cid.tolist(), label[:len(cid)].tolist(), strict=True))
        members = pd.DataFrame({"cell_in": cid, "label": label[:len(cid)]})
        wide = missing.assign(label=missing["comp"].map(comp_of)).merge(members, on="label")
        more = _smallest(wide, wide["cell_in"], mem, owners, sup, mag)
        picks = pd.concat([picks, more])
    if picks.empty:
        raise DisclosureError("无法完成次级保密 / secondary suppression found no complement")
    sup[picks["cell"].to_numpy()] = True
    return sup


def _smallest(f: pd.DataFrame, via: pd.Series, mem: pd.DataFrame, owners: pd.DataFrame, sup: np.ndarray,
              mag: np.ndarray) -> pd.DataFrame:
    """Per (target, coal, owner) of ``f``: the smallest unsuppressed cell, unknown to that owner, in the
    equations of the cells ``via`` (aligned with ``f``)."""
    eqs = f[["target", "coal", "owner"]].assign(via=via.to_numpy()).merge(
        mem[["eq", "cell"]].rename(columns={"cell": "via"}), on="via")
    cand = eqs.merge(mem[["eq", "cell"]], on="eq")
    cand = cand[~sup[cand["cell"].to_numpy()]]
    known = cand.merge(owners.rename(columns={"owner": "o2"}), on=["cell", "coal"], how="left")
    cand = known[known["o2"].isna() | (known["o2"] != known["owner"])].copy()
    cand["zero"], cand["mag"] = mag[cand["cell"].to_numpy()] == 0, mag[cand["cell"].to_numpy()]
    return cand.sort_values(["zero", "mag", "cell"], kind="stable").drop_duplicates(["target", "coal", "owner"])


# ---------------------------------------------------------------------------------------------- the function

def protect(contributions: pd.DataFrame, tables: Table | Sequence[Table], *, rules: DisclosureRules | None = None,
            visible: Collection[str] | pd.Series | np.ndarray | None = frozenset(), contributor: str = "credit_code",
            coalitions: Sequence[str] = ()) -> Protected:
    """Protect ``tables`` (computed from ``contributions``) for an audience that may see ``visible``.

    ``contributions``: one row per contribution, with ``contributor`` (e.g. the credit code), every table's
    ``rows``/``cols`` columns and its measure columns (missing measure values are not contributions).
    ``visible``: contributor ids (or a boolean mask over the rows) the audience may see; ``None`` = all
    (nothing suppressed), empty = the public. ``coalitions``: columns (``zone_id``, ``province_code``) whose
    members each know their own firms — protected against as attackers. Tables passed together are linked.
    """
    tables = [tables] if isinstance(tables, Table) else list(tables)
    rules = rules or load_rules()
    _check(contributions, tables, contributor, coalitions)
    dims = sorted({d for t in tables for d in (t.rows, t.cols) if d})
    measures = sorted({m for t in tables for m in t.measures if m != COUNT})
    c = contributions[[contributor, *dims, *measures, *[x for x in coalitions if x not in dims]]].copy()
    for d in dims:
        c[d] = c[d].astype(str)
    c["_who"], c["_one"], c["_all"] = c[contributor].astype(str), 1.0, TOTAL
    for col in coalitions:  # a firm of unknown zone is a coalition of its own: it never makes a cell one zone's
        c[col] = c[col].astype(object).where(c[col].notna(), "\x00" + c["_who"])
    c["_vis"] = _visible_mask(contributions, visible, contributor)
    groupings: dict[str, set[tuple[str, ...]]] = {}
    for t in tables:
        for m in t.measures:
            groupings.setdefault(m, set()).update(tuple(sorted(g)) for g in t.groupings())
    cells = _cells(c, groupings, dims, rules.dominance.k, list(coalitions))
    if cells.empty:
        return _render(tables, cells, np.zeros(0, bool), np.zeros(0, bool), dims, rules)
    n_min = rules.threshold.min_contributors
    threshold = cells["n"].to_numpy() < n_min
    dominance = (cells["topk"] * 100.0 > rules.dominance.p * cells["abs_total"]).to_numpy() & (
        cells["abs_total"].to_numpy() > 0)
    primary = threshold | dominance
    cells["reason"] = np.where(threshold, "threshold", np.where(dominance, "dominance", "complement"))
    mem, owners = _equations(cells, groupings), _owners(cells, list(coalitions))
    sup, unchecked = primary, 0
    while True:  # the singleton rule, then the exact check; each round only adds cells, so it ends
        sup = _secondary(cells, mem, owners, sup)
        found, unchecked = _determined(mem, owners, sup)
        if not found:
            break
        sup = _break(cells, mem, owners, sup, found)
    shown = sup & ~cells["visible"].to_numpy() if visible is not None else np.zeros(len(cells), bool)
    out = _render(tables, cells, shown, primary, dims, rules)
    out.counts["unchecked_cells"] = unchecked
    return out


def _render(tables: list[Table], cells: pd.DataFrame, shown: np.ndarray, primary: np.ndarray, dims: list[str],
            rules: DisclosureRules) -> Protected:
    out: dict[str, pd.DataFrame] = {}
    flags = []
    if not cells.empty:
        cells = cells.assign(_sup=shown, _primary=primary)
    for t in tables:
        sub = cells[cells["measure"].isin(t.measures) & cells["grouping"].isin(
            ["|".join(sorted(g)) for g in t.groupings()])] if not cells.empty else cells
        rows_all = _labels(sub, t.rows)
        if t.cols is None:
            frame = pd.DataFrame(index=pd.Index(rows_all, name=t.rows), columns=list(t.measures), dtype=object)
            for m in t.measures:
                if not sub.empty:
                    frame[m] = _column(sub[sub["measure"] == m], t.rows, rows_all)
        else:
            cols_all = _labels(sub, t.cols)
            s = sub.assign(_val=sub["value"].astype(object).where(~sub["_sup"], None)) if not sub.empty else sub
            frame = pd.DataFrame(0.0, index=pd.Index(rows_all, name=t.rows), columns=pd.Index(cols_all, name=t.cols),
                                 dtype=object)
            if not sub.empty:
                wide = s.pivot(index=t.rows, columns=t.cols, values="_val")
                present = s.pivot(index=t.rows, columns=t.cols, values="n").notna()
                wide = wide.reindex(index=rows_all, columns=cols_all)
                present = present.reindex(index=rows_all, columns=cols_all, fill_value=False).astype(bool)
                frame = frame.where(~present, wide).astype(object)
        out[t.name] = frame.astype(object).where(frame.notna(), None)
        if not sub.empty and sub["_sup"].any():
            f = sub[sub["_sup"]]
            flags.append(pd.DataFrame({
                "table": t.name, "measure": f["measure"].to_numpy(), "row": f[t.rows].to_numpy(),
                "col": f[t.cols].to_numpy() if t.cols else f["measure"].to_numpy(),
                "status": np.where(f["_primary"], "primary", "secondary"),
                "reason": np.where(f["_primary"], f["reason"], "complement")}))
    flag_frame = pd.concat(flags, ignore_index=True) if flags else pd.DataFrame(
        columns=["table", "measure", "row", "col", "status", "reason"])
    counts = {"cells": len(cells), "primary": int((shown & primary).sum()) if len(cells) else 0,
              "secondary": int((shown & ~primary).sum()) if len(cells) else 0}
    return Protected(out, flag_frame, rules.footnote.zh, rules.footnote.en, rules.rule.id, counts)


def _labels(sub: pd.DataFrame, dim: str) -> list[str]:
    """A table's labels along ``dim``: sorted, the margin last."""
    if sub.empty:
        return []
    vals = sorted(v for v in sub[dim].unique() if v != TOTAL)
    return vals + ([TOTAL] if (sub[dim] == TOTAL).any() else [])


def _column(s: pd.DataFrame, dim: str, labels: list[str]) -> pd.Series:
    val = pd.Series(s["value"].astype(object).where(~s["_sup"], None).to_numpy(), index=s[dim].to_numpy())
    present = pd.Series(True, index=s[dim].to_numpy())
    col = val.reindex(labels)
    has = present.reindex(labels, fill_value=False).astype(bool)
    return pd.Series([v if h else 0.0 for v, h in zip(col, has, strict=True)], index=labels, dtype=object)


# ------------------------------------------------------------------------------------ shares and ratios

def _num(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda s: pd.to_numeric(s, errors="coerce")).astype("float64")


def ratio(num: pd.DataFrame, den: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """``scale × num / den`` cell by cell (aligned by labels): ``None`` where either is suppressed or den = 0.

    A ratio whose numerator or denominator is withheld would let its reader recover the other; so it goes too.
    """
    n, d = _num(num).align(_num(den), join="outer")
    out = scale * n / d.where(d != 0)
    return out.astype(object).where(out.notna(), None)


def share(table: pd.DataFrame, of: str = "column") -> pd.DataFrame:
    """Each cell as a share of its column's ``TOTAL`` row (``of="column"``) or its row's ``TOTAL`` column."""
    v = _num(table)
    if of == "column":
        if TOTAL not in v.index:
            raise DisclosureError(f"表没有合计行 / the table has no {TOTAL} row")
        den = pd.DataFrame(np.broadcast_to(v.loc[TOTAL].to_numpy(), v.shape), index=v.index, columns=v.columns)
    elif of == "row":
        if TOTAL not in v.columns:
            raise DisclosureError(f"表没有合计列 / the table has no {TOTAL} column")
        den = pd.DataFrame(np.broadcast_to(v[[TOTAL]].to_numpy(), v.shape), index=v.index, columns=v.columns)
    else:
        raise DisclosureError(f"of 应为 column 或 row / of must be 'column' or 'row', not {of!r}")
    return ratio(v, den)


def is_suppressed(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean frame: which cells are withheld (``None``); what a surface prints as "—"."""
    return frame.isna()
