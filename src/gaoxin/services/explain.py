"""Explain a zone's change of score and rank between two evaluations (``gaoxin explain``; docs/explain.md).

Orchestration only: the decomposition is :mod:`gaoxin.evaluation.explain`, indicator values come from the
indicator stage, stored explanations from :mod:`gaoxin.store.explanations`. The *after* evaluation is a
stored one (``evaluation``) or the newest stored one of ``year``, else computed on the fly; the *before* one is
``vs_evaluation``, else the stored evaluation of ``vs`` (default the year before) with the same framework,
configuration and snapshot, else computed with the *after* evaluation's configuration on its snapshot.
Explanations are computed on demand (about 0.3 s a zone) and stored with the evaluation when ``save``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from gaoxin.services.errors import InputError, check_year_values
from gaoxin.store import evaluations as stored
from gaoxin.store import explanations as store_expl
from gaoxin.store import snapshots as store_snapshots
from gaoxin.store.db import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from gaoxin.evaluation.evaluate import Evaluation
    from gaoxin.indicators.framework import Framework

TOP_FIRMS = 5


@dataclass
class IndicatorChange:
    """One indicator's part in the change: values in its unit, scores, effective weights, contribution (points
    of the composite) and its split over the factors."""

    code: str
    ref: str | None
    name_zh: str
    name_en: str
    pillar: str
    unit: str
    direction: str
    value_before: float | None
    value_after: float | None
    score_before: float | None
    score_after: float | None
    weight_before: float
    weight_after: float
    contribution: float
    own: float
    peer: float
    method: float
    imputed_before: bool
    imputed_after: bool
    median_after: float | None
    gap_after: float | None  # value − all-zone median, in the indicator's unit
    below_median: bool  # worse than the all-zone median (direction-aware)
    reference_before: dict[str, float | None] = field(default_factory=dict)  # best/worst or mean/sd scored against
    reference_after: dict[str, float | None] = field(default_factory=dict)


@dataclass
class FirmContribution:
    """A firm's contribution to one indicator's change, in the indicator's own unit (贡献值)."""

    indicator: str
    credit_code: str
    name: str
    contribution: float


@dataclass
class Explanation:
    """Why ``zone_id``'s composite moved from the *before* to the *after* evaluation."""

    zone_id: str
    zone_name: str
    framework: str
    year: int
    base_year: int
    evaluation_id: int | None
    base_evaluation_id: int | None
    snapshot: int
    base_snapshot: int
    config_hash: str
    base_config_hash: str
    aggregation: str
    exact: bool  # additive aggregation: contributions add up to the change exactly
    score_before: float
    score_after: float
    rank_before: int
    rank_after: int
    zones_before: int
    zones_after: int
    own: float  # the change split over the factors (Shapley over the composite)
    peer: float
    method: float
    residual: float  # change − Σ indicator contributions (0 up to rounding when exact)
    indicators: list[IndicatorChange] = field(default_factory=list)
    pillars: dict[str, float] = field(default_factory=dict)  # pillar code → Σ contributions of its indicators
    firms: list[FirmContribution] = field(default_factory=list)
    firm_notes: dict[str, str] = field(default_factory=dict)  # indicator → why it has no firm contributions
    narrative_zh: str = ""
    narrative_en: str = ""

    @property
    def score_change(self) -> float:
        return self.score_after - self.score_before

    @property
    def base_key(self) -> str:
        return base_key(self.base_evaluation_id, self.base_year, self.base_snapshot, self.base_config_hash)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score_change": self.score_change}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Explanation:
        d = {k: v for k, v in d.items() if k != "score_change"}
        d["indicators"] = [IndicatorChange(**i) for i in d.get("indicators", [])]
        d["firms"] = [FirmContribution(**f) for f in d.get("firms", [])]
        return cls(**d)

    def indicator_frame(self) -> pd.DataFrame:
        """One row per indicator; the references flattened to columns (``best_before`` …) for tables."""
        import pandas as pd

        rows = []
        for i in self.indicators:
            r = asdict(i)
            for side in ("before", "after"):
                ref = r.pop(f"reference_{side}") or {}
                r.update({f"{k}_{side}": ref.get(k) for k in ("best", "worst", "mean", "sd")})
            rows.append(r)
        return pd.DataFrame(rows)

    def firm_frame(self, top_indicators: int | None = None) -> pd.DataFrame:
        """Firm contributions (``shown``: with sign and the indicator's unit), optionally only for the
        ``top_indicators`` indicators that contributed most."""
        import pandas as pd

        from gaoxin.evaluation.explain import fmt_change, top_by_magnitude

        df = pd.DataFrame([asdict(f) for f in self.firms], columns=["indicator", "credit_code", "name",
                                                                    "contribution"])
        units = {i.code: i.unit for i in self.indicators}
        if top_indicators is not None:
            contrib = pd.Series({i.code: i.contribution for i in self.indicators}, dtype=float)
            df = df[df["indicator"].isin(top_by_magnitude(contrib, top_indicators))]
        df["shown"] = [("+" if c > 0 else "−") + fmt_change(c, units.get(k, ""))
                       for k, c in zip(df["indicator"], df["contribution"], strict=True)]
        return df.reset_index(drop=True)


