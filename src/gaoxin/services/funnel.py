"""A zone's tier funnel (counts of firms per tier and year) as a user may see it (issue #10 §3, decision 0035).

A count of firms in a tier is an aggregate over enterprises: a cell of one or two firms tells its reader who
they are (with the tier's thresholds, roughly what they report).  So the funnel passes
:func:`services.disclosure.protect_for` like every other enterprise aggregate: tier × year of the
``count`` measure, one table per year with its margin — the year's total of tier memberships (``totals``) is
published, so secondary suppression keeps a withheld cell from being recovered as total − the others.  The
years are separate tables: a tier's sum over years counts firm-years and is never published, and treating
it as published would withhold most of a small zone's funnel for nothing.

The transitions (entered, left, promoted) are counts linked to the funnel by
members(y) = members(y−1) + entered(y) − left(y).  For an audience that does not see all of the zone's firms:
entered and left of a tier-year are shown together or not at all, and not when either members cell they
connect is withheld or when either is itself a sensitive count (the threshold and dominance rules applied to
a count: n firms of one each); promoted (per zone-year) is withheld when it is a sensitive count.
Roles that see the zone's firms get every number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gaoxin.services import readcache
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.services.access import Access

FUNNEL = "funnel"


def memberships(store: Store, sid: int, year: int, zone: str, history: int | None = None) -> pd.DataFrame:
    """One row per (firm, year, tier) the firm met, for ``zone``'s firms over the funnel's years: the
    contributions behind the funnel's counts (computed as ``services.tiers`` does; cached)."""
    def build() -> pd.DataFrame:
        import pandas as pd

        from gaoxin.analysis import tiers as T
        from gaoxin.services.tiers import HISTORY_YEARS, rules_of

        r, _ = rules_of(None)
        h = HISTORY_YEARS if history is None else history
        wide = T.compute_tiers(store.cursor(), r, (year - h, year), sid, zone)
        parts = [wide.loc[wide[t.id].eq(True).fillna(False).astype(bool), ["credit_code", "zone_id", "year"]]
                 .assign(tier=t.id) for t in r.tier]
        cols = ["credit_code", "zone_id", "year", "tier"]
        out = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
        return out[out["zone_id"] == zone].reset_index(drop=True)

    return readcache.cached(store, "funnel_members", (sid, year, zone, history), build)


def sensitive_count(n: Any, min_contributors: int, k: int, p: float) -> bool:
    """The threshold and dominance rules for a count (each firm contributes 1): 0 < n < min, or the k largest
    (min(k, n) ones) hold more than p % of n.  Zero and missing counts are not sensitive."""
    if n is None or n != n or int(n) <= 0:
        return False
    n = int(n)
    return n < min_contributors or 100.0 * min(k, n) > p * n


def protect_funnel(store: Store, access: Access, contributions: pd.DataFrame, funnel: list[dict[str, Any]],
                   transitions: list[dict[str, Any]], *, snapshot: int | None = None) -> dict[str, Any]:
    """``funnel`` ({year, tier, count}) and ``transitions`` ({year, tier, entered, left, promoted}) of one zone
    as ``access`` may see them, from ``contributions`` (credit_code, zone_id, year, tier): withheld → None,
    plus ``totals`` ({year, count}: memberships per year), ``footnote`` and ``suppressed`` (cells withheld)."""
    from gaoxin.analysis.disclosure import load_rules
    from gaoxin.services.disclosure import COUNT, TOTAL, Table, audience_zones, protect_for

    rules = load_rules()
    tables = {}  # year → the protected tier table of that year (the tier counts and their total)
    for y, part in contributions.groupby("year", sort=True):
        p = protect_for(store, access, part, Table(FUNNEL, rows="tier", measures=(COUNT,)), snapshot=snapshot)
        tables[int(y)] = p[FUNNEL]

    def cell(tier: str, year: Any) -> tuple[bool, Any]:
        """(withheld?, value) of a table cell; a cell without contributors is a published 0."""
        t = tables.get(int(year))
        if t is None or tier not in t.index:
            return False, 0
        v = t.loc[tier, COUNT]
        return v is None, v

    zones = audience_zones(store, access, snapshot)
    sees_all = zones is None or set(contributions["zone_id"].astype(str)) <= zones
    held = {(r["tier"], int(r["year"])) for r in funnel if cell(r["tier"], r["year"])[0]}
    out_f = [{**r, "count": None if (r["tier"], int(r["year"])) in held else r["count"]} for r in funnel]
    years = sorted({int(r["year"]) for r in funnel})
    totals = []
    for y in years:
        withheld, _ = cell(TOTAL, y)
        totals.append({"year": y, "count": None if withheld else sum(
            int(r["count"] or 0) for r in funnel if int(r["year"]) == y)})
    th, dom = rules.threshold.min_contributors, rules.dominance

    def hide_pair(r: dict[str, Any]) -> bool:
        y = int(r["year"])
        return not sees_all and ((r["tier"], y) in held or (r["tier"], y - 1) in held
                or sensitive_count(r.get("entered"), th, dom.k, dom.p)
                or sensitive_count(r.get("left"), th, dom.k, dom.p))

    out_t = []
    for r in transitions:
        pair = hide_pair(r)
        out_t.append({**r, "entered": None if pair else r.get("entered"), "left": None if pair else r.get("left"),
                      "promoted": None if not sees_all and sensitive_count(r.get("promoted"), th, dom.k, dom.p)
                      else r.get("promoted")})
    # transitions are withheld only beyond the table's own pattern: count them with it
    extra = sum(r[k] is None and o.get(k) is not None
                for r, o in zip(out_t, transitions, strict=True) for k in ("entered", "left", "promoted"))
    n = len(held) + sum(x["count"] is None for x in totals) + extra
    return {"funnel": out_f, "totals": totals, "transitions": out_t, "suppressed": n,
            "footnote": f"{rules.footnote.zh} / {rules.footnote.en.removeprefix('—: ')}" if n else None}


def zone_tiers_for(store: Store, access: Access, zone: str, year: int | None = None) -> dict[str, Any]:
    """``services.enterprises.zone_tiers`` with its counts through disclosure control for roles that do not
    see all of ``zone``'s firms (module docstring); the others get it whole, with ``totals``."""
    from gaoxin.services import enterprises as en
    from gaoxin.services.access import enterprise_zones

    out = en.zone_tiers(store, access, zone, year)
    sid = en._sid_year(store, year)[0]
    zones = enterprise_zones(store, access, sid)
    if zones is None or zone in zones:
        years = sorted({int(r["year"]) for r in out["funnel"]})
        totals = [{"year": y, "count": sum(int(r["count"] or 0) for r in out["funnel"] if int(r["year"]) == y)}
                  for y in years]
        return {**out, "totals": totals, "footnote": None, "suppressed": 0}
    c = memberships(store, sid, int(out["year"]), zone)
    return {**out, **protect_funnel(store, access, c, out["funnel"], out["transitions"], snapshot=sid)}
