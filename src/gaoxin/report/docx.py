"""The report as a Word document (issue #11): the PDF's content, editable, because officials revise reports
before they are issued.

Real Word structure, not pictures of it: headings in the built-in Heading styles (so the navigation pane and
the table-of-contents field work), tables as Word tables with a repeated header row, footnotes as paragraphs,
page numbers as a PAGE field in the footer, the scope and year in the header.  East Asian text gets its font
through ``w:eastAsia`` on the styles (Noto Sans CJK SC, declared in the font table with 宋体 as its alternate
so a Windows machine without Noto falls back to a Chinese font, not to boxes).  Charts are PNG images.
The document is a function of the content: fixed core-property dates and fixed zip entry times.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaoxin.report._office import (
    LABELS,
    NUMERIC,
    cell_text,
    created,
    header,
    is_missing,
    meta_rows,
    safe_rows,
    safe_texts,
)
from gaoxin.report._png import split

if TYPE_CHECKING:
    from gaoxin.services.report_model import Chart, ReportContent, ReportMeta, Table

FONT = "Noto Sans CJK SC"
FALLBACK = "宋体"
LATIN = "Calibri"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0: dropped from cell text


def write_docx(content: ReportContent, path: str | Path) -> None:
    """Write ``content`` to ``path`` (.docx); the caller handles the temporary file and the audit."""
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.2)
    sec.top_margin = sec.bottom_margin = Cm(2.3)
    _fonts(doc)
    _properties(doc, content)
    _header_footer(doc, content.meta)
    lab = LABELS[content.meta.lang]
    _cover(doc, content)
    doc.add_page_break()
    doc.add_paragraph(lab["toc"], style="TOC Heading" if _has_style(doc, "TOC Heading") else None)
    _toc(doc.add_paragraph(), lab["toc_hint"])
    figure = 0
    for section in content.sections:
        if section.id == "cover":
            continue  # its paragraphs are on the cover page
        heading = doc.add_paragraph(safe_texts([section.title])[0],
                                    style=_style(doc, f"Heading {min(max(section.level, 1), 3)}"))
        if section.level <= 1 or section.id.startswith("zone:"):  # a chapter or a zone page starts a page
            heading.paragraph_format.page_break_before = True
        for text in safe_texts(list(section.paragraphs)):
            doc.add_paragraph(text)
        for table in section.tables:
            _table(doc, table, content.meta.lang)
        for chart in section.charts:
            for part in split(chart):
                figure += 1
                _chart(doc, part, figure, lab)
    buf = io.BytesIO()
    doc.save(buf)
    Path(path).write_bytes(_fixed_zip(buf.getvalue()))


# --- styles, fonts, properties ---------------------------------------------------------------------------------

def _has_style(doc: Any, name: str) -> bool:
    """Whether the template has style ``name`` (looked up once per document: the lookup walks every style)."""
    names = getattr(doc, "_gaoxin_styles", None)
    if names is None:
        names = {s.name for s in doc.styles}
        doc._gaoxin_styles = names
    return name in names


def _style(doc: Any, name: str) -> Any:
    """The style object (not its name: python-docx looks a name up by XPath on every paragraph), or None."""
    cache = getattr(doc, "_gaoxin_style_objs", None)
    if cache is None:
        cache = doc._gaoxin_style_objs = {}
    if name not in cache:
        cache[name] = doc.styles[name] if _has_style(doc, name) else None
    return cache[name]


def _east_asian(style: Any, font: str = FONT) -> None:
    """Set the style's Latin and East Asian fonts (python-docx's ``font.name`` sets only the Latin ones)."""
    from docx.oxml.ns import qn

    style.font.name = LATIN
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN)
    fonts.set(qn("w:eastAsia"), font)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would override the named one


def _fonts(doc: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for style in doc.styles:
        if int(style.type) in (1, 2, 3):  # paragraph, character and table styles
            _east_asian(style)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    for level in (1, 2, 3):
        h = doc.styles[f"Heading {level}"]
        h.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    # the document's default East Asian font and language (rPrDefault), for text outside any named style
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is not None:
                for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                    fonts.attrib.pop(qn(theme), None)
                fonts.set(qn("w:eastAsia"), FONT)
                fonts.set(qn("w:ascii"), LATIN)
                fonts.set(qn("w:hAnsi"), LATIN)
            lang = rpr.find(qn("w:lang"))
            if lang is None:
                lang = rpr.makeelement(qn("w:lang"), {})
                rpr.append(lang)
            lang.set(qn("w:eastAsia"), "zh-CN")
    for fonts in doc.styles.element.iter(qn("w:rFonts")):  # also table styles' conditional (first-row …) parts
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
        fonts.set(qn("w:eastAsia"), FONT)
    _font_table(doc)


def _font_table(doc: Any) -> None:
    """Declare Noto Sans CJK SC in the font table with 宋体 as its alternate name and the GB2312 charset."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn

    part = doc.part
    for rel in part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            from lxml import etree

            root = etree.fromstring(rel.target_part.blob)
            font = root.makeelement(qn("w:font"), {qn("w:name"): FONT})
            for tag, val in (("w:altName", FALLBACK), ("w:charset", "86"), ("w:family", "swiss"),
                             ("w:pitch", "variable")):
                font.append(root.makeelement(qn(tag), {qn("w:val"): val}))
            root.insert(0, font)
            rel.target_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            return


