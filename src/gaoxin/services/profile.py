"""A zone's profile from a stored evaluation (issue #10 §4.2), and the explanation of its rank change.

Rules (decision 0030):

- **percentile** of a zone on an indicator = 100 · (n − rank) / (n − 1) over the n zones the stored
  evaluation ranked on it (the best zone 100, the worst 0; a single zone 100).  Ranks are the stored,
  direction-aware ranks of the indicator's score, so a cost indicator's best zone is its lowest value.
- **gap** = the zone's value − the all-zone median value, in the indicator's unit.
- **strengths**: the (up to) 3 indicators with the highest percentile, if ≥ 75; **weaknesses**: the 3 with
  the lowest percentile, if ≤ 25; ties by indicator code.  Percentiles, not raw scores, so indicators on
  different scales compare.
- **series**: score and rank in every stored evaluation of the same framework id and configuration hash
  (the newest per year); **warnings** and their history: the dynamic-management rules over that series
  (``evaluation.manage``), re-applied year by year so each year's status uses only the years up to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gaoxin.services import readcache
from gaoxin.services.overview import NotFound, evaluation_framework, evaluation_info, jsonable, median, ranking_table
from gaoxin.store import evaluations as stored
from gaoxin.store.db import Store

if TYPE_CHECKING:
    from gaoxin.services.access import Access

TOP_N = 3
STRONG_PCT = 75.0
WEAK_PCT = 25.0


def percentile(rank: float | None, n: int) -> float | None:
    """100 for the best of ``n`` ranked zones, 0 for the worst; None without a rank."""
    if rank is None or rank != rank or n <= 0:
        return None
    return 100.0 if n == 1 else 100.0 * (n - float(rank)) / (n - 1)


def _indicator_table(store: Store, eid: int) -> dict[str, list[dict[str, Any]]]:
    """zone → its indicator rows (value, unit, rank, percentile, gap), computed once per evaluation."""
    import pandas as pd

    fw = evaluation_framework(store, eid)
    sc = stored.scores(store.con, eid, level=1)
    meta = {i.code: i for i in fw.indicators}
    pillar_of = _top_pillars(fw)
    out: dict[str, list[dict[str, Any]]] = {}
    for code, g in sc.groupby("code", sort=True):
        ind = meta.get(code)
        n = int(g["rank"].notna().sum())
        med = g["value"].median() if g["value"].notna().any() else None
        med_score = g["score"].median() if g["score"].notna().any() else None
        for r in g.itertuples(index=False):
            val = None if pd.isna(r.value) else float(r.value)
            rank = None if pd.isna(r.rank) else int(r.rank)
            out.setdefault(r.zone_id, []).append({
                "code": code, "ref": ind.ref if ind else None, "name_zh": ind.name_zh if ind else code,
                "name_en": ind.name_en if ind else code, "unit": ind.unit if ind else "",
                "direction": ind.direction if ind else "benefit", "pillar": pillar_of.get(code),
                "value": val, "score": None if pd.isna(r.score) else float(r.score), "rank": rank, "zones": n,
                "percentile": percentile(rank, n), "median": None if med is None else float(med),
                "gap": None if val is None or med is None else val - float(med),
                "score_gap": None if pd.isna(r.score) or med_score is None else float(r.score) - float(med_score)})
    return jsonable(out)


def _top_pillars(fw: Any) -> dict[str, str]:
    parent = {p.code: p.parent for p in fw.pillars}
    out = {}
    for i in fw.indicators:
        p = i.parent
        while parent.get(p):
            p = parent[p]
        out[i.code] = p
    return out


def strengths_weaknesses(rows: list[dict[str, Any]], top_n: int = TOP_N) -> tuple[list[dict], list[dict]]:
    """The documented rule (module docstring) over one zone's indicator rows."""
    ranked = [r for r in rows if r["percentile"] is not None]
    best = sorted(ranked, key=lambda r: (-r["percentile"], r["code"]))
    worst = sorted(ranked, key=lambda r: (r["percentile"], r["code"]))
    pick = ("code", "name_zh", "name_en", "pillar", "value", "unit", "rank", "percentile", "gap")
    s = [{k: r[k] for k in pick} for r in best if r["percentile"] >= STRONG_PCT][:top_n]
    w = [{k: r[k] for k in pick} for r in worst if r["percentile"] <= WEAK_PCT][:top_n]
    return s, w


def _series_ids(store: Store, eid: int) -> list[tuple[int, int]]:
    """(year, evaluation id) of the same framework and configuration, newest evaluation per year."""
    from gaoxin.services.evaluation import list_evaluations

    df = list_evaluations(store)
    me = df[df["id"] == eid].iloc[0]
    same = df[(df["framework"] == me["framework"]) & (df["config_hash"] == me["config_hash"])]
    newest = same.sort_values("id").groupby("year").tail(1)
    return sorted((int(r.year), int(r.id)) for r in newest.itertuples(index=False))