def base_key(eid: int | None, year: int, snapshot: int, chash: str) -> str:
    """How a stored explanation names its baseline."""
    return f"evaluation:{eid}" if eid is not None else f"year:{year}:snapshot:{snapshot}:config:{chash}"


@dataclass
class _Side:
    """One evaluation to compare: where it comes from and its (re-)computed result."""

    fw: Framework
    fw_hash: str
    year: int
    snapshot: int
    steps: list
    chash: str
    eid: int | None
    ev: Evaluation
    references: dict[str, dict[str, float | None]] | None = None  # per indicator, computed once


def _run(fw: Framework, data: pd.DataFrame, year: int, sid: int, steps: list) -> Evaluation:
    from gaoxin.evaluation.evaluate import evaluate_data

    return evaluate_data(fw, data, year, sid, steps)[0]


def _side_stored(store: Store, eid: int) -> _Side:
    from gaoxin.evaluation.pipeline import as_steps
    from gaoxin.services.evaluation import _stored_framework, zone_data

    row = stored.load(store.con, eid)
    fw = _stored_framework(row, eid)
    year, sid = int(row["year"]), int(row["snapshot_id"])
    steps = as_steps(json.loads(row["config"]))
    ev = _run(fw, zone_data(store, fw, year, sid), year, sid, steps)
    return _Side(fw, str(row["framework_hash"]), year, sid, steps, str(row["config_hash"]), eid, ev)


def _side_fresh(store: Store, fw: Framework, fw_hash: str, year: int, sid: int, steps: list | None) -> _Side:
    """An evaluation computed on the fly, unsaved (``steps`` None: the evaluation stage's default for it)."""
    from gaoxin.evaluation.evaluate import evaluate_data
    from gaoxin.evaluation.pipeline import as_steps, config_hash
    from gaoxin.services.evaluation import zone_data

    ev, used = evaluate_data(fw, zone_data(store, fw, year, sid), year, sid, steps)
    used = as_steps(used)
    return _Side(fw, fw_hash, year, sid, used, config_hash(used), None, ev)


def _newest(store: Store, framework_id: str, year: int) -> int | None:
    df = stored.listing(store.con)
    df = df[(df["year"] == year) & (df["framework_id"] == framework_id)]
    return int(df["id"].max()) if len(df) else None


