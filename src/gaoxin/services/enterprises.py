"""Enterprise-level reads of the web API: the scoped list, one enterprise with its tier evidence, near
misses, innovation points, 亩均 firms (issue #10 §4.3).

Every frame returned here has passed ``services.access.scope_enterprises`` (the one scoping function);
an enterprise outside the caller's scope is ``NotFound``, exactly like a missing one.  The per-year
annotations (tiers, points, 亩均 grade of every firm) depend only on (snapshot, year) and are computed
once per process (``services.readcache``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gaoxin.services import readcache
from gaoxin.services.access import Access, enterprise_zones, scope_enterprises
from gaoxin.services.errors import InputError
from gaoxin.services.overview import NotFound, jsonable
from gaoxin.store import reads
from gaoxin.store import snapshots as snaps
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

SORTABLE = ("credit_code", "name", "zone_id", "industry_code", "revenue", "employees", "rd_intensity", "points",
            "mujun_grade")
MAX_PAGE_SIZE = 500
UNITS = {"revenue": "万元", "employees": "人", "rd_intensity": "%", "points": "分 points"}


def _sid_year(store: Store, year: int | None) -> tuple[int, int]:
    """The newest snapshot and ``year`` (default its latest enterprise year), cached per store version."""
    sid, last = readcache.cached(store, "sid_year", None, lambda: _newest(store))
    if year is None:
        if last is None:
            raise NotFound(f"快照{sid}没有企业数据 / snapshot {sid} holds no enterprise rows")
        year = last
    return sid, int(year)


def _newest(store: Store) -> tuple[int, int | None]:
    sid = snaps.resolve(store.con, None)
    return sid, snaps.last_year(store.con, sid)


def tiers_result(store: Store, sid: int, year: int) -> Any:
    """The tiers of every firm of ``year`` (cached per snapshot and year)."""
    from gaoxin.services.tiers import tiers

    return readcache.cached(store, "tiers", (sid, year), lambda: tiers(store, year, snapshot=sid))


def points_result(store: Store, sid: int, year: int) -> Any:
    from gaoxin.services.points import points

    return readcache.cached(store, "points", (sid, year), lambda: points(store, year, snapshot=sid))


def mujun_result(store: Store, sid: int, year: int) -> Any:
    from gaoxin.services.mujun import mujun

    return readcache.cached(store, "mujun", (sid, year), lambda: mujun(store, year, snapshot=sid))


def annotated(store: Store, sid: int, year: int) -> pd.DataFrame:
    """Every firm of ``year`` with revenue in 万元, R&D intensity in %, passed tiers, points and 亩均 grade."""
    return readcache.cached(store, "annotated", (sid, year), lambda: _annotated(store, sid, year))


def _annotated(store: Store, sid: int, year: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    df = reads.year_rows(store.cursor(), sid, year)
    if df.empty:
        return df.assign(rd_intensity=[], tiers=[], points=[], points_band=[], mujun_grade=[], name_lower=[])
    rev = df["revenue"].astype("float64")
    df["rd_intensity"] = (100.0 * df["rd_expense"].astype("float64") / rev.where(rev > 0))
    df["revenue"] = rev / 10.0  # 千元 → 万元
    t = tiers_result(store, sid, year)
    ids = [x["id"] for x in t.tiers]
    m = t.members.set_index("credit_code")
    names = np.array(ids, dtype=object)
    passed = dict(zip(m.index, (list(names[row]) for row in m[ids].eq("pass").to_numpy()), strict=True))
    df["tiers"] = df["credit_code"].map(lambda c: passed.get(c, []))
    try:
        p = points_result(store, sid, year).frame.set_index("credit_code")
        df["points"] = df["credit_code"].map(p["points"])
        df["points_band"] = df["credit_code"].map(p["top_band"])
    except InputError:
        df["points"], df["points_band"] = float("nan"), None
    try:
        mf = pd.DataFrame(mujun_result(store, sid, year).firms)
        grades = mf.set_index("credit_code")["grade"] if not mf.empty else pd.Series(dtype=object)
        df["mujun_grade"] = df["credit_code"].map(grades)
    except InputError:
        df["mujun_grade"] = None
    df["name_lower"] = df["name"].astype(str).str.lower()
    return df.drop(columns=["rd_expense"])


def _scoped(store: Store, access: Access, df: pd.DataFrame, sid: int) -> pd.DataFrame:
    return scope_enterprises(store, access, df, snapshot=sid)


def list_enterprises(store: Store, access: Access, *, zone: str | None = None, q: str | None = None,
                     tier: str | None = None, grade: str | None = None, year: int | None = None,
                     sort: str = "revenue", order: str = "desc", page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """One page of the firms ``access`` may read, filtered, searched (name or credit code) and sorted."""
    key = (access.role, access.zones, access.provinces, zone, q, tier, grade, year, sort, order, page, page_size)
    return readcache.cached(store, "enterprise_page", key, lambda: _list(
        store, access, zone, q, tier, grade, year, sort, order, page, page_size))


def _list(store: Store, access: Access, zone: str | None, q: str | None, tier: str | None, grade: str | None,
          year: int | None, sort: str, order: str, page: int, page_size: int) -> dict[str, Any]:
    if sort not in SORTABLE:
        raise InputError(f"不能按 {sort!r} 排序 / cannot sort by {sort!r}: one of {', '.join(SORTABLE)}")
    if order not in ("asc", "desc"):
        raise InputError(f"order 应为 asc 或 desc / order must be asc or desc, not {order!r}")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"page ≥ 1, 1 ≤ page_size ≤ {MAX_PAGE_SIZE} / 分页参数无效")
    sid, year = _sid_year(store, year)
    df = readcache.cached(store, "scoped", (sid, year, access.role, access.zones, access.provinces),
                          lambda: _scoped(store, access, annotated(store, sid, year), sid))
    if df.empty:  # a year without firms: nothing to filter (its columns have no string dtype to search)
        return {"year": year, "snapshot": sid, "total": 0, "page": page, "page_size": page_size, "units": UNITS,
                "rows": []}
    if zone:
        df = df[df["zone_id"] == zone]
    if q:
        needle = q.strip().lower()
        df = df[df["name_lower"].str.contains(needle, regex=False) | df["credit_code"].str.lower().str.startswith(
            needle)]
    if tier:
        # a boolean mask even when nothing is left (an empty object Series would select columns instead)
        df = df.loc[df["tiers"].map(lambda ts: tier in ts).astype(bool)]
    if grade:
        df = df[df["mujun_grade"] == grade]
    df = df.sort_values([sort, "credit_code"], ascending=[order == "asc", True], na_position="last", kind="stable")
    part = df.iloc[(page - 1) * page_size: page * page_size]
    cols = ["credit_code", "name", "zone_id", "industry_code", "revenue", "employees", "rd_intensity", "tiers",
            "points", "points_band", "mujun_grade"]
    return {"year": year, "snapshot": sid, "total": len(df), "page": page, "page_size": page_size,
            "units": UNITS, "rows": jsonable(part[cols].to_dict(orient="records"))}


def _zone_of(store: Store, sid: int, credit_code: str) -> tuple[pd.DataFrame, str]:
    hist = reads.history(store.cursor(), sid, credit_code)
    if hist.empty:
        raise NotFound("企业不存在 / enterprise not found")
    return hist, str(hist["zone_id"].iloc[-1])


def enterprise(store: Store, access: Access, credit_code: str, year: int | None = None) -> dict[str, Any]:
    """One firm's years and the evidence of each tier in ``year`` (default latest); NotFound out of scope."""
    sid, year = _sid_year(store, year)
    hist, zone = _zone_of(store, sid, credit_code)
    zones = enterprise_zones(store, access, sid)
    if zones is not None and zone not in zones:
        raise NotFound("企业不存在 / enterprise not found")
    hist = scope_enterprises(store, access, hist, snapshot=sid)
    t = tiers_result(store, sid, year)
    ev = t.evidence_of([credit_code])  # queried for this firm (decision 0034), not cut from every firm's
    tiers = []
    names = {x["id"]: x for x in t.tiers}
    members = t.members.set_index("credit_code")
    for tid, g in ev.groupby("tier", sort=False):
        status = members.at[credit_code, tid] if credit_code in members.index else None
        tiers.append({"year": year, "tier": tid, "name_zh": names.get(tid, {}).get("name_zh"),
                      "name_en": names.get(tid, {}).get("name_en"), "status": status,
                      "evidence": [{"criterion": r.get("criterion"), "label_zh": r.get("label_zh"),
                                    "label_en": r.get("label_en"), "value": r.get("value"), "op": r.get("op"),
                                    "threshold": r.get("threshold"), "result": r.get("status")}
                                   for r in g.to_dict(orient="records")]})
    last = hist.iloc[-1]
    return jsonable({"credit_code": credit_code, "name": last["name"], "zone_id": zone,
                     "years": hist.to_dict(orient="records"), "tiers": tiers, "units": {"money": "千元 (as stored)"}})


