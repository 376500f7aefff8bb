"""A report as PDF: ``ReportContent`` → Jinja2 HTML (``templates/report.html``) → WeasyPrint (issue #11 §1).

The layout is CSS paged media: cover, table of contents with page numbers (``target-counter``), running
headers with the scope and year, page numbers, tables whose header row repeats on every page they span,
each zone's profile on its own page. Charts are SVG from ``report.charts``, in the same CJK font.

Deterministic: the same content gives the same text and the same bytes — no dates, a PDF identifier made
from the content hash, charts with a fixed hash salt. The PDF's metadata carries the title, run id,
snapshot, configuration hash and content hash.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gaoxin.services.report_model import Column, ReportContent, Table

MISSING = "—"
HALF = ("radar", "line")  # on a zone's page these two sit side by side
MIXED_UNITS = ("value", "before", "after", "median")  # columns whose rows have different units
NUMERIC = ("int", "float", "percent", "money", "rank")


def cell_text(value: Any, column: Column) -> str:
    """A cell as printed: "—" for missing or suppressed; numbers with the column's decimals."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if column.kind in ("int", "rank"):
        return f"{round(float(value))}" if column.key.endswith("year") else f"{round(float(value)):,}"
    if column.key in MIXED_UNITS and float(value).is_integer():
        return f"{round(float(value)):,}"  # a count among ratios: "5 家", not "5.000 家"
    if column.kind in NUMERIC:
        return f"{float(value):,.{column.decimals}f}"
    return str(value)


def _pt(svg_text: str) -> float:
    """The SVG's own width in pt (matplotlib writes ``width="…pt"``): the image is shown at that size, so the
    chart's 8.5 pt text stays 8.5 pt on paper."""
    m = re.search(r'width="([0-9.]+)pt"', svg_text[:400])
    return float(m.group(1)) if m else 450.0


def anchor(section_id: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_-]+", "-", section_id)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _table_view(t: Table) -> dict[str, Any]:
    sup = {tuple(x) for x in t.suppressed}
    rows = [[{"text": cell_text(v, t.columns[j]), "num": t.columns[j].kind in NUMERIC, "sup": (i, j) in sup}
             for j, v in enumerate(r)] for i, r in enumerate(t.rows)]
    return {"id": t.id, "title": t.title, "columns": t.columns, "rows": rows, "notes": t.notes,
            "wide": len(t.columns) > 7, "widths": _widths(t.columns, rows)}


def _display(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _widths(columns: list[Column], rows: list[list[dict[str, Any]]]) -> list[float]:
    """Column widths in % for a fixed table layout (WeasyPrint's automatic layout measures every cell
    twice and is slow on long tables): each column's longest text (CJK counts double), capped so
    that a long formula wraps instead of starving the others, with a floor so headers stay legible."""
    want = []
    for j, c in enumerate(columns):
        texts = [r[j]["text"] for r in rows[:300]]
        body = max((_display(x) for x in texts), default=0)
        word = max((_display(w) for x in texts for w in x.split()), default=0)  # Latin words do not break
        latin = max((len(w) for w in re.split(r"[\s（）()]+", c.label) if w.isascii()), default=0)
        head = max(min(_display(c.label), 8), min(latin, 16))  # CJK breaks anywhere, a Latin word nowhere
        want.append(max(min(body, 40), head, min(word, 16), 3) + 2)  # + 2: the cell's padding
    total = sum(want) or 1
    return [round(100.0 * w / total, 2) for w in want]


def render_html(content: ReportContent) -> str:
    """The report as one HTML document (what WeasyPrint lays out)."""
    import jinja2

    from gaoxin.report.charts import WIDTH_IN, split, svg_many

    env = jinja2.Environment(loader=jinja2.PackageLoader("gaoxin.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    m = content.meta
    zh = m.lang == "zh"
    parts = [[(c, s.id.startswith("zone:") and ch.kind in HALF) for ch in s.charts for c in split(ch)]
             for s in content.sections]  # per section: each chart drawn, and whether it takes half the width
    drawn = iter(svg_many([(c, WIDTH_IN / 2 if half else WIDTH_IN) for p in parts for c, half in p]))
    sections = []
    for s, p in zip(content.sections, parts, strict=True):
        charts = []
        for c, half in p:
            text = next(drawn)
            charts.append({"title": c.title, "src": "data:image/svg+xml;base64," + base64.b64encode(
                text.encode()).decode(), "tall": c.kind == "rank_interval", "half": half, "width": _pt(text)})
        sections.append({"id": s.id, "anchor": anchor(s.id), "title": s.title, "level": s.level,
                         "paragraphs": s.paragraphs, "tables": [_table_view(t) for t in s.tables], "charts": charts,
                         "zone": s.id.startswith("zone:")})
    scope_line = f"{m.title}" if zh else m.title
    labels = {"toc": "目　录" if zh else "Contents", "run": "评价编号" if zh else "Evaluation run",
              "snapshot": "数据快照" if zh else "Snapshot", "config": "配置哈希" if zh else "Configuration hash",
              "content": "内容哈希" if zh else "Content hash", "by": "生成" if zh else "Generated by",
              "audience": "读者" if zh else "Audience", "page": "第" if zh else "page"}
    return env.get_template("report.html").render(
        meta=m, sections=sections, labels=labels, lang="zh-Hans" if zh else "en", content_hash=content.content_hash(),
        header_left=_css_string(scope_line), header_right=_css_string(str(m.year)))


def write_pdf(content: ReportContent, path: Path) -> Path:
    """Render ``content`` to ``path`` (the caller chooses where: a temporary file beside the target)."""
    from weasyprint import HTML

    html = render_html(content)
    ident = content.content_hash()[:32].encode()
    HTML(string=html, base_url=str(Path(__file__).parent / "templates")).write_pdf(
        str(path), custom_metadata=True, pdf_identifier=ident)
    return path