def _sides(store: Store, year: int | None, vs: int | None, evaluation: int | None, vs_evaluation: int | None,
           framework: str, snapshot: str | int | None) -> tuple[_Side, _Side]:
    from gaoxin.evaluation.provenance import framework_source
    from gaoxin.services.evaluation import _framework

    check_year_values(year, vs)
    if evaluation is None and year is not None:
        fw0 = _framework(framework)
        evaluation = _newest(store, fw0.id, year) if snapshot is None else None
    if evaluation is not None:
        after = _side_stored(store, evaluation)
        if year is not None and after.year != year:
            raise InputError(f"评价 {evaluation} 是 {after.year} 年的，不是 {year} 年 / evaluation {evaluation} is "
                             f"of {after.year}, not {year}")
    else:
        src = framework_source(_framework(framework))
        sid = store_snapshots.resolve(store.con, snapshot)
        if year is None:
            year = store_snapshots.last_year(store.con, sid)
            if year is None:
                raise InputError(f"快照{sid}没有企业数据 / snapshot {sid} holds no enterprise rows")
        after = _side_fresh(store, src.framework, src.hash, year, sid, None)
    if vs_evaluation is not None:
        before = _side_stored(store, vs_evaluation)
    else:
        y0 = after.year - 1 if vs is None else vs
        prev = stored.previous(store.con, after.fw_hash, after.fw.id, after.chash, y0, after.snapshot)
        before = (_side_stored(store, prev) if prev else
                  _side_fresh(store, after.fw, after.fw_hash, y0, after.snapshot, after.steps))
    if before.fw_hash != after.fw_hash and before.fw.model_dump(exclude={"path"}) != after.fw.model_dump(
            exclude={"path"}):
        raise InputError("两次评价的指标体系不同，无法逐项分解 / the two evaluations use different frameworks: "
                         "an indicator-by-indicator explanation needs the same framework")
    if before.year == after.year and before.snapshot == after.snapshot and before.chash == after.chash:
        raise InputError(f"对比的两次评价相同（{after.year} 年）/ both sides are the same evaluation ({after.year}); "
                         "give --vs YEAR or --vs-evaluation ID")
    return before, after


# --------------------------------------------------------------------------- the decomposition


def _has_method(before: _Side, after: _Side) -> bool:
    """Whether the configurations differ in more than reference data (published benchmark values)."""
    from gaoxin.evaluation.explain import steps_without_reference

    return steps_without_reference(before.steps) != steps_without_reference(after.steps)


def _hybrid(before: _Side, after: _Side, zone: str, s: frozenset[str], has_method: bool) -> Evaluation:
    """The world where the factors in ``s`` take their *after* state: the zone's own row, the other zones'
    rows (with the benchmark values published for their year) and the method."""
    import pandas as pd

    from gaoxin.evaluation.explain import with_reference

    own = after if "own" in s else before
    peer = after if "peer" in s else before
    method = (after if "method" in s else before) if has_method else peer
    if own is peer and method is peer:
        return own.ev
    data = pd.concat([peer.ev.data.drop(index=zone), own.ev.data.loc[[zone]]]).sort_index()
    return _run(after.fw, data, peer.year, peer.snapshot, with_reference(method.steps, peer.steps))


def _zone_vector(ev: Evaluation, zone: str, renormalise: bool) -> tuple[pd.Series, pd.Series, float]:
    from gaoxin.evaluation.explain import effective_weights

    inds = _inds(ev)
    s = ev.result.scores.loc[zone, inds].astype(float)
    composite = float(ev.result.scores.loc[zone, ev.framework.meta.index_code])
    return s, effective_weights(ev.meta, ev.result.weights, s, renormalise), composite


def _inds(ev: Evaluation) -> list[str]:
    return [c for c in ev.meta.loc[ev.meta["Type"] == "Indicator", "iCode"] if c in ev.result.scores.columns]


def _aggregation(side: _Side) -> tuple[str, dict]:
    agg = [s for s in side.steps if s.name == "aggregate"][-1]
    p = dict(agg.params)
    return str(p.pop("method", "arithmetic")), p


def _aggregator(side: _Side, zone: str) -> Callable[[pd.DataFrame], float]:
    """The zone's composite from a frame of every zone's indicator scores, with ``side``'s tree and weights."""
    from gaoxin.evaluation.methods.aggregate import aggregate_tree

    method, kw = _aggregation(side)
    ev = side.ev
    root = ev.framework.meta.index_code

    def agg(frame: pd.DataFrame) -> float:
        return float(aggregate_tree(frame, ev.meta, method=method, weights=ev.result.weights, **kw).at[zone, root])

    return agg