def near_miss(store: Store, access: Access, zone: str, year: int | None = None,
              tier: str | None = None) -> list[dict[str, Any]]:
    """Firms of ``zone`` one criterion short of a tier (cultivation list); NotFound when out of scope."""
    sid, year = _sid_year(store, year)
    zones = enterprise_zones(store, access, sid)
    if zones is not None and zone not in zones:
        raise NotFound(f"园区 {zone} 的企业名单 / the enterprise list of zone {zone}")
    nm = tiers_result(store, sid, year).near_miss
    nm = scope_enterprises(store, access, nm[nm["zone_id"] == zone], snapshot=sid)
    if tier:
        nm = nm[nm["tier"] == tier]
    names = dict(zip(*[annotated(store, sid, year)[c] for c in ("credit_code", "name")], strict=True))
    nm = nm.assign(name=nm["credit_code"].map(names))
    return jsonable(nm.to_dict(orient="records"))


def zone_tiers(store: Store, access: Access, zone: str, year: int | None = None) -> dict[str, Any]:
    """The tier funnel of ``zone`` over the years (counts) and, for roles that see its firms, near misses."""
    sid, year = _sid_year(store, year)
    t = tiers_result(store, sid, year)
    f = t.funnel[t.funnel["zone_id"] == zone]
    zones = enterprise_zones(store, access, sid)
    sees = zones is None or zone in zones
    return jsonable({"zone": zone, "year": year, "tiers": t.tiers,
                     "funnel": f[["year", "tier", "members"]].rename(columns={"members": "count"}),
                     "transitions": f[["year", "tier", "entered", "left", "promoted"]],
                     "near_miss": near_miss(store, access, zone, year) if sees else None, "notes": t.notes})


