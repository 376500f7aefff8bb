"""Enterprise tiers of a snapshot and year: who is in which tier and why, who is close, the zone funnel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

HISTORY_YEARS = 5  # the funnel looks back this many years before --year


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as JSON-ready dicts: NaN/NA → None (shown as "—")."""
    return df.astype(object).where(df.notna(), None).to_dict(orient="records")


@dataclass
class TiersResult:
    """Typed result (JSON via :meth:`to_dict`); frames kept for exports."""

    rules_id: str
    rules_version: str
    rules_sha256: str
    snapshot: int
    year: int
    zone: str | None
    tiers: list[dict[str, Any]]  # id, rank, name_zh, name_en, source, members, unknown
    members: pd.DataFrame  # credit_code, zone_id, one column per tier: pass / fail / unknown
    evidence: pd.DataFrame
    near_miss: pd.DataFrame
    funnel: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rules": {"id": self.rules_id, "version": self.rules_version, "sha256": self.rules_sha256},
                "snapshot": self.snapshot, "year": self.year, "zone": self.zone, "tiers": self.tiers,
                "members": _records(self.members), "evidence": _records(self.evidence),
                "near_miss": _records(self.near_miss), "funnel": _records(self.funnel), "notes": self.notes}

    def sheets(self) -> dict[str, pd.DataFrame]:
        import pandas as pd

        meta = pd.DataFrame([{"rules": self.rules_id, "version": self.rules_version, "sha256": self.rules_sha256,
                              "snapshot": self.snapshot, "year": self.year, "zone": self.zone or "—"}])
        return {"梯度 tiers": pd.DataFrame(self.tiers), "企业 members": self.members, "依据 evidence": self.evidence,
                "差一项 near-miss": self.near_miss, "漏斗 funnel": self.funnel, "来源 provenance": meta}


def rules_of(path: str | None = None):
    """The tier rules (built-in national file by default), validated strictly, with the file hash."""
    from gaoxin.analysis.tiers import builtin_rules, load_rules

    return builtin_rules() if path is None else load_rules(path)


def tiers(store: Store, year: int, *, rules: str | None = None, zone: str | None = None,
          snapshot: str | int | None = None, history: int = HISTORY_YEARS, save: bool = False) -> TiersResult:
    """Tiers of every enterprise of ``year`` (optionally one zone) with evidence, near misses and the funnel
    over ``history`` years before ``year``; ``save`` stores the result per snapshot and rule-file hash."""

    from gaoxin.analysis import tiers as T
    from gaoxin.services.errors import InputError, check_year_values
    from gaoxin.store.snapshots import resolve

    check_year_values(year)
    sid = resolve(store.con, snapshot)
    r, sha = rules_of(rules)
    wide = T.compute_tiers(store.cursor(), r, (year - history, year), sid, zone)
    now = wide[wide["year"] == year].reset_index(drop=True)
    if now.empty:
        where = f"园区{zone}" if zone else "快照"
        raise InputError(f"{where}在{year}年没有企业数据 / no enterprise rows for {year}"
                         + (f" in zone {zone}" if zone else "") + f" (snapshot {sid})")
    members = now[["credit_code", "zone_id"]].copy()
    info = []
    for t in r.tier:
        st = T.status(now[t.id])
        members[t.id] = st
        info.append({"id": t.id, "rank": t.rank, "name_zh": t.name_zh, "name_en": t.name_en, "source": t.source,
                     "members": int((st == "pass").sum()), "unknown": int((st == "unknown").sum())})
    res = TiersResult(r.rules.id, r.rules.version, sha, sid, year, zone, info, members,
                      T.evidence(now, r), T.near_misses(now, r), T.funnel(wide, r),
                       notes=["漏斗首年无上一年可比，进出显示为“—” / the funnel's first year has no year before: "
                              "entered/left/promoted shown as —"])
    if save:
        from gaoxin.store import tiers as stored_tiers

        store.require_write()
        stored_tiers.save(store.con, sid, sha, r.rules.id, year, zone, res.to_dict())
    return res


def stored(store: Store, year: int, *, rules: str | None = None, zone: str | None = None,
           snapshot: str | int | None = None) -> dict[str, Any] | None:
    """The saved result (``to_dict`` form) for this snapshot, rule file, year and zone, or None."""
    from gaoxin.store import tiers as stored_tiers
    from gaoxin.store.snapshots import resolve

    _, sha = rules_of(rules)
    return stored_tiers.load(store.con, resolve(store.con, snapshot), sha, year, zone)