def _decompose(before: _Side, after: _Side, zone: str) -> tuple[pd.DataFrame, dict[str, float], bool, str]:
    """Indicator × (contribution, own, peer, method, scores, weights); composite factor parts; exact; method."""
    from itertools import combinations

    import numpy as np
    import pandas as pd

    from gaoxin.evaluation import explain as ex

    has_method = _has_method(before, after)
    players = ["own", "peer"] + (["method"] if has_method else [])
    (m0, _), (m1, _) = _aggregation(before), _aggregation(after)
    exact = m0 in ex.ADDITIVE_METHODS and m1 in ex.ADDITIVE_METHODS
    worlds: dict[frozenset[str], tuple[pd.Series, pd.Series, float]] = {}
    for k in range(len(players) + 1):
        for c in combinations(players, k):
            s = frozenset(c)
            side = after if "method" in s or not has_method else before
            worlds[s] = _zone_vector(_hybrid(before, after, zone, s, has_method), zone,
                                     _aggregation(side)[0] != "sum")
    composite = ex.shapley(lambda s: np.array(worlds[s][2]), players)
    parts = {f: float(composite[f]) if f in composite else 0.0 for f in ex.FACTORS}
    full, none = frozenset(players), frozenset()
    if exact:
        df = ex.additive_factor_contributions({s: (v[0], v[1]) for s, v in worlds.items()}, players)
    else:
        contrib, _ = ex.swap_contributions(_aggregator(before, zone), _aggregator(after, zone),
                                           before.ev.result.scores[_inds(before.ev)],
                                           after.ev.result.scores[_inds(after.ev)])
        codes = list(contrib.index)
        b, a = worlds[none][0].reindex(codes), worlds[full][0].reindex(codes)
        score_parts = ex.shapley(lambda s: worlds[s][0].reindex(codes).to_numpy(dtype=float), players)
        ds = (a - b).to_numpy(dtype=float)
        ok = np.isfinite(ds) & (ds != 0)
        df = pd.DataFrame({"contribution": contrib}, index=codes)
        for f in ex.FACTORS:  # the indicator's contribution split like its own score's change
            part = np.nan_to_num(score_parts[f]) if f in score_parts else np.zeros(len(codes))
            df[f] = contrib.to_numpy() * np.where(ok, part / np.where(ok, ds, 1.0), 0.0)
        # no score change of the zone's own: the contribution came through the other zones (ideal points)
        df["peer"] = df["peer"] + np.where(ok, 0.0, contrib.to_numpy())
    df["score_before"] = worlds[none][0].reindex(df.index)
    df["score_after"] = worlds[full][0].reindex(df.index)
    df["weight_before"] = worlds[none][1].reindex(df.index).fillna(0.0)
    df["weight_after"] = worlds[full][1].reindex(df.index).fillna(0.0)
    return df, parts, exact, m1


def _pillar_of(fw: Framework) -> dict[str, str]:
    parent = {p.code: p.parent for p in fw.pillars}

    def top(code: str) -> str:
        while parent.get(code):
            code = parent[code]  # type: ignore[assignment]
        return code

    return {i.code: top(i.parent) for i in fw.indicators}


def _num(x: Any) -> float | None:
    import math

    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _references(side: _Side) -> dict[str, dict[str, float | None]]:
    from gaoxin.evaluation.explain import normalise_references

    if side.references is None:
        r = side.ev.result
        dirs = side.ev.meta.set_index("iCode")["Direction"].astype(float)
        refs = normalise_references(r.steps, r.log, r.datasets, dirs)
        side.references = {c: {k: _num(v) for k, v in row.items() if _num(v) is not None}
                           for c, row in refs.iterrows()}
    return side.references


