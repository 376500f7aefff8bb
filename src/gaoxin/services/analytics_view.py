"""Industry and chain views of the web API, cached per snapshot, with enterprise rows scoped.

The industry structure is zone-level (aggregates); a chain view holds enterprise rows — leads from other
zones and the zone's own firms matched at several nodes — which pass ``services.access`` here even
after the chains service has limited them by its viewer (defence in depth: one rule, applied last).
"""

from __future__ import annotations

from typing import Any

from gaoxin.services import readcache
from gaoxin.services.access import Access, scope_enterprises
from gaoxin.services.overview import jsonable
from gaoxin.store import snapshots as snaps
from gaoxin.store.db import Store


def _node(codes: Any, level: str) -> Any:
    """The industry of each GB/T 4754 code at ``level``, as ``analysis.industry.node`` computes it in SQL."""
    from gaoxin.analysis.industry import industry_map

    c = codes.astype("string")
    if level == "division":
        return c.str[:2]
    if level == "group":
        return c.str[:3]
    div = {d: sec.code for sec in industry_map().section for d in range(sec.first, sec.last + 1)}
    return c.str[:2].map(lambda x: div.get(int(x)) if isinstance(x, str) and x.isdigit() else None)


def _protected(store: Store, access: Access, sid: int, year: int, level: str) -> Any:
    """Zone × industry revenue and employees of ``year`` as ``access`` may see them (``services.disclosure``)."""
    from gaoxin.services.disclosure import Table, protect_for
    from gaoxin.store import reads

    firms = reads.year_rows(store.cursor(), sid, year)
    firms = firms.assign(industry=_node(firms["industry_code"], level)).dropna(subset=["industry"])
    tables = [Table("revenue", rows="zone_id", cols="industry", measures=("revenue",)),
              Table("employees", rows="zone_id", cols="industry", measures=("employees",))]
    return protect_for(store, access, firms, tables, snapshot=sid)


def industry(store: Store, access: Access, zone: str, year: int, level: str = "division") -> dict[str, Any]:
    """Industries of ``zone`` in ``year``: revenue (千元), shares, location quotients, growth, HHI, featured.

    Magnitudes pass disclosure control for ``access``: a suppressed revenue or employees cell is null, and
    so is every share, quotient, growth rate or concentration computed from it or from a suppressed total
    (a ratio would give the cell back); the footnote says so.  Firm counts and featured labels are shown."""
    from gaoxin.services.industry import industry_structure

    sid = snaps.resolve(store.con, None)
    r = readcache.cached(store, "industry", (sid, zone, year, level),
                         lambda: industry_structure(store, year, zone, level=level, snapshot=sid))
    aud = (access.role, access.zones, access.provinces)
    now = readcache.cached(store, "industry_sdc", (sid, year, level, aud),
                           lambda: _protected(store, access, sid, year, level))
    before = readcache.cached(store, "industry_sdc", (sid, year - 1, level, aud),
                              lambda: _protected(store, access, sid, year - 1, level))
    return jsonable({"zone": zone, "year": year, "level": level, "rule_id": r.rule_id,
                     **_disclose(r, now, before, zone), "featured": r.featured, "notes": r.notes,
                     "units": {"revenue": "千元", "employees": "人", "share": "比例 ratio",
                               "lq_revenue": "区位商 location quotient"}})


def _cell(p: Any, table: str, row: str, col: str) -> Any:
    t = p[table]
    return t.at[row, col] if row in t.index and col in t.columns else None


def _disclose(r: Any, now: Any, before: Any, zone: str) -> dict[str, Any]:
    from gaoxin.services.disclosure import TOTAL

    rows, hidden = [], False
    for x in r.industries:
        ind = str(x["industry"])
        rev, emp = _cell(now, "revenue", zone, ind), _cell(now, "employees", zone, ind)
        ok_rev = rev is not None and _cell(now, "revenue", zone, TOTAL) is not None
        ok_lq = ok_rev and _cell(now, "revenue", TOTAL, ind) is not None
        ok_emp = emp is not None and _cell(now, "employees", zone, TOTAL) is not None
        ok_emp_lq = ok_emp and _cell(now, "employees", TOTAL, ind) is not None
        ok_growth = rev is not None and _cell(before, "revenue", zone, ind) is not None
        y = {**x, "revenue": x["revenue"] if rev is not None else None,
             "employees": x["employees"] if emp is not None else None,
             "share": x["share"] if ok_rev else None, "lq_revenue": x["lq_revenue"] if ok_lq else None,
             "employment_share": x["employment_share"] if ok_emp else None,
             "lq_employees": x["lq_employees"] if ok_emp_lq else None,
             "growth": x["growth"] if ok_growth else None}
        hidden |= y != x
        rows.append(y)
    shown_all = all(v["share"] is not None for v in rows)
    conc = [c if shown_all else {**c, "hhi": None, "hhi_employees": None} for c in r.concentration]
    cats = [c if shown_all else {**c, "revenue": None, "share": None} for c in r.categories]
    hidden |= not shown_all
    return {"industries": rows, "concentration": conc, "categories": cats,
            "footnote": now.footnote() or before.footnote() if hidden else None, "suppressed": hidden}


def chain(store: Store, access: Access, chain_id: str, zone: str, year: int, viewer: str,
          sees_zone: bool) -> dict[str, Any]:
    """The chain's segments and nodes coloured by the zone's presence, gaps, strengths and leads."""
    import pandas as pd

    from gaoxin.services.chains import chain_gaps

    sid = snaps.resolve(store.con, None)
    r = readcache.cached(store, "chain", (sid, chain_id, zone, year, viewer),
                         lambda: chain_gaps(store, chain_id, zone, year, viewer=viewer, snapshot=sid))
    segments: dict[str, dict[str, Any]] = {}
    for n in r.nodes:
        seg = segments.setdefault(n["segment"], {"id": n["segment"], "name": n["segment_zh"], "nodes": []})
        seg["nodes"].append({"id": n["node"], "name": n["name_zh"], "name_en": n["name_en"], "presence": n["status"],
                             "presence_zh": n["status_zh"], "firms": n["firms"], "revenue": n["revenue"],
                             "strength": n["lq"], "action": n["action"], "zones_present": n["zones_present"]})
    leads = pd.DataFrame(r.leads) if r.leads else pd.DataFrame(columns=["zone_id", "credit_code"])
    leads = scope_enterprises(store, access, leads, snapshot=sid)
    return jsonable({"chain": r.chain, "name_zh": r.chain_name_zh, "name_en": r.chain_name_en, "zone": zone,
                     "year": year, "viewer": r.viewer, "segments": list(segments.values()),
                     "gaps": [n["node"] for n in r.nodes if n["status"] in ("absent", "weak")],
                     "strong": [n["node"] for n in r.nodes if n["status"] == "strong"],
                     "leads": leads.to_dict(orient="records"), "lead_counts": r.lead_counts,
                     "redacted": r.redacted or len(leads) < len(r.leads),
                     "ambiguous": r.ambiguous if sees_zone else [], "notes": r.notes,
                     "units": {"revenue": "千元", "strength": "区位商 location quotient"}})