def _panel(store: Store, eid: int) -> Any:
    """zone × year (score, rank, region) over the series' evaluations."""
    import pandas as pd

    parts = []
    for year, sid in _series_ids(store, eid):
        t = ranking_table(store, sid)
        parts.append(t[["zone_id", "region", "rank", "score"]].assign(year=year))
    return pd.concat(parts, ignore_index=True)


def _warnings(panel: Any) -> dict[str, list[dict[str, Any]]]:
    """zone → [{year, level, level_zh, reason_zh, reason_en}] for every year of the panel."""
    from gaoxin.evaluation.manage import load_rules, manage

    rules = load_rules(None)
    out: dict[str, list[dict[str, Any]]] = {}
    for y in sorted(panel["year"].unique()):
        lists = manage(panel, rules, year=int(y))
        for r in lists.itertuples(index=False):
            out.setdefault(r.zone_id, []).append({"year": int(y), "level": r.status, "level_zh": r.status_zh,
                                                  "reason_zh": r.reason_zh, "reason_en": r.reason_en})
    return jsonable(out)


def _zone_level(store: Store, eid: int) -> dict[str, Any]:
    """Everything of the profile that is computed over all zones at once, cached per evaluation."""
    t = ranking_table(store, eid)
    panel = _panel(store, eid)
    fw = evaluation_framework(store, eid)
    pillars = [p for p in fw.pillars if p.parent is None]
    med = {}
    for p in pillars:
        col = f"pillar:{p.code}"
        med[p.code] = {"national": median(t[col].dropna().tolist()),
                       "region": {str(g): median(x[col].dropna().tolist()) for g, x in t.groupby("region")}}
    return {"table": t, "indicators": _indicator_table(store, eid), "panel": panel,
            "warnings": _warnings(panel), "pillar_medians": med, "pillars": pillars}


def profile(store: Store, eid: int, zone: str) -> dict[str, Any]:
    """The profile of ``zone`` in stored evaluation ``eid`` (see the module docstring for the rules)."""
    return readcache.cached(store, "profile", (eid, zone), lambda: _profile(store, eid, zone))


def _profile(store: Store, eid: int, zone: str) -> dict[str, Any]:
    base = readcache.cached(store, "profile_base", eid, lambda: _zone_level(store, eid))
    t = base["table"]
    hit = t[t["zone_id"] == zone]
    if hit.empty:
        raise NotFound(f"园区不存在或未参加该评价 / zone {zone} not found in evaluation {eid}")
    row = jsonable(hit.to_dict(orient="records"))[0]
    region = row["region"]
    pillars = [{"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en, "score": row.get(f"pillar:{p.code}"),
                "region_median": base["pillar_medians"][p.code]["region"].get(str(region)),
                "national_median": base["pillar_medians"][p.code]["national"]} for p in base["pillars"]]
    inds = base["indicators"].get(zone, [])
    strengths, weaknesses = strengths_weaknesses(inds)
    p = base["panel"]
    series = [{"year": int(r.year), "score": float(r.score), "rank": int(r.rank)}
              for r in p[p["zone_id"] == zone].sort_values("year").itertuples(index=False)]
    return jsonable({
        "zone": {"zone_id": zone, "name": row["name"], "province_code": row["province_code"], "region": region},
        "evaluation": evaluation_info(store, eid),
        "score": row["score"], "rank": row["rank"], "rank_p05": row["rank_p05"], "rank_p95": row["rank_p95"],
        "rank_change": row["rank_change"], "zones": len(t),
        "type": row["zone_type"], "type_zh": row["zone_type_zh"], "grade": row["grade"],
        "pillars": pillars, "indicators": inds, "strengths": strengths, "weaknesses": weaknesses,
        "series": series, "warnings": base["warnings"].get(zone, []),
        "units": {"score": "分 points (0–100)", "gap": "指标单位 the indicator's unit", "percentile": "%"},
        "rules": {"percentile": "100·(n−rank)/(n−1)", "strengths": f"top {TOP_N} percentiles ≥ {STRONG_PCT:g}",
                  "weaknesses": f"bottom {TOP_N} percentiles ≤ {WEAK_PCT:g}", "decision": "docs/decisions/0030"}})


def plan(store: Store, year: int, zone: str | None = None, snapshot: int | None = None) -> list[dict[str, Any]]:
    """Plan-target progress of ``year`` (the packaged national targets; ``zone``: the zone's own targets and
    its province's), cached per snapshot and year."""
    from gaoxin.services import monitoring
    from gaoxin.store import snapshots as snaps

    sid = snapshot if snapshot is not None else snaps.latest(store.con)

    def build() -> list[dict[str, Any]]:
        df = monitoring.monitor(store, year, monitoring.load_targets(), snapshot=sid)
        return jsonable(df)

    rows = readcache.cached(store, "plan", (sid, year), build)
    if zone is None:
        return rows
    prov = next((z["province_code"] for z in _zones(store) if z["zone_id"] == zone), None)
    return [r for r in rows if (r["scope"] == "zone" and r["scope_id"] == zone)
            or (r["scope"] == "province" and prov and str(r["scope_id"])[:2] == str(prov)[:2])]