def _indicators(before: _Side, after: _Side, zone: str, df: pd.DataFrame) -> list[IndicatorChange]:
    fw = after.fw
    pillar = _pillar_of(fw)
    ref0, ref1 = _references(before), _references(after)
    d0, d1 = before.ev.data, after.ev.data
    out = []
    for i in fw.indicators:
        if i.code not in df.index:
            continue
        r = df.loc[i.code]
        v0 = _num(d0.at[zone, i.code]) if i.code in d0.columns else None
        v1 = _num(d1.at[zone, i.code]) if i.code in d1.columns else None
        med = _num(d1[i.code].median()) if i.code in d1.columns else None
        gap = None if v1 is None or med is None else v1 - med
        sign = -1.0 if i.direction == "cost" else 1.0
        out.append(IndicatorChange(
            i.code, i.ref, i.name_zh, i.name_en, pillar[i.code], i.unit, i.direction, v0, v1,
            _num(r["score_before"]), _num(r["score_after"]), float(r["weight_before"]), float(r["weight_after"]),
            float(r["contribution"]), float(r["own"]), float(r["peer"]), float(r["method"]),
            v0 is None and _num(r["score_before"]) is not None, v1 is None and _num(r["score_after"]) is not None,
            med, gap, gap is not None and sign * gap < 0, ref0.get(i.code, {}), ref1.get(i.code, {})))
    return out


# --------------------------------------------------------------------------- enterprise contributions


@dataclass
class _FirmTerms:
    """Every decomposable indicator's terms, and those terms per firm and per zone for one side."""

    terms: dict[str, Any]  # indicator → Terms, or the reason it has none
    column: dict[str, str]  # term source text → column name
    firms: pd.DataFrame  # credit_code × (zone_id, term columns) of the year
    zones: pd.DataFrame  # zone_id × zone-level term columns (facts)


def _term_plan(fw: Framework) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    from gaoxin.evaluation.explain import Terms, formula_terms

    terms = {i.code: formula_terms(i.formula) for i in fw.indicators}
    ent: dict[str, str] = {}
    zon: dict[str, str] = {}
    for t in terms.values():
        if isinstance(t, Terms):
            for src in t.enterprise.values():
                ent.setdefault(src, f"x{len(ent)}")
            for src in t.zone.values():
                zon.setdefault(src, f"z{len(zon)}")
    return terms, ent, zon


def _term_framework(columns: dict[str, str]) -> Framework:
    from gaoxin.indicators.framework import parse_framework

    return parse_framework({
        "framework": {"id": "explain-terms", "name_zh": "分解项", "name_en": "explanation terms", "version": "1",
                      "source": "gaoxin explain"},
        "pillar": [{"code": "p", "name_zh": "项", "name_en": "terms"}],
        "indicator": [{"code": col, "name_zh": col, "name_en": col, "parent": "p", "formula": src,
                       "source": "gaoxin explain"} for src, col in columns.items()]}, "<explain terms>")


def _firm_terms(store: Store, fw: Framework, year: int, sid: int) -> _FirmTerms:
    import pandas as pd

    from gaoxin.indicators.compute import compute_indicators

    terms, ent, zon = _term_plan(fw)
    firms = pd.DataFrame(columns=["zone_id"])
    zones = pd.DataFrame()
    if ent:
        f = compute_indicators(store.cursor(), _term_framework(ent), (year, year), sid, unit="enterprise-year")
        firms = f[f["year"] == year].drop(columns="year").set_index("credit_code")
    if zon:
        z = compute_indicators(store.cursor(), _term_framework(zon), (year, year), sid)
        zones = z[z["year"] == year].drop(columns="year").set_index("zone_id")
    return _FirmTerms(terms, {**ent, **zon}, firms, zones)


def _zone_terms(ft: _FirmTerms, zone: str) -> tuple[pd.DataFrame, dict[str, float | None]]:
    """The zone's firms × term columns, and the zone's term values (firm sums; facts)."""
    rows = ft.firms[ft.firms["zone_id"] == zone].drop(columns="zone_id").astype(float)
    vals: dict[str, float | None] = {c: float(rows[c].fillna(0.0).sum()) for c in rows.columns}
    if zone in ft.zones.index:
        vals.update({c: _num(ft.zones.at[zone, c]) for c in ft.zones.columns})
    return rows, vals