def _properties(doc: Any, content: ReportContent) -> None:
    m = content.meta
    when = created(m)
    cp = doc.core_properties
    cp.title, cp.subject, cp.author = m.title, m.subtitle, m.generated_by
    cp.last_modified_by = m.generated_by
    cp.keywords = f"evaluation {m.evaluation_id}; snapshot {m.snapshot_id}; {m.scope}"
    cp.comments = (f"evaluation_id={m.evaluation_id}; snapshot_id={m.snapshot_id}; config_hash={m.config_hash}; "
                   f"content_hash={content.content_hash()}")
    cp.category, cp.language = "gaoxin report", "zh-CN" if m.lang == "zh" else "en-US"
    cp.identifier = content.content_hash()
    cp.created = cp.modified = when
    cp.last_printed = when
    cp.revision = 1


def _scope_label(meta: ReportMeta) -> str:
    kind, _, key = meta.scope.partition(":")
    zh = meta.lang == "zh"
    if kind == "national":
        return "全国" if zh else "National"
    if kind == "province":
        return f"省份 {key}" if zh else f"Province {key}"
    return f"园区 {key}" if zh else f"Zone {key}"


def _header_footer(doc: Any, meta: ReportMeta) -> None:
    """Header: the report's title, scope and year; footer: the page number as a PAGE field (Word counts)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    sec = doc.sections[0]
    year = f"{meta.year}年" if meta.lang == "zh" else str(meta.year)
    p = sec.header.paragraphs[0]
    p.text = safe_texts([f"{meta.title} · {_scope_label(meta)} · {year}"])[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in p.runs:
        run.font.size = Pt(8)
    f = sec.footer.paragraphs[0]
    f.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, after = LABELS[meta.lang]["page"].partition("{PAGE}")
    if before:
        f.add_run(before)
    _field(f, "PAGE", "1")
    if after:
        f.add_run(after)


def _field(paragraph: Any, instruction: str, placeholder: str) -> None:
    """A complex field (begin, instruction, separate, cached result, end) — Word updates it when shown."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)
        return run

    char("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def _toc(paragraph: Any, hint: str) -> None:
    """The table-of-contents field over Heading 1–2; the settings ask Word to refresh fields on opening."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    _field(paragraph, 'TOC \\o "1-2" \\h \\z \\u', hint)
    settings = paragraph.part.package.main_document_part.settings.element
    if settings.find(qn("w:updateFields")) is None:
        el = OxmlElement("w:updateFields")
        el.set(qn("w:val"), "true")
        settings.append(el)


# --- content -----------------------------------------------------------------------------------------------------

def _cover(doc: Any, content: ReportContent) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    m = content.meta
    for _ in range(3):
        doc.add_paragraph()
    title = doc.add_paragraph(style="Title")
    title.add_run(safe_texts([m.title])[0])
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = sub.add_run(safe_texts([m.subtitle])[0])
    run.font.size = Pt(14)
    doc.add_paragraph()
    rows = [[label, str(value)] for label, value in meta_rows(m, content.content_hash())]
    _grid(doc, rows, header_row=False, numeric=set(), widths=(4.5, 12.0))
    for section in content.sections:
        if section.id == "cover":
            for text in safe_texts(list(section.paragraphs)):
                doc.add_paragraph(text)
            for table in section.tables:
                _table(doc, table, m.lang)


def _table(doc: Any, table: Table, lang: str) -> None:
    from docx.shared import Pt

    cap = doc.add_paragraph(style=_style(doc, "Caption"))
    run = cap.add_run(safe_texts([table.title])[0])
    run.bold = True
    run.font.size = Pt(10)
    hidden = set(map(tuple, table.suppressed))
    rows = safe_rows(table.rows)
    body = [[cell_text(None if (i, j) in hidden else (r[j] if j < len(r) else None), col)
             for j, col in enumerate(table.columns)] for i, r in enumerate(rows)]
    heads = safe_texts([header(c) for c in table.columns])
    numeric = {j for j, c in enumerate(table.columns) if c.kind in NUMERIC}
    _grid(doc, [heads, *body], header_row=True, numeric=numeric)
    notes = list(table.notes)
    if table.suppressed and not notes:
        notes.append(LABELS[lang]["suppressed"])
    for note in safe_texts(notes):
        p = doc.add_paragraph()
        r = p.add_run(note)
        r.italic = True
        r.font.size = Pt(8.5)


def _grid(doc: Any, rows: list[list[str]], *, header_row: bool, numeric: set[int],
          widths: tuple[float, ...] | None = None) -> None:
    """A Word table written as one XML string and parsed once (python-docx's cell API is quadratic on long
    tables, element-by-element building slow on a national report's ~1 100 tables): grid borders, 9-pt text,
    numbers right-aligned, the first row bold and repeated on every page."""
    from xml.sax.saxutils import escape

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    n = max((len(r) for r in rows), default=0)
    if n == 0:
        return
    twips = [round(w * 567) for w in widths] if widths else [round(_text_width(doc) / n)] * n
    style = _style_id(doc, "Table Grid")
    out = [f"<w:tbl {nsdecls('w')}><w:tblPr>", f'<w:tblStyle w:val="{style}"/>' if style else "",
           '<w:tblW w:type="auto" w:w="0"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
           'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
           "".join(f'<w:gridCol w:w="{w}"/>' for w in (twips + twips[-1:] * n)[:n]), "</w:tblGrid>"]
    size = '<w:sz w:val="18"/><w:szCs w:val="18"/>'
    for i, row in enumerate(rows):
        head = i == 0 and header_row
        out.append('<w:tr><w:trPr><w:tblHeader w:val="true"/><w:cantSplit w:val="true"/></w:trPr>' if head
                   else "<w:tr>")
        for j in range(n):
            text = escape(CONTROL.sub("", row[j] if j < len(row) else ""))
            jc = '<w:jc w:val="right"/>' if j in numeric and not head and i > 0 else ""
            bold = "<w:b/>" if head else ""
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{(twips + twips[-1:] * n)[j]}" w:type="dxa"/></w:tcPr><w:p>'
                       f'<w:pPr><w:spacing w:before="0" w:after="0"/>{jc}</w:pPr><w:r><w:rPr>{bold}{size}</w:rPr>'
                       f'<w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>')
        out.append("</w:tr>")
    out.append("</w:tbl>")
    doc.element.body._insert_tbl(parse_xml("".join(out)))
    doc.add_paragraph()


def _text_width(doc: Any) -> int:
    """The page's text width in twips (A4 less the margins), looked up once per document."""
    width = getattr(doc, "_gaoxin_width", None)
    if width is None:
        sec = doc.sections[0]
        width = doc._gaoxin_width = int((sec.page_width - sec.left_margin - sec.right_margin) / 635)
    return width


def _style_id(doc: Any, name: str) -> str | None:
    return doc.styles[name].style_id if _has_style(doc, name) else None


def _chart(doc: Any, chart: Chart, number: int, lab: dict[str, str]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    try:  # the PDF's own drawing when gaoxin.report.charts offers PNG (same look in both); else the local one
        from gaoxin.report.charts import png  # type: ignore[attr-defined]
    except ImportError:
        from gaoxin.report._png import png

    if not chart.categories or not chart.series or all(is_missing(v) for s in chart.series for v in s.values):
        return  # nothing to draw: the numbers are in the tables
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _picture(doc, p.add_run(), png(chart), Cm(15.5))
    cap = doc.add_paragraph()
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    unit = f"（{chart.unit}）" if chart.unit and lab is LABELS["zh"] else (f" ({chart.unit})" if chart.unit else "")
    run = cap.add_run(safe_texts([f"{lab['figure']} {number}  {chart.title}{unit}"])[0])
    run.font.size = Pt(9)


def _picture(doc: Any, run: Any, data: bytes, width: Any) -> None:
    """``run.add_picture`` without its ``next_id``: python-docx finds a free shape id by an XPath over the
    whole document per picture, quadratic in a national report's ~540 charts (49 of 93 s).  Ids count up
    from 1000 here (the template's drawings, if any, sit below)."""
    from docx.oxml.shape import CT_Inline

    part = doc.part
    r_id, image = part.get_or_add_image(io.BytesIO(data))
    cx, cy = image.scaled_dimensions(width, None)
    doc._gaoxin_shape = getattr(doc, "_gaoxin_shape", 999) + 1
    run._r.add_drawing(CT_Inline.new_pic_inline(doc._gaoxin_shape, r_id, image.filename, cx, cy))


def _fixed_zip(data: bytes) -> bytes:
    """The same package with every entry dated 1980-01-01: python-docx stamps entries with the clock."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
