"""The report as an Excel workbook (issue #11): a cover sheet, one sheet per table, native charts.

Statisticians check reports in Excel, so numbers stay numbers (formatted by column kind, never text), headers
carry units, suppressed cells read "—" with the footnote under the table, and every chart whose numbers live
in a table is a native Excel chart drawn from the cells — change a cell, the chart follows.  The workbook is
a function of the content alone: its created date comes from the content (``_office.created``), XlsxWriter's
zip entries carry a fixed date, so the same content gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaoxin.report._office import (
    DASH,
    LABELS,
    NUMERIC,
    cell_text,
    created,
    display_width,
    header,
    is_missing,
    meta_rows,
    safe_rows,
    safe_texts,
)

if TYPE_CHECKING:
    from gaoxin.services.report_model import Chart, Column, ReportContent, Section, Table

FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
TOP = 2  # row 0: the table's title, row 1: headers, data from row 2
CHART_ROWS = 18  # rows one chart takes on its sheet
EXCEL_TYPE = {"bar": "column", "line": "line", "radar": "radar", "waterfall": "column", "rank_interval": "line",
              "scatter": "line"}


def write_xlsx(content: ReportContent, path: str | Path) -> None:
    """Write ``content`` to ``path`` (.xlsx); the caller handles the temporary file and the audit."""
    import xlsxwriter

    digest = content.content_hash()
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False, "nan_inf_to_errors": False})
    try:
        _properties(wb, content, digest)
        styles = _Styles(wb)
        cover = wb.add_worksheet(_unique(LABELS[content.meta.lang]["cover"], set()))
        names: set[str] = {cover.name.lower()}
        placed: dict[str, tuple[Any, Table]] = {}
        listing: list[tuple[str, str, str]] = []
        for section in content.sections:
            for table in section.tables:
                if table.id in placed:
                    continue  # one sheet per table id: a repeated table is the same numbers
                ws = wb.add_worksheet(_unique(_sheet_title(section, table), names))
                names.add(ws.name.lower())
                _table(ws, table, styles, content.meta.lang)
                placed[table.id] = (ws, table)
                listing.append((ws.name, table.title, section.title))
        charts_on: dict[str, int] = {}
        for section in content.sections:
            for chart in section.charts:
                if chart.table in placed:
                    ws, table = placed[chart.table]
                    _chart(wb, ws, table, chart, charts_on.get(ws.name, 0), styles, content.meta.lang)
                    charts_on[ws.name] = charts_on.get(ws.name, 0) + 1
        _cover(cover, content, digest, listing, styles)
    finally:
        wb.close()


class _Styles:
    """The workbook's cell formats, one per column kind and decimals (XlsxWriter wants each format once)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        base = {"font_name": "等线", "font_size": 10}
        self.base = base
        self.title = wb.add_format({**base, "bold": True, "font_size": 12})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                   "valign": "vcenter"})
        self.text = wb.add_format({**base, "border": 1})
        self.dash = wb.add_format({**base, "border": 1, "align": "center", "font_color": "#666666"})
        self.note = wb.add_format({**base, "italic": True, "font_color": "#444444"})
        self.link = wb.add_format({**base, "font_color": "blue", "underline": 1})
        self._num: dict[str, Any] = {}

    def number(self, col: Column) -> Any:
        code = number_format(col)
        if code not in self._num:
            self._num[code] = self.wb.add_format({**self.base, "border": 1, "num_format": code})
        return self._num[code]


def number_format(col: Column) -> str:
    """Excel number format of a column kind: int ``#,##0``, rank ``0``, float/money by decimals, percent
    ``0.0"%"`` (the cell holds the percentage itself, 12.5 = 12.5 %: no hidden ×100)."""
    d = max(col.decimals, 0)
    frac = "." + "0" * d if d else ""
    if col.kind == "int":
        return "#,##0"
    if col.kind == "rank":
        return "0"
    if col.kind == "percent":
        return f'0{frac}"%"'
    return f"#,##0{frac}"


def _properties(wb: Any, content: ReportContent, digest: str) -> None:
    m = content.meta
    wb.set_properties({"title": m.title, "subject": m.subtitle, "author": m.generated_by, "company": "gaoxin",
                       "keywords": f"evaluation {m.evaluation_id}, snapshot {m.snapshot_id}, {m.scope}",
                       "comments": f"evaluation_id={m.evaluation_id}; snapshot_id={m.snapshot_id}; "
                                   f"config_hash={m.config_hash}; content_hash={digest}",
                       "created": created(m)})
    for name, value in (("evaluation_id", m.evaluation_id), ("snapshot_id", m.snapshot_id),
                        ("config_hash", m.config_hash), ("content_hash", digest), ("scope", m.scope),
                        ("audience", m.audience)):
        wb.set_custom_property(name, value)


def _sheet_title(section: Section, table: Table) -> str:
    """A zone profile's tables carry the zone (section) name: 180 zones each have a “一级指标得分”."""
    return f"{section.title} {table.title}" if section.level >= 2 else table.title