def _firms(store: Store, before: _Side, after: _Side, zone: str, ft0: _FirmTerms, ft1: _FirmTerms,
           top: int) -> tuple[list[FirmContribution], dict[str, str]]:

    from gaoxin.evaluation.explain import Terms, firm_contributions, term_shapley, top_by_magnitude

    r0, v0 = _zone_terms(ft0, zone)
    r1, v1 = _zone_terms(ft1, zone)
    cols_all = sorted(set(r0.columns) | set(r1.columns))
    firm_ids = r0.index.union(r1.index)  # firms on one side only count with 0 on the other
    delta = (r1.reindex(index=firm_ids, columns=cols_all).fillna(0.0)
             - r0.reindex(index=firm_ids, columns=cols_all).fillna(0.0))
    firms: list[FirmContribution] = []
    notes: dict[str, str] = {}
    for code, t in ft1.terms.items():
        if not isinstance(t, Terms):
            notes[code] = t
            continue
        local = {name: ft1.column[src] for name, src in {**t.enterprise, **t.zone}.items()}
        b = {name: v0.get(col) for name, col in local.items()}
        a = {name: v1.get(col) for name, col in local.items()}
        shares = term_shapley(t, b, a)
        if shares is None:
            notes[code] = "一方无值，不能分解 / missing in one year: no firm split"
            continue
        d = delta[[local[n] for n in t.enterprise]]
        d.columns = list(t.enterprise)
        c = firm_contributions(shares, d)
        zone_part = sum(shares[n] for n in t.zone)
        best = top_by_magnitude(c, top)
        for cc in best:
            firms.append(FirmContribution(code, str(cc), "", float(c[cc])))
        rest = float(c.sum() - c[best].sum())
        if rest:
            firms.append(FirmContribution(code, "", f"其他企业 other firms ({len(c) - min(top, len(c))})", rest))
        if zone_part:
            firms.append(FirmContribution(code, "", "园区统计 zone statistics", float(zone_part)))
    names = store_expl.enterprise_names(store.con, after.snapshot, after.year, [f.credit_code for f in firms
                                                                                 if f.credit_code])
    for f in firms:
        if f.credit_code:
            f.name = names.get(f.credit_code, f.credit_code)
    return firms, notes


# --------------------------------------------------------------------------- the whole explanation


def _require_zone(before: _Side, after: _Side, zone: str) -> None:
    for side, zh, en in ((before, "基期", "base"), (after, "报告期", "explained")):
        scores = side.ev.result.scores
        if zone not in scores.index or not bool(scores[side.fw.meta.index_code].notna().get(zone, False)):
            raise InputError(f"园区 {zone} 不在{zh}评价（{side.year} 年）中或没有综合得分 / zone {zone} is not in "
                             f"the {en} evaluation ({side.year}) or has no index score there")


def _explain_zone(store: Store, before: _Side, after: _Side, zone: str, ft0: _FirmTerms | None,
                  ft1: _FirmTerms | None, top: int) -> Explanation:
    from gaoxin.evaluation.explain import narrative

    _require_zone(before, after, zone)
    df, parts, exact, method = _decompose(before, after, zone)
    root = after.fw.meta.index_code
    s0 = float(before.ev.result.scores.at[zone, root])
    s1 = float(after.ev.result.scores.at[zone, root])
    inds = _indicators(before, after, zone, df)
    pillars: dict[str, float] = {}
    for i in inds:
        pillars[i.pillar] = pillars.get(i.pillar, 0.0) + i.contribution
    zones = store_snapshots.zones(store.con, after.snapshot).set_index("zone_id")["name"]
    firms, notes = (_firms(store, before, after, zone, ft0, ft1, top) if ft0 is not None and ft1 is not None
                    else ([], {}))
    e = Explanation(
        zone, str(zones.get(zone, zone)), after.fw.id, after.year, before.year, after.eid, before.eid,
        after.snapshot, before.snapshot, after.chash, before.chash, method, exact, s0, s1,
        int(before.ev.result.ranks.at[zone, root]), int(after.ev.result.ranks.at[zone, root]),
        int(before.ev.result.scores[root].notna().sum()), int(after.ev.result.scores[root].notna().sum()),
        parts["own"], parts["peer"], parts["method"], (s1 - s0) - float(df["contribution"].sum()),
        inds, pillars, firms, notes)
    names = {p.code: (p.name_zh, p.name_en) for p in after.fw.pillars}
    e.narrative_zh, e.narrative_en = narrative(e.to_dict(), names)
    return e


