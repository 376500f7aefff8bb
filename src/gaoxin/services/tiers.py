"""Enterprise tiers of a snapshot and year: who is in which tier and why, who is close, the zone funnel.

Every output is a query of its own over the tier expression (analysis/tier_queries.py, decision 0034): the
member statuses, near misses and funnel are fetched at once (narrow results); the evidence — one row per firm ×
criterion, ≈ 80M rows at 1.09M firms — only when asked: for given firms (``evidence_of``), as the open
(failing / unknown) criteria of a list (``evidence_list``), or in full (``evidence``, small stores and exports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

HISTORY_YEARS = 5  # the funnel looks back this many years before --year
EAGER_EVIDENCE_ROWS = 2_000_000  # full evidence up to this many rows (≈ 28k firms) comes with the result


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
    near_miss: pd.DataFrame
    funnel: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    _query: Any = field(default=None, repr=False)  # (store cursor, rules) the evidence is queried with
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _lock: Any = field(default_factory=Lock, repr=False)

    @property
    def evidence(self) -> pd.DataFrame:
        """Every criterion of every tier for every firm of the result (one row per firm × tier × criterion,
        the columns as before): for a small store or an export; at scale use evidence_of / evidence_list."""
        return self._cached("all", lambda: self.evidence_of(None))

    @property
    def evidence_list(self) -> pd.DataFrame:
        """The criteria that fail or are unknown, of the tiers each firm is not in (the list view: why a firm
        is not in); text columns as categoricals (millions of rows at scale)."""
        return self._cached("open", lambda: self._query.evidence(open_only=True, members=self.members))

    def evidence_of(self, credit_codes: list[str] | None) -> pd.DataFrame:
        """Every criterion of every tier for ``credit_codes`` (None: every firm), computed on demand (cut
        from the full evidence when a small result fetched it with the rest)."""
        full = self._cache.get("all")
        if full is not None:
            return full if credit_codes is None else \
                full[full["credit_code"].isin(list(credit_codes))].reset_index(drop=True)
        return self._query.evidence(firms=None if credit_codes is None else list(credit_codes))

    def _cached(self, key: str, fn: Any) -> pd.DataFrame:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = fn()
            return self._cache[key]

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
    from gaoxin.services.errors import check_year_values
    from gaoxin.store.snapshots import resolve

    check_year_values(year)
    sid = resolve(store.con, snapshot)
    r, sha = rules_of(rules)
    return result_of(store, r, sha, year, sid, zone=zone, history=history, save=save)


class _Query:
    """What the evidence of a result is queried with: its own cursor of the store (a server's request view
    may close before a later request asks for evidence), rules, year, snapshot and zone."""

    def __init__(self, store: Store, rules: Any, sha: str, year: int, sid: int, zone: str | None) -> None:
        self.con, self.rules, self.sha, self.year, self.sid, self.zone = store.cursor(), rules, sha, year, sid, zone

    def evidence(self, *, firms: list[str] | None = None, open_only: bool = False,
                 members: pd.DataFrame | None = None) -> pd.DataFrame:
        from gaoxin.analysis import tier_queries as Q

        kind = "evidence_open" if open_only else "evidence"
        df = Q.run(self.con, self.rules, self.sha, kind, (self.year, self.year), self.sid, self.zone, firms)
        return Q.decode_evidence(df, self.rules, categorical=open_only, members=members if open_only else None,
                                 year=self.year)


def result_of(store: Store, r: Any, sha: str, year: int, sid: int, *, zone: str | None = None,
              history: int = HISTORY_YEARS, save: bool = False) -> TiersResult:
    """:func:`tiers` for validated rules ``r`` (with their file hash) and a resolved snapshot ``sid``."""
    from gaoxin.analysis import tier_queries as Q
    from gaoxin.analysis import tiers as T
    from gaoxin.services.errors import InputError

    con = store.cursor()
    now = Q.run(con, r, sha, "membership", (year, year), sid, zone)
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
    near = Q.decode_near_miss(Q.run(con, r, sha, "near_miss", (year, year), sid, zone), r)
    fun = Q.decode_funnel(Q.run(con, r, sha, "funnel", (year - history, year), sid, zone), r)
    res = TiersResult(r.rules.id, r.rules.version, sha, sid, year, zone, info, members, near, fun,
                      _query=_Query(store, r, sha, year, sid, zone),
                      notes=["漏斗首年无上一年可比，进出显示为“—” / the funnel's first year has no year before: "
                              "entered/left/promoted shown as —"])
    if len(members) * len(Q.crits(r)) <= EAGER_EVIDENCE_ROWS:  # small: fetched now, so the result stays whole
        res._cache["all"] = res._query.evidence()  # after the store closes (CLI, tests); large: on demand
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


