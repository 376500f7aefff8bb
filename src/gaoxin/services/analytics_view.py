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


def industry(store: Store, zone: str, year: int, level: str = "division") -> dict[str, Any]:
    """Industries of ``zone`` in ``year`` with revenue (万元), shares, location quotients, growth; HHI; featured."""
    from gaoxin.services.industry import industry_structure

    sid = snaps.resolve(store.con, None)

    def build() -> dict[str, Any]:
        r = industry_structure(store, year, zone, level=level, snapshot=sid)
        return jsonable({"zone": zone, "year": year, "level": level, "rule_id": r.rule_id,
                         "industries": r.industries, "concentration": r.concentration, "featured": r.featured,
                         "categories": r.categories, "notes": r.notes})

    return readcache.cached(store, "industry", (sid, zone, year, level), build)


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
