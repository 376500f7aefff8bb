"""Zone industry structure and featured industry (issue #9 §4; docs/industry.md): a typed, serialisable result."""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

MISSING = "—"


def _num(x: Any) -> float | None:
    """A float for JSON, None for NaN / missing (shown as "—")."""
    if x is None:
        return None
    v = float(x)
    return None if math.isnan(v) else v


@dataclass
class IndustryStructure:
    """Industry rows (zone, industry, year) with shares, LQs and growth; HHI per zone; featured industry by year."""

    year: int
    snapshot: int
    level: str
    zone: str | None
    rule_id: str
    rule_hash: str
    map_version: str
    industries: list[dict[str, Any]]
    concentration: list[dict[str, Any]]
    featured: list[dict[str, Any]]  # every zone (or the zone) and year of the history window
    categories: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> str:
        """The stored result's key (with snapshot and rule hash)."""
        return f"year:{self.year}:zone:{self.zone or '*'}:level:{self.level}"

    def frames(self) -> dict[str, pd.DataFrame]:
        """Workbook sheets (Chinese + English headers); missing values are left empty for the exporter."""
        import pandas as pd

        return {"产业结构 industries": pd.DataFrame(self.industries),
                "集中度 concentration": pd.DataFrame(self.concentration),
                "主导产业 featured": pd.DataFrame(self.featured),
                "高技术与战新 categories": pd.DataFrame(self.categories)}


def _execute(store: Store, build: Any) -> tuple[Any, Any, Any]:
    """Bind an analysis expression to the store's tables and run it for the snapshot (a bound parameter)."""
    import ibis

    from gaoxin.indicators.backend import duckdb_backend
    from gaoxin.indicators.tables import STORE_TABLES, StoreTables

    backend = duckdb_backend(store.cursor())
    tables = StoreTables(*(backend.table(n) for n in STORE_TABLES))
    snap = ibis.param(tables.enterprise_year.valid_from.type())
    expr = build(tables, snap)
    return snap, backend, expr


def _run(store: Store, sid: int, build: Any) -> pd.DataFrame:
    snap, backend, expr = _execute(store, build)
    return backend.execute(expr, params={snap: sid})


def _label(level: str, code: Any, sections: dict[str, Any], div_section: dict[int, Any]) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "无行业代码 / no industry code"
    if level == "section":
        s = sections.get(code)
        return f"{code} {s.name_zh}" if s else str(code)
    s = div_section.get(int(code[:2])) if str(code)[:2].isdigit() else None
    return f"{code}（{s.code} {s.name_zh}）" if s else f"{code}（未知门类 / unknown section）"


