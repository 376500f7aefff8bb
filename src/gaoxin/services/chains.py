"""Industrial chain gaps of a zone (issue #9 §5; docs/industry.md): node presence against all zones, 补链 / 强链,
招商 leads, ambiguous assignments; the viewer's scope decides whether leads name other zones' firms."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from gaoxin.services.industry import MISSING, _num, _run
from gaoxin.store.db import Store

ACTIONS = {"absent": "补链 fill", "weak": "补链 fill", "strong": "强链 strengthen", "present": "", "unknown": ""}
STATUS_ZH = {"absent": "缺失", "weak": "薄弱", "strong": "优势", "present": "一般", "unknown": "未知"}


@dataclass(frozen=True)
class Viewer:
    """Who looks: ``national`` / ``admin`` (everything), ``province:44`` or ``zone:GX001``."""

    kind: str  # national | admin | province | zone
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> Viewer:
        from gaoxin.services.errors import InputError

        kind, _, value = str(text).partition(":")
        if kind in ("national", "admin") and not value:
            return cls(kind)
        if kind == "province" and value.isdigit() and len(value) == 2:
            return cls(kind, value)
        if kind == "zone" and value:
            return cls(kind, value)
        raise InputError(f"查看范围无效 / viewer must be national, admin, province:NN or zone:ZONE, not {text!r}")

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"


@dataclass
class ChainGaps:
    """A zone's presence at each node of a chain, gaps and strengths, and leads as far as the viewer may see."""

    chain: str
    chain_name_zh: str
    chain_name_en: str
    zone: str
    province: str
    year: int
    snapshot: int
    viewer: str
    rule_id: str
    rule_hash: str
    nodes: list[dict[str, Any]]
    leads: list[dict[str, Any]]  # firms (national, admin, province within its scope)
    lead_counts: list[dict[str, Any]]  # per gap node: where the candidates are (zone, province, how many)
    redacted: bool  # some or all leads withheld from this viewer: counts only
    ambiguous: list[dict[str, Any]]  # the zone's own firms matched at several nodes
    notes: list[str] = field(default_factory=list)
    lead_source: str = "store"  # "store" (returns, by viewer scope) or "list:<file>" (public: shown in full)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> str:
        base = f"chain:{self.chain}:zone:{self.zone}:year:{self.year}:viewer:{self.viewer}"
        return base if self.lead_source == "store" else f"{base}:leads:{self.lead_source[5:]}"

    def frames(self) -> dict[str, Any]:
        import pandas as pd

        return {"链条节点 nodes": pd.DataFrame(self.nodes), "招商线索 leads": pd.DataFrame(self.leads),
                "线索分布 lead counts": pd.DataFrame(self.lead_counts),
                "多节点匹配 ambiguous": pd.DataFrame(self.ambiguous)}


def _txt(x: Any) -> str | None:
    """A text cell for JSON: None for a missing one (a lead list's optional credit code or zone)."""
    import pandas as pd

    return None if x is None or (not isinstance(x, str) and pd.isna(x)) else str(x)


def list_chains() -> list[dict[str, str]]:
    from gaoxin.analysis.chains import SHIPPED, load_chain

    return [{"id": c, "name_zh": load_chain(c).chain.name_zh, "name_en": load_chain(c).chain.name_en,
             "source": load_chain(c).chain.source} for c in SHIPPED]


def _text(path: Any) -> str:
    from pathlib import Path

    return Path(str(path)).read_text("utf-8") if not hasattr(path, "read_text") else path.read_text("utf-8")