def _zones(store: Store) -> list[dict[str, Any]]:
    from gaoxin.services.overview import zones

    return zones(store)


def explanation(store: Store, eid: int, zone: str, *, with_firms: bool, sees_all: bool = True) -> dict[str, Any]:
    """Why ``zone``'s rank changed in ``eid`` (the stored explanation, else computed once and cached);
    ``firms`` is None unless ``with_firms`` (the caller may read the zone's enterprises).  Without
    ``sees_all`` (a role that may not read every zone's firms) the indicator values, medians, gaps and the
    best/worst reference values (each one zone's value) are null; contributions are score points and stay."""
    from gaoxin.services.explain import explain

    def build() -> dict[str, Any]:
        e = explain(store, zone, evaluation=eid)
        return jsonable(e.to_dict())

    d = readcache.cached(store, "explanation", (eid, zone), build)
    out = {k: v for k, v in d.items() if k != "firms"}
    out.update({"zone": zone, "from": d["base_year"], "to": d["year"],
                "rank_change": d["rank_before"] - d["rank_after"], "firms": d["firms"] if with_firms else None})
    if not sees_all:
        derived = enterprise_derived(evaluation_framework(store, eid))
        hide = ("median_after", "gap_after", "reference_before", "reference_after", *(
            () if with_firms else ("value_before", "value_after")))
        out["indicators"] = [{**i, **{k: None for k in hide}} if i["code"] in derived else i
                             for i in d["indicators"]]
    return out


# ------------------------------------------------------------------------------------ disclosure for a user

def enterprise_derived(fw: Any) -> set[str]:
    """Indicators computed from enterprise rows (anything but a formula made only of ``fact("…")`` zone facts):
    their values are respondents' magnitudes and pass disclosure control; zone facts and scores do not."""
    import re

    out = set()
    for i in fw.indicators:
        rest = re.sub(r'fact\(\s*"[^"]*"\s*\)', "", i.formula)
        if i.qualitative:
            continue
        if re.search(r"[A-Za-z_]", rest) or "fact(" not in i.formula:
            out.add(i.code)
    return out


def _zone_cells_public(store: Store, access: Access, snapshot: int, year: int, zone: str) -> bool:
    """Whether ``zone``'s revenue, employees and R&D totals of ``year`` are all visible to ``access``
    (``services.disclosure``): the test for showing its enterprise-derived indicator values."""
    def build() -> dict[str, bool]:
        from gaoxin.services.disclosure import Table, protect_for
        from gaoxin.store import reads

        firms = reads.year_rows(store.cursor(), snapshot, year)
        p = protect_for(store, access, firms, [Table("zone", rows="zone_id",
                                                     measures=("revenue", "employees", "rd_expense"))],
                        snapshot=snapshot)
        t = p["zone"]
        return {str(z): bool(t.loc[z].notna().all()) for z in t.index}

    key = (snapshot, year, access.role, access.zones, access.provinces)
    return readcache.cached(store, "zone_cells", key, build).get(zone, False)


def profile_for(store: Store, access: Access, eid: int, zone: str) -> dict[str, Any]:
    """:func:`profile` as ``access`` may see it.

    Roles that see every zone's firms get it whole.  Others keep every score, rank and percentile, but for
    enterprise-derived indicators (decision 0030): ``median`` and ``gap`` are null (a median is one or two
    zones' values), and the zone's own ``value`` is null unless they may read its firms or its totals pass
    the disclosure rules.  ``score_gap`` (score − median score, points) is always there."""
    from gaoxin.services.access import enterprise_zones

    p = profile(store, eid, zone)
    zones = enterprise_zones(store, access, p["evaluation"]["snapshot"])
    if zones is None:
        return p
    derived = enterprise_derived(evaluation_framework(store, eid))
    ev = p["evaluation"]
    show = zone in zones or _zone_cells_public(store, access, ev["snapshot"], ev["year"], zone)

    def fix(r: dict[str, Any]) -> dict[str, Any]:
        if r["code"] not in derived:
            return r
        return {**r, "median": None, "gap": None, "value": r["value"] if show else None}

    out = {**p, "indicators": [fix(r) for r in p["indicators"]], "strengths": [fix(r) for r in p["strengths"]],
           "weaknesses": [fix(r) for r in p["weaknesses"]]}
    out["footnote"] = ("—：为保护统计调查对象信息而不予公布 / suppressed to protect respondents' confidentiality"
                       if not show else None)
    return out