def _unique(title: str, taken: set[str]) -> str:
    """A legal sheet name: no ``[]:*?/\\``, no leading/trailing apostrophe, ≤ 31 characters, unique (Excel
    compares names without case)."""
    name = FORBIDDEN.sub("_", title).strip().strip("'") or "Sheet"
    if name.lower() == "history":
        name = "History_"
    name = name[:31]
    k = 2
    candidate = name
    while candidate.lower() in taken:
        tail = f" ({k})"
        candidate = name[:31 - len(tail)] + tail
        k += 1
    return candidate


def _table(ws: Any, table: Table, st: _Styles, lang: str) -> None:
    cols = table.columns
    title, *heads = safe_texts([table.title, *[header(c) for c in cols]])
    ws.write_string(0, 0, title, st.title)
    for j, h in enumerate(heads):
        ws.write_string(1, j, h, st.head)
    rows = safe_rows(table.rows)
    hidden = set(map(tuple, table.suppressed))
    widths = [display_width(h) for h in heads]
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            value = row[j] if j < len(row) else None
            r = TOP + i
            if (i, j) in hidden or is_missing(value):
                ws.write_string(r, j, DASH, st.dash)
            elif col.kind in NUMERIC and isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, j, float(value) if col.kind not in ("int", "rank") else value, st.number(col))
            else:
                ws.write_string(r, j, str(value), st.text)
            widths[j] = max(widths[j], display_width(cell_text(value, col)))
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(max(w + 2, 6), 60))
    ws.freeze_panes(TOP, 0)
    if cols:
        ws.autofilter(1, 0, TOP + max(len(rows), 1) - 1, len(cols) - 1)
    notes = list(table.notes)
    if table.suppressed and not notes:
        notes.append(LABELS[lang]["suppressed"])
    for k, note in enumerate(safe_texts(notes)):
        ws.write_string(TOP + len(rows) + 1 + k, 0, note, st.note)


Ref = tuple[int, int, int, int]  # first row, first column, last row, last column of a range on the sheet


def _source(table: Table, chart: Chart) -> tuple[Ref, list[Ref]] | None:
    """Where the chart's numbers already are in the table, as (categories range, one range per series): a
    text column holding the categories in order with each series a column (by label or key) of the same
    values, or — a radar of one zone's pillars — the categories as numeric column headers and each series a
    row named by its first text cell.  None: the chart then draws from its own block."""
    n = len(chart.categories)
    if n == 0:
        return None
    for c, col in enumerate(table.columns):
        if col.kind in NUMERIC:
            continue
        values = [str(r[c]) if c < len(r) and r[c] is not None else None for r in table.rows]
        for start in range(len(values) - n + 1):
            if values[start:start + n] != list(chart.categories):
                continue
            series_cols = [_series_column(table, s.name, s.values, start) for s in chart.series]
            if all(x is not None for x in series_cols):
                r0, r1 = TOP + start, TOP + start + n - 1
                return (r0, c, r1, c), [(r0, j, r1, j) for j in series_cols]  # type: ignore[misc]
    return _transposed(table, chart)


def _transposed(table: Table, chart: Chart) -> tuple[Ref, list[Ref]] | None:
    labels = [c.label for c in table.columns]
    n = len(chart.categories)
    for c0 in range(len(labels) - n + 1):
        if labels[c0:c0 + n] != list(chart.categories) or not all(
                col.kind in NUMERIC for col in table.columns[c0:c0 + n]):
            continue
        refs = []
        for s in chart.series:
            hit = next((i for i, r in enumerate(table.rows) if s.name in [str(x) for x in r if isinstance(x, str)]
                        and all(_same(r[c0 + k] if c0 + k < len(r) else None, v) for k, v in enumerate(s.values))),
                       None)
            if hit is None:
                break
            refs.append((TOP + hit, c0, TOP + hit, c0 + n - 1))
        else:
            return (1, c0, 1, c0 + n - 1), refs
    return None


def _same(cell: object, value: float | None) -> bool:
    if value is None:
        return cell is None or (isinstance(cell, float) and is_missing(cell))
    return isinstance(cell, int | float) and not isinstance(cell, bool) and abs(float(cell) - value) <= 1e-9 * max(
        1.0, abs(value))


def _series_column(table: Table, name: str, values: list[float | None], start: int) -> int | None:
    hidden = set(map(tuple, table.suppressed))
    for j, col in enumerate(table.columns):
        if col.kind not in NUMERIC or name not in (col.label, col.key, header(col)):
            continue
        cells = [table.rows[start + i][j] if j < len(table.rows[start + i]) else None for i in range(len(values))]
        if all(_same(c, v) or (v is None and (start + i, j) in hidden)
               for i, (c, v) in enumerate(zip(cells, values, strict=True))):
            return j
    return None


