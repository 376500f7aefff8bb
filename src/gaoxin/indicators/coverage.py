"""Coverage of a framework on the data at hand: which indicators are computed, from which fields, which are missing.

A pure function of the framework, the counts of what a snapshot's year holds (non-missing rows per
enterprise column, zones per zone fact) and the computed indicator values.  The services fetch the
counts (``store.snapshots.input_counts``) and the values; ``gaoxin frameworks show --snapshot`` prints
the report and every stored evaluation keeps it in its log, because an official-style scoring counts
a missing indicator as 0: the user must see which indicators that is (docs/national-2021.md).
No Ibis, no SQL here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gaoxin.indicators.framework import Framework

if TYPE_CHECKING:
    import pandas as pd

STATUS_ZH = {"computed": "已计算", "partial": "部分园区", "missing": "缺失"}


@dataclass(frozen=True)
class Availability:
    """What one year of a snapshot holds."""

    columns: Mapping[str, int]  # enterprise column → rows with a value
    facts: Mapping[str, int]  # zone-fact code → zones with a value
    zones: int  # zones in the snapshot


@dataclass(frozen=True)
class Coverage:
    """One row per indicator (``frame``) and what it means for a scoring."""

    framework: str
    year: int | None
    snapshot: int | None
    frame: pd.DataFrame  # ref, code, name_zh, pillar, source_kind, fields, missing_fields, zones, of, status
    missing_as_zero: bool = False

    def codes(self, status: str) -> list[str]:
        return self.frame.loc[self.frame["status"] == status, "code"].tolist()

    @property
    def counts(self) -> dict[str, int]:
        return {s: int((self.frame["status"] == s).sum()) for s in STATUS_ZH}

    def message(self) -> str:
        """One line (Chinese + English) a user reads before trusting the ranking; loud when missing counts 0."""
        c = self.counts
        head = (f"{self.framework}: {c['computed']} 项已计算 computed, {c['partial']} 项部分园区有值 partial, "
                f"{c['missing']} 项缺失 missing (of {len(self.frame)})")
        missing = self.frame[self.frame["status"] == "missing"]
        if missing.empty:
            return head
        names = ", ".join(f"{r.ref or r.code} {r.name_zh}" for r in missing.itertuples())
        if self.missing_as_zero:
            return (f"警告 WARNING: 缺失指标按 0 分计入（官方口径）/ missing indicators are scored 0 (official style): "
                    f"{names}. {head}")
        return f"{head}; 缺失 missing: {names}"

    def to_log(self) -> dict[str, Any]:
        """JSON for an evaluation's log: counts, the missing and partial codes, the per-indicator rows."""
        rows = [{k: (v if not isinstance(v, float) or v == v else None) for k, v in r.items()}
                for r in self.frame.to_dict("records")]
        return {"framework": self.framework, "year": self.year, "snapshot": self.snapshot, "counts": self.counts,
                "missing": self.codes("missing"), "partial": self.codes("partial"),
                "missing_as_zero": self.missing_as_zero, "indicators": rows}


def _top_pillar(fw: Framework, code: str) -> str:
    by = {p.code: p for p in fw.pillars}
    p = by[code]
    while p.parent is not None:
        p = by[p.parent]
    return p.ref or p.code


def coverage(fw: Framework, available: Availability, values: pd.DataFrame | None = None, *,
             year: int | None = None, snapshot: int | None = None, missing_as_zero: bool = False) -> Coverage:
    """Per indicator: the fields it reads, those absent from the data, how many zones have a value, a status.

    ``values`` (zones × indicator codes, one year) gives the status: ``computed`` (every zone has a value),
    ``partial`` (some), ``missing`` (none).  Without values the status follows the fields alone: missing when
    a field it reads has no value anywhere, else computed (``coalesce`` branches make that an upper bound).
    """
    import pandas as pd

    rows = []
    for ind in fw.indicators:
        f = ind.parsed
        cols, facts = sorted(f.columns), sorted(f.facts)
        absent = [c for c in cols if available.columns.get(c, 0) == 0] + [
            f"fact:{k}" for k in facts if available.facts.get(k, 0) == 0]
        kind = "expert" if ind.qualitative else ("mixed" if cols and facts else ("fact" if facts else "enterprise"))
        if values is not None and ind.code in values.columns:
            n = int(values[ind.code].notna().sum())
            of = len(values)
            status = "missing" if n == 0 else ("computed" if n == of else "partial")
        else:
            n, of = (0 if absent else available.zones), available.zones
            status = "missing" if absent else "computed"
        rows.append({"ref": ind.ref or "", "code": ind.code, "name_zh": ind.name_zh,
                     "pillar": _top_pillar(fw, ind.parent), "source_kind": kind,
                     "fields": ", ".join([*cols, *(f"fact:{k}" for k in facts)]),
                     "missing_fields": ", ".join(absent), "zones": n, "of": of, "status": status,
                     "status_zh": STATUS_ZH[status]})
    return Coverage(fw.id, year, snapshot, pd.DataFrame(rows), missing_as_zero)


def scores_missing_as_zero(steps: list[Mapping[str, Any]]) -> bool:
    """Whether a pipeline (steps as ``{"name", "params"}`` dicts) counts a missing value as 0.

    The official-style scoring of public implementations does (domain.md).  Recognised: a step parameter
    ``missing = "zero"`` (or 0), an ``impute`` step with method ``zero`` or ``constant`` of value 0.
    """
    for s in steps:
        p = s.get("params", {}) or {}
        if p.get("missing") in ("zero", 0, 0.0):
            return True
        if s.get("name") == "impute" and (p.get("method") == "zero"
                                          or (p.get("method") == "constant" and p.get("value", 0) == 0)):
            return True
    return False