def points_list(store: Store, access: Access, zone: str | None = None, year: int | None = None,
                page: int = 1, page_size: int = 50, *, bank_zones: frozenset[str] | None = None) -> dict[str, Any]:
    """Innovation points of the firms ``access`` may read; a bank passes ``bank_zones`` (the zones whose
    published list it may read) and sees only the published (top-20 %) list of those zones."""
    sid, year = _sid_year(store, year)
    try:
        frame = points_result(store, sid, year).frame
    except InputError:
        raise NotFound(f"{year}年积分名单 / the points list of {year}") from None
    if bank_zones is not None:
        frame = _bank_frame(store, sid, year, frame, points_result(store, sid, year).rules_hash, bank_zones)
    else:
        frame = scope_enterprises(store, access, frame, snapshot=sid)
    if zone:
        frame = frame[frame["zone_id"] == zone]
    frame = frame.sort_values(["zone_id", "band", "rank", "credit_code"])
    cols = [c for c in ("rank", "credit_code", "name", "zone_id", "band", "band_zh", "points", "top_band",
                        "top_band_zh", "revenue", "rd_intensity", "valid_invention_patents", "revenue_growth")
            if c in frame.columns]
    part = frame.iloc[(page - 1) * page_size: page * page_size]
    return {"year": year, "total": len(frame), "page": page, "page_size": page_size,
            "rows": jsonable(part[cols].to_dict(orient="records"))}


TOP_BANDS = ("top5", "top5_10", "top10_20")


def _bank_frame(store: Store, sid: int, year: int, frame: pd.DataFrame, current_hash: str,
                zones: frozenset[str]) -> pd.DataFrame:
    """A bank's view: the published (top-20 %) lists of its zones for ``year`` and nothing else.

    A list published under the current rule file comes from the computed frame (the same numbers:
    results are reproducible); one published under another rule file from the stored rows."""
    import pandas as pd

    from gaoxin.services.points import stored
    from gaoxin.services.publishing import published_points

    parts = []
    for z, y, h in published_points(store, zones):
        if y != year or z not in zones:
            continue
        if current_hash.startswith(h) or h.startswith(current_hash):
            parts.append(frame[frame["zone_id"] == z])
        else:
            rows = stored(store, sid, year, h)
            rows = rows[rows["zone_id"] == z].rename(columns={"peer_rank": "rank"}).drop(columns=["payload"])
            names = dict(zip(*[annotated(store, sid, year)[c] for c in ("credit_code", "name")], strict=True))
            parts.append(rows.assign(name=rows["credit_code"].map(names)))
    if not parts:
        return frame.iloc[0:0]
    out = pd.concat(parts, ignore_index=True).drop_duplicates("credit_code")
    return out[out["top_band"].isin(TOP_BANDS)]