def _chart(wb: Any, ws: Any, table: Table, chart: Chart, k: int, st: _Styles, lang: str) -> None:
    """A native chart on the table's sheet, right of the table (stacked when a sheet has several)."""
    kind = EXCEL_TYPE.get(chart.kind, "column")
    ch = wb.add_chart({"type": kind})
    name = ws.name.replace("'", "''")
    right = len(table.columns) + 1
    src = _source(table, chart)
    if src is None:  # the chart's own numbers, in a small block beside the table
        src = _block(ws, chart, right, k, st, lang)
        right += 1 + len(chart.series) + 1
    cats, vals = src
    for s, ref in zip(chart.series, vals, strict=True):
        spec: dict[str, Any] = {"name": safe_texts([s.name])[0], "categories": [name, *cats], "values": [name, *ref]}
        if chart.kind in ("rank_interval", "scatter"):
            spec |= {"line": {"none": True}, "marker": {"type": "diamond", "size": 7}}
        if chart.kind == "rank_interval" and s.low is not None and s.high is not None:
            plus = [0 if v is None or h is None else h - v for v, h in zip(s.values, s.high, strict=True)]
            minus = [0 if v is None or lo is None else v - lo for v, lo in zip(s.values, s.low, strict=True)]
            spec["y_error_bars"] = {"type": "custom", "plus_values": plus, "minus_values": minus}
        if chart.kind == "waterfall":
            spec["invert_if_negative"] = True
        ch.add_series(spec)
    ch.set_title({"name": safe_texts([chart.title])[0], "name_font": {"name": "等线", "size": 11}})
    axis = {"name": chart.unit or LABELS[lang]["value"], "name_font": {"name": "等线", "size": 9}}
    if chart.kind == "rank_interval":
        axis["reverse"] = True  # rank 1 on top
    if chart.kind != "radar":
        ch.set_y_axis(axis)
    ch.set_legend({"position": "bottom"} if len(chart.series) > 1 else {"none": True})
    ch.set_size({"width": 640, "height": 340})
    ws.insert_chart(1 + k * CHART_ROWS, right, ch)


def _block(ws: Any, chart: Chart, col0: int, k: int, st: _Styles, lang: str) -> tuple[Ref, list[Ref]]:
    """Write the chart's categories and series beside the table; their ranges."""
    row0 = 1 + k * CHART_ROWS
    ws.write_string(row0, col0, safe_texts([f"{LABELS[lang]['chart_data']}：{chart.title}"])[0], st.head)
    for j, s in enumerate(safe_texts([s.name for s in chart.series])):
        ws.write_string(row0, col0 + 1 + j, s, st.head)
    for i, cat in enumerate(safe_texts(list(chart.categories))):
        ws.write_string(row0 + 1 + i, col0, cat, st.text)
        for j, s in enumerate(chart.series):
            v = s.values[i] if i < len(s.values) else None
            if is_missing(v):
                ws.write_string(row0 + 1 + i, col0 + 1 + j, DASH, st.dash)
            else:
                ws.write_number(row0 + 1 + i, col0 + 1 + j, float(v), st.text)
    ws.set_column(col0, col0, min(max(max((display_width(c) for c in chart.categories), default=8) + 2, 8), 40))
    r0, r1 = row0 + 1, row0 + len(chart.categories)
    return (r0, col0, r1, col0), [(r0, col0 + 1 + j, r1, col0 + 1 + j) for j in range(len(chart.series))]


def _cover(ws: Any, content: ReportContent, digest: str, listing: list[tuple[str, str, str]], st: _Styles) -> None:
    lab = LABELS[content.meta.lang]
    pairs = meta_rows(content.meta, digest)
    texts = safe_texts([str(v) for _, v in pairs])
    ws.write_string(0, 0, safe_texts([content.meta.title])[0], st.title)
    for i, ((label, value), text) in enumerate(zip(pairs, texts, strict=True)):
        ws.write_string(2 + i, 0, label, st.head)
        if isinstance(value, int):
            ws.write_number(2 + i, 1, value, st.text)
        else:
            ws.write_string(2 + i, 1, text, st.text)
    top = 2 + len(pairs) + 1
    ws.write_string(top, 0, lab["contents"], st.title)
    for j, h in enumerate((lab["sheet"], lab["table"], lab["section"])):
        ws.write_string(top + 1, j, h, st.head)
    widths = [display_width(lab["evaluation_id"]), display_width(digest), 10]
    for i, (sheet, title, section) in enumerate(listing):
        r = top + 2 + i
        target = sheet.replace("'", "''")
        ws.write_url(r, 0, f"internal:'{target}'!A1", st.link, string=sheet)
        t, s = safe_texts([title, section])
        ws.write_string(r, 1, t, st.text)
        ws.write_string(r, 2, s, st.text)
        widths = [max(widths[0], display_width(sheet)), max(widths[1], display_width(t)),
                  max(widths[2], display_width(s))]
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(w + 2, 70))
    ws.activate()
