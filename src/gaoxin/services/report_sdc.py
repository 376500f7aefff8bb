"""Every enterprise aggregate a report prints, protected in one ``protect_for`` call (issue #11 §2).

Why one call over all zones' firms, whatever the scope: the tables are then linked (a zone total printed on a
zone page, in a province's key figures and in the region table is one cell, withheld everywhere or nowhere),
and every report of a year — national, provincial, zonal — shows the same public pattern, so no two reports
can be combined against a respondent (decision 0031's argument, decision 0036).

Tables (margins on): zone × industry section (revenue), and for each measure (revenue, employees, R&D,
firm count) region × zone and province × zone, whose margins are the zone, region, province and national
totals the report prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gaoxin.services.disclosure import COUNT, TOTAL, Table, protect_for
from gaoxin.services.report_parts import num

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.services import Store
    from gaoxin.services.access import Access
    from gaoxin.services.disclosure import Protected

MEASURES = ("revenue", "employees", "rd_expense", COUNT)
UNCLASSIFIED = "?"


def _sections(codes: pd.Series) -> pd.Series:
    """GB/T 4754 section (门类 A–T) of each industry code; unknown codes → ``UNCLASSIFIED``."""
    from gaoxin.analysis.industry import industry_map

    div = {d: s.code for s in industry_map().section for d in range(s.first, s.last + 1)}
    two = codes.astype("string").str[:2]
    return two.map(lambda x: div.get(int(x), UNCLASSIFIED) if isinstance(x, str) and x.isdigit()
                   else UNCLASSIFIED).astype(str)


def section_names() -> dict[str, tuple[str, str]]:
    from gaoxin.analysis.industry import industry_map

    out = {s.code: (s.name_zh, s.name_en) for s in industry_map().section}
    out[UNCLASSIFIED] = ("未分类", "Unclassified")
    return out


@dataclass
class Aggregates:
    """The protected tables and lookups into them; ``None`` is a withheld cell (or no firm at all)."""

    protected: Protected | None
    zone_of_region: dict[str, str]

    def _t(self, name: str) -> pd.DataFrame | None:
        return None if self.protected is None else self.protected.tables.get(name)

    def total(self, measure: str, *, zone: str | None = None, region: str | None = None,
              province: str | None = None) -> float | None:
        """A printed total: of a zone, a region, a province, or (none given) the nation."""
        if zone is not None:
            t, r, c = self._t(f"rz:{measure}"), TOTAL, zone
        elif region is not None:
            t, r, c = self._t(f"rz:{measure}"), region, TOTAL
        elif province is not None:
            t, r, c = self._t(f"pz:{measure}"), province, TOTAL
        else:
            t, r, c = self._t(f"rz:{measure}"), TOTAL, TOTAL
        if t is None or r not in t.index or c not in t.columns:
            return None
        return num(t.loc[r, c])

    def is_withheld(self, measure: str, **where: str | None) -> bool:
        """Whether the total exists (the scope has firms) but is withheld for this audience."""
        if self.protected is None:
            return False
        return self.total(measure, **where) is None and self._present(measure, **where)

    def _present(self, measure: str, *, zone: str | None = None, region: str | None = None,
                 province: str | None = None) -> bool:
        t = self._t(f"pz:{measure}" if province is not None else f"rz:{measure}")
        if t is None:
            return False
        if zone is not None:
            return zone in t.columns
        if region is not None:
            return region in t.index
        if province is not None:
            return province in t.index
        return len(t.index) > 0

    def industries(self, zone: str) -> list[tuple[str, float | None, bool]]:
        """(section, revenue, withheld) of ``zone``'s industries with firms (revenue in 千元)."""
        t = self._t("zone_section")
        if t is None or zone not in t.index:
            return []
        out = []
        for sec in t.columns:
            if sec == TOTAL:
                continue
            v = t.loc[zone, sec]
            if v is None:
                out.append((str(sec), None, True))
            elif num(v):
                out.append((str(sec), num(v), False))
        return out

    def footnote(self, lang: str) -> str | None:
        if self.protected is None or not self.protected.any_suppressed:
            return None
        return self.protected.footnote_zh if lang == "zh" else self.protected.footnote_en


def aggregates(store: Store, access: Access, snapshot: int, year: int, zones: list[dict[str, Any]]) -> Aggregates:
    """The report's enterprise tables for ``access`` (firms of ``year`` in ``snapshot``), one protect call."""
    from gaoxin.store import reads

    firms = reads.year_rows(store.cursor(), snapshot, year)
    region = {z["zone_id"]: z["region"] for z in zones}
    province = {z["zone_id"]: (z["province_code"] or "")[:2] for z in zones}
    if firms.empty:
        return Aggregates(None, region)
    firms = firms[firms["zone_id"].astype(str).isin(region)].copy()
    firms["region"] = firms["zone_id"].map(region).fillna(UNCLASSIFIED).astype(str)
    firms["province"] = firms["zone_id"].map(province).fillna(UNCLASSIFIED).astype(str)
    firms["section"] = _sections(firms["industry_code"])
    tables = [Table("zone_section", rows="zone_id", cols="section", measures=("revenue",))]
    for m in MEASURES:
        tables += [Table(f"rz:{m}", rows="region", cols="zone_id", measures=(m,)),
                   Table(f"pz:{m}", rows="province", cols="zone_id", measures=(m,))]
    return Aggregates(protect_for(store, access, firms, tables, snapshot=snapshot), region)