def points_frame(store: Store, access: Access, zone: str | None, year: int | None, *,
                 bank_zones: frozenset[str] | None = None) -> pd.DataFrame:
    """The points list as an export frame with Chinese headers (scoped as :func:`points_list`)."""
    from gaoxin.services.points import BANK_COLUMNS

    res = points_list(store, access, zone, year, 1, 10**9, bank_zones=bank_zones)
    import pandas as pd

    df = pd.DataFrame(res["rows"])
    cols = [c for c in BANK_COLUMNS if c in df.columns]
    return df[cols].rename(columns=BANK_COLUMNS) if not df.empty else pd.DataFrame(columns=list(BANK_COLUMNS.values()))


def enterprises_frame(store: Store, access: Access, zone: str | None, year: int | None) -> pd.DataFrame:
    """The scoped enterprise list (all pages) as an export frame with Chinese + English headers."""
    import pandas as pd

    res = list_enterprises(store, access, zone=zone, year=year, page_size=MAX_PAGE_SIZE)
    rows = res["rows"]
    total, page = res["total"], 2
    while len(rows) < total:
        rows += list_enterprises(store, access, zone=zone, year=year, page=page, page_size=MAX_PAGE_SIZE)["rows"]
        page += 1
    df = pd.DataFrame(rows)
    if not df.empty:
        df["tiers"] = df["tiers"].map(lambda ts: "、".join(ts))
    heads = {"credit_code": "统一社会信用代码 credit code", "name": "企业名称 name", "zone_id": "园区代码 zone",
             "industry_code": "行业代码 industry", "revenue": "营业收入（万元）revenue", "employees": "从业人员（人）",
             "rd_intensity": "研发投入强度（%）", "tiers": "梯度 tiers", "points": "创新积分 points",
             "points_band": "积分档次 band", "mujun_grade": "亩均等级 grade"}
    return df.rename(columns=heads) if not df.empty else pd.DataFrame(columns=list(heads.values()))


def mujun_view(store: Store, access: Access, zone: str, year: int | None = None) -> dict[str, Any]:
    """A zone's 亩均 roll-up and green figures (aggregates) and, for roles that see its firms, the firms."""
    sid, year = _sid_year(store, year)
    res = mujun_result(store, sid, year)
    zones = enterprise_zones(store, access, sid)
    sees = zones is None or zone in zones
    firms = [f for f in res.firms if f["zone_id"] == zone] if sees else None
    return jsonable({"zone": zone, "year": year, "rules_id": res.rules_id, "rules_source": res.rules_source,
                     "rollup": [r for r in res.rollup if r["zone_id"] == zone],
                     "green": [r for r in res.green if r["zone_id"] == zone], "firms": firms,
                     "units": {"land_mu": "亩", "tax_per_mu": "万元/亩", "carbon_t": "吨 t"}})


def simulate(store: Store, access: Access, zone: str, yuan_per_kwh: dict[str, float], year: int | None = None,
             name: str = "API schedule") -> dict[str, Any]:
    """The price-policy simulation of ``zone`` under a grade → surcharge (元/kWh) schedule."""
    import json
    import tempfile
    from pathlib import Path

    from gaoxin.services.mujun import mujun

    sid, year = _sid_year(store, year)
    lines = ["[schedule]", 'id = "api"', f"name_zh = {json.dumps(name, ensure_ascii=False)}",
             'source = "POST /zones/{zone}/mujun/simulate"', 'base = "electricity"', "[schedule.yuan_per_kwh]"]
    lines += [f"{json.dumps(str(k))} = {float(v)!r}" for k, v in sorted(yuan_per_kwh.items())]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "schedule.toml"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        res = mujun(store, year, zone=zone, simulate=path, snapshot=sid)
    firms = scope_enterprises(store, access, _frame(res.firms), snapshot=sid)
    sim = res.simulation or {}
    return jsonable({"zone": zone, "year": year, "per_grade": sim.get("by_grade", []),
                     "total": sim.get("total_cost_wan"), "firms_charged": sim.get("firms_charged"),
                     "unit": "万元", "firms": firms[[c for c in ("credit_code", "grade", "surcharge_wan")
                                                      if c in firms.columns]].to_dict(orient="records")})


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(records) if records else pd.DataFrame(columns=["credit_code", "zone_id"])