def industry_structure(store: Store, year: int, zone: str | None = None, *, level: str = "division",
                       snapshot: str | int | None = None, rules: str | None = None,
                       history: int = 5, save: bool = False) -> IndustryStructure:
    """Industry structure of every zone (or ``zone``) in ``year`` against all zones, and the featured industry
    over ``year − history + 1 … year``.  Totals for LQ are over all zones' firms with an industry code.
    ``save`` stores the result per snapshot and rule-file hash (the store must be open for writing)."""
    from gaoxin.analysis import industry as ai
    from gaoxin.services.errors import InputError, check_year_values
    from gaoxin.store.snapshots import resolve

    check_year_values(year)
    if save:
        store.require_write()
    if level not in ("section", "division", "group"):
        raise InputError(f"行业层级无效 / level must be section, division or group, not {level!r}")
    if not 1 <= history <= 30:
        raise InputError(f"历史年数须在 1–30 之间 / history must be 1–30 years, not {history}")
    if rules is not None and not Path(rules).is_file():
        raise InputError(f"规则文件不存在 / no rule file {rules!r}")
    sid = resolve(store.con, snapshot)
    rule = ai.load_featured(rules)
    rule = rule.model_copy(update={"level": level}) if level != rule.level else rule
    imap = ai.industry_map()
    y0 = year - history + 1
    df = _run(store, sid, lambda t, s: ai.zone_industry(t, s, (y0 - 1, year), level, imap))
    zones = set(df["zone_id"])
    if zone is not None and zone not in zones:
        raise InputError(f"园区 {zone} 在快照{sid}中没有企业数据 / "
                         f"zone {zone} has no enterprise rows in snapshot {sid}")
    uncoded = df[df["industry"].isna()]
    df = df[df["industry"].notna()].copy()
    df["share"] = ai.share(df, "revenue")
    df["employment_share"] = ai.share(df, "employees")
    df["lq_revenue"] = ai.location_quotient(df, "revenue")
    df["lq_employees"] = ai.location_quotient(df, "employees")
    df["growth"] = ai.growth(df, "revenue")
    m = rule.measure
    df["lq"] = df["lq_revenue"] if m == "revenue" else df["lq_employees"]
    if m == "employees":
        df["share"], df["employment_share"] = df["employment_share"], df["share"]
    feat = ai.featured(df[df["year"] >= y0], rule)
    if m == "employees":
        df["share"], df["employment_share"] = df["employment_share"], df["share"]
    hhi = ai.herfindahl(df[df["year"] == year], "revenue")
    hhi_e = ai.herfindahl(df[df["year"] == year], "employees").rename(columns={"hhi": "hhi_employees"})
    conc = hhi.merge(hhi_e, on=["zone_id", "year"]).merge(
        df[df["year"] == year].groupby("zone_id").size().rename("industries").reset_index(), on="zone_id")
    cur = df[df["year"] == year]
    cats = _run(store, sid, lambda t, s: ai.zone_categories(t, s, year, imap))
    tot = df[df["year"] == year].groupby("zone_id")["revenue"].sum()
    if zone is not None:
        cur, conc, feat = (x[x["zone_id"] == zone] for x in (cur, conc, feat))
        cats = cats[cats["zone_id"] == zone]
    sections = {s.code: s for s in imap.section}
    div_section = {d: s for s in imap.section for d in range(s.first, s.last + 1)}
    catinfo = {c.code: c for c in imap.category}
    industries = [{"zone_id": r.zone_id, "industry": r.industry,
                   "label": _label(level, r.industry, sections, div_section),
                   "firms": int(r.firms), "revenue": _num(r.revenue), "employees": _num(r.employees),
                   "share": _num(r.share), "employment_share": _num(r.employment_share),
                   "lq_revenue": _num(r.lq_revenue), "lq_employees": _num(r.lq_employees), "growth": _num(r.growth)}
                  for r in cur.sort_values(["zone_id", "revenue", "industry"],
                                           ascending=[True, False, True]).itertuples()]
    concentration = [{"zone_id": r.zone_id, "year": int(r.year), "hhi": _num(r.hhi),
                      "hhi_employees": _num(r.hhi_employees), "industries": int(r.industries)}
                     for r in conc.sort_values("zone_id").itertuples()]
    first = max(y0, int(df["year"].min())) if len(df) else year  # no rows before the data's first year
    featured = _featured_history(feat, zones if zone is None else {zone}, range(first, year + 1), level, sections,
                                 div_section)
    categories = [{"zone_id": r.zone_id, "scheme": catinfo[r.category].scheme, "category": r.category,
                   "name_zh": catinfo[r.category].name_zh, "name_en": catinfo[r.category].name_en,
                   "firms": int(r.firms), "revenue": _num(r.revenue),
                   "share": _num(r.revenue / tot[r.zone_id]) if tot.get(r.zone_id, 0) > 0 else None,
                   "complete": catinfo[r.category].complete}
                  for r in cats.sort_values(["zone_id", "category"]).itertuples()]
    notes = []
    if len(uncoded[uncoded["year"] == year]):
        n = int(uncoded[uncoded["year"] == year]["firms"].sum())
        notes.append(f"{n} 家企业无行业代码，未计入 / {n} firms without an industry code are left out")
    if any(not c.complete for c in imap.category):
        notes.append("高技术产业与战略性新兴产业映射不完整（仅部分代码前缀）/ category mappings are partial "
                     "(prefixes only): a share is a lower bound")
    text = rules_text(rules) + ai._path("gbt4754-2017.toml").read_text("utf-8")  # type: ignore[union-attr]
    r = IndustryStructure(year, sid, level, zone, rule.id, hashlib.sha256(text.encode()).hexdigest()[:16],
                          imap.version, industries, concentration, featured, categories, notes)
    if save:
        from gaoxin.store import industry as stored

        stored.save(store.con, "industry", sid, r.rule_hash, r.key, r.to_dict())
    return r


def stored_result(store: Store, kind: str, snapshot: int, rule_hash: str, key: str) -> dict[str, Any] | None:
    """A saved industry or chains result (``IndustryStructure.key`` / ``ChainGaps.key``), or None."""
    from gaoxin.store import industry as stored

    return stored.load(store.con, kind, snapshot, rule_hash, key)


def rules_text(rules: str | None) -> str:
    """The featured rule file's text (its hash identifies a stored result)."""
    from gaoxin.analysis.industry import _path

    p = _path("featured.toml") if rules is None else Path(rules)
    return p.read_text("utf-8")


def _featured_history(feat: pd.DataFrame, zones: set[str], years: range, level: str, sections: dict,
                      div_section: dict) -> list[dict[str, Any]]:
    """One row per zone and year: the featured industry or "—", and whether it changed from the year before."""
    by = {(r.zone_id, int(r.year)): r for r in feat.itertuples()}
    rows = []
    for z in sorted(zones):
        before = None
        for y in years:
            r = by.get((z, y))
            code = r.industry if r is not None else None
            rows.append({"zone_id": z, "year": y, "industry": code if code is not None else MISSING,
                         "label": _label(level, code, sections, div_section) if code is not None else MISSING,
                         "share": _num(r.share) if r is not None else None,
                         "lq": _num(r.lq) if r is not None else None,
                         "changed": before is not None and code != before})
            before = code if code is not None else before
    return rows