def chain_gaps(store: Store, chain: str, zone: str, year: int, *, viewer: str = "national",
               snapshot: str | int | None = None, rules: str | None = None, save: bool = False,
               leads: str | None = None) -> ChainGaps:
    """Gap analysis of ``zone``'s ``chain`` in ``year`` seen by ``viewer`` (see :class:`Viewer`); ``save`` stores
    it per snapshot and rule-file hash, as that viewer sees it.  ``leads``: a CSV/XLSX of public firm data
    (services.leads) as the lead source instead of other zones' returns, shown in full to every viewer."""
    from gaoxin.analysis import chains as ac
    from gaoxin.services.errors import InputError, check_year_values
    from gaoxin.store.snapshots import resolve

    check_year_values(year)
    if save:
        store.require_write()
    v = Viewer.parse(viewer)
    if v.kind == "zone" and v.value != zone:
        raise InputError(f"无权查看园区 {zone}（当前范围 {v}）/ viewer {v} may not see zone {zone}")
    from pathlib import Path

    if chain not in ac.SHIPPED and not Path(chain).is_file():
        raise InputError(f"未知产业链 / unknown chain {chain!r}: give one of {', '.join(ac.SHIPPED)} or a chain file")
    if rules is not None and not Path(rules).is_file():
        raise InputError(f"规则文件不存在 / no rule file {rules!r}")
    ch = ac.load_chain(chain)
    rule = ac.load_gaps(rules)
    loaded = None
    if leads is not None:
        from gaoxin.services.leads import read_leads

        loaded = read_leads(leads)
    sid = resolve(store.con, snapshot)
    zones = _run(store, sid, lambda t, s: ac.zone_totals(t, s, year))
    if zone not in set(zones["zone_id"]):
        raise InputError(f"快照{sid}中没有园区 {zone} / zone {zone} is not in snapshot {sid}")
    prov = dict(zip(zones["zone_id"], zones["province_code"].str[:2], strict=True))
    matches = _run(store, sid, lambda t, s: ac.assign(t, s, year, ch))
    presence = ac.node_presence(matches, zones.set_index("zone_id")["revenue"], ch)
    presence["status"] = ac.classify(presence, rule)
    own = presence[presence["zone_id"] == zone].set_index("node")
    nodes = []
    for n in ch.node:
        r = own.loc[n.id]
        at = presence[presence["node"] == n.id]
        nodes.append({"node": n.id, "segment": n.segment, "segment_zh": ac.SEGMENTS[n.segment],
                      "name_zh": n.name_zh, "name_en": n.name_en, "firms": int(r["firms"]),
                      "revenue": _num(r["revenue"]), "lq": _num(r["lq"]), "status": str(r["status"]),
                      "status_zh": STATUS_ZH[str(r["status"])], "action": ACTIONS[str(r["status"])],
                      "zones_present": int((at["firms"] > 0).sum()),
                      "zones_strong": int((at["status"] == "strong").sum()),
                      "all_zones_firms": int(at["firms"].sum())})
    gaps = [x["node"] for x in nodes if x["status"] in ("absent", "weak")]
    if loaded is not None:
        from gaoxin.analysis.leads import gap_leads
        from gaoxin.services.leads import assign_leads

        cand = gap_leads(assign_leads(store, loaded, ch), zone, gaps, rule.leads_per_gap)
    else:
        cand = ac.leads(matches, presence, zone, gaps, rule.leads_per_gap)
        cand = cand.assign(province=cand["zone_id"].map(prov))
    public = loaded is not None  # a user's list of public data: no scope to apply
    if public or v.kind in ("national", "admin") or (v.kind == "province" and prov[zone] == v.value):
        shown, redacted = cand, False
    elif v.kind == "province":  # leads into another province's zone: only firms within its own province
        shown, redacted = cand[cand["province"] == v.value], True
    else:
        shown, redacted = cand.iloc[0:0], True
    names = {n.id: n.name_zh for n in ch.node}
    leads = [{"node": r.node, "node_zh": names[r.node], "credit_code": _txt(r.credit_code), "name": r.name,
              "zone_id": _txt(r.zone_id), "province": r.province, "revenue": _num(r.revenue),
              "employees": _num(r.employees), "rd_expense": _num(r.rd_expense),
              "rd_intensity": _num(r.rd_expense / r.revenue) if r.revenue and r.revenue > 0 else None,
              "match": r.method, **({"source": loaded.name, "row": int(r.row)} if loaded else {})}
             for r in shown.itertuples()]
    counts = (cand.fillna({"zone_id": MISSING}).groupby(["node", "zone_id", "province"], as_index=False).size()
              .rename(columns={"size": "candidates"})
              .sort_values(["node", "candidates", "zone_id"], ascending=[True, False, True]))
    lead_counts = [{"node": r.node, "node_zh": names[r.node], "zone_id": r.zone_id, "province": r.province,
                    "candidates": int(r.candidates)} for r in counts.itertuples()]
    mine = matches[(matches["zone_id"] == zone) & (matches["nodes"] > 1)]
    ambiguous = [{"credit_code": c, "name": g["name"].iloc[0], "nodes": sorted(g["node"]),
                  "match": sorted(set(g["method"]))} for c, g in mine.groupby("credit_code", sort=True)]
    notes = []
    if not len(matches[matches["zone_id"] == zone]):
        notes.append(f"园区 {zone} 没有企业匹配该链条 / no firm of {zone} matched the chain")
    if redacted:
        notes.append("按查看范围，仅显示线索数量及所在园区 / by the viewer's scope only counts and places are shown")
    if loaded is not None:
        notes.append(f"线索来自用户提供的公开名单 {loaded.name}（{len(loaded.leads.frame)} 家，全部可见）/ leads from "
                     f"the public list {loaded.name} ({len(loaded.leads.frame)} firms, visible to every viewer)")
        notes += loaded.leads.notes
    text = _text(ac._rules(f"{ch.chain.id}.toml")) if chain in ac.SHIPPED else _text(chain)
    text += _text(ac._rules("gaps.toml")) if rules is None else _text(rules)
    text += f"\nleads:{loaded.sha256}" if loaded else ""
    r = ChainGaps(ch.chain.id, ch.chain.name_zh, ch.chain.name_en, zone, prov[zone] or MISSING, year, sid,
                  str(v), rule.id, hashlib.sha256(text.encode()).hexdigest()[:16], nodes, leads, lead_counts,
                  redacted, ambiguous, notes,
                  "store" if loaded is None else f"list:{loaded.sha256[:12]}")
    if save:
        from gaoxin.store import industry as stored

        stored.save(store.con, "chains", sid, r.rule_hash, r.key, r.to_dict())
    return r