def _check_zone(store: Store, zone: str | None, evaluation: int | None, snapshot: str | int | None) -> str:
    """A zone code that names a zone of the snapshot in question (cheap: before anything is computed)."""
    if not zone or not str(zone).strip():
        raise InputError("请给出园区代码 / give a zone code (--zone)")
    zone = str(zone).strip()
    sid = (int(stored.load(store.con, evaluation)["snapshot_id"]) if evaluation is not None
           else store_snapshots.resolve(store.con, snapshot))
    if zone not in set(store_snapshots.zones(store.con, sid)["zone_id"]):
        raise InputError(f"快照{sid}中没有园区 {zone} / no zone {zone!r} in snapshot {sid}")
    return zone


def explain(store: Store, zone: str, year: int | None = None, vs: int | None = None, *,
            evaluation: int | None = None, vs_evaluation: int | None = None, framework: str = "national-2021",
            snapshot: str | int | None = None, save: bool = False, recompute: bool = False,
            top_firms: int = TOP_FIRMS) -> Explanation:
    """Why ``zone``'s score and rank changed (see the module docstring for which two evaluations).

    A stored explanation of the same evaluation and baseline is returned as stored unless ``recompute``;
    ``save`` stores a computed one with the evaluation (which must then be a stored one).
    """
    zone = _check_zone(store, zone, evaluation, snapshot)
    if save:
        store.require_write()
    if top_firms < 0:
        raise InputError(f"企业数应 ≥ 0，而不是 {top_firms} / --top-firms must be ≥ 0, not {top_firms}")
    if not recompute and evaluation is not None and vs is None and vs_evaluation is None:
        hit = store_expl.load(store.con, evaluation, zone)
        if hit is not None:
            return Explanation.from_dict(hit)
    before, after = _sides(store, year, vs, evaluation, vs_evaluation, framework, snapshot)
    if not recompute and after.eid is not None:
        key = base_key(before.eid, before.year, before.snapshot, before.chash)
        hit = store_expl.load(store.con, after.eid, zone, key)
        if hit is not None:
            return Explanation.from_dict(hit)
    _require_zone(before, after, zone)
    if save:
        _check_saveable(after)
    ft0 = _firm_terms(store, after.fw, before.year, before.snapshot)
    ft1 = _firm_terms(store, after.fw, after.year, after.snapshot)
    e = _explain_zone(store, before, after, zone, ft0, ft1, top_firms)
    if save:
        _save(store, after, [e])
    return e


def explain_all(store: Store, evaluation: int, vs: int | None = None, vs_evaluation: int | None = None, *,
                save: bool = True, top_firms: int = TOP_FIRMS) -> list[Explanation]:
    """Explanations of every zone of stored evaluation ``evaluation`` present in both (stored when ``save``)."""
    if save:
        store.require_write()
    before, after = _sides(store, None, vs, evaluation, vs_evaluation, "national-2021", None)
    if save:
        _check_saveable(after)
    ft0 = _firm_terms(store, after.fw, before.year, before.snapshot)
    ft1 = _firm_terms(store, after.fw, after.year, after.snapshot)
    common = sorted(set(before.ev.result.scores.index) & set(after.ev.result.scores.index))
    out = [_explain_zone(store, before, after, z, ft0, ft1, top_firms) for z in common]
    if save:
        _save(store, after, out)
    return out


def _check_saveable(after: _Side) -> None:
    if after.eid is None:
        raise InputError("只能随已保存的评价存储解释；请先运行 gaoxin evaluate / an explanation is stored with a "
                         "stored evaluation: run gaoxin evaluate for that year first")


def _save(store: Store, after: _Side, items: list[Explanation]) -> None:
    _check_saveable(after)
    if not items:
        return
    e = items[0]
    store_expl.save(store.con, after.eid, e.base_key, e.base_evaluation_id, e.base_year,
                    {x.zone_id: _jsonable(x.to_dict()) for x in items})


def _jsonable(obj: Any) -> Any:
    """Plain JSON (no NaN: missing is null)."""
    import math

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
