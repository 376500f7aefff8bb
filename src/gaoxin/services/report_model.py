"""The content of a report, independent of its format (issue #11).

One stored evaluation run is turned into a `ReportContent` by `services.report.build_report`; the PDF,
Word and Excel renderers in `gaoxin.report` only lay it out.  Every number a reader sees is in here, already
scoped to the audience and passed through disclosure control, so the three formats cannot disagree and
regenerating from the same run gives the same content (`content_hash`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Cell = str | int | float | None
"""A table cell: None is missing (printed "—"); a suppressed cell is None with its position in `suppressed`."""

ColumnKind = Literal["text", "int", "float", "percent", "money", "rank", "interval"]
ChartKind = Literal["bar", "line", "radar", "waterfall", "rank_interval", "scatter"]
# waterfall: the first and last values are levels (last year's and this year's score), those between changes.
# rank_interval: one series per scoring; ``values`` the rank, ``low``/``high`` its 5–95 % interval.


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Frozen):
    key: str
    label: str  # in the report's language, with the unit in the header where there is one
    unit: str = ""
    kind: ColumnKind = "text"
    decimals: int = 2  # shown decimals (Excel number format, PDF/Word text)


class Table(_Frozen):
    id: str  # stable: also the Excel sheet's key
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    suppressed: list[tuple[int, int]] = Field(default_factory=list)  # (row, column) withheld by disclosure control
    notes: list[str] = Field(default_factory=list)  # footnotes under the table (sources, suppression, units)


class Series(_Frozen):
    name: str
    values: list[float | None]
    low: list[float | None] | None = None  # interval charts: lower bound per category
    high: list[float | None] | None = None


class Chart(_Frozen):
    id: str
    kind: ChartKind
    title: str
    categories: list[str]  # x axis (or radar axes)
    series: list[Series]
    unit: str = ""  # value axis unit, always shown
    table: str | None = None  # the Table id holding the same numbers (Excel draws native charts from it)


class Section(_Frozen):
    id: str  # cover, summary, method, ranking, regions, classification, warnings, targets, zone:<id>, annex
    title: str
    level: int = 1  # heading level: 1 chapter, 2 per-zone profile pages
    paragraphs: list[str] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)


class ReportMeta(_Frozen):
    title: str
    subtitle: str
    scope: str  # national | province:<GB/T 2260 code> | zone:<id>
    audience: str  # public | role[:zones]
    lang: Literal["zh", "en"]
    year: int
    evaluation_id: int
    snapshot_id: int
    config_hash: str
    framework: str
    generated_by: str  # "gaoxin <version>"


class ReportContent(_Frozen):
    meta: ReportMeta
    sections: list[Section]

    def content_hash(self) -> str:
        """SHA-256 of the content: the same run, scope, audience and language give the same hash."""
        payload = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]
