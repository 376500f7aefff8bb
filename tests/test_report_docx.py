"""The Word report (issue #11): read back with python-docx and as the package's XML, against the hand-built
content in tests/report_sample.py."""

from __future__ import annotations

import zipfile

import pytest
from docx import Document

import report_sample
from gaoxin.report._office import cell_text, display_width, header
from gaoxin.report.docx import write_docx
from gaoxin.services.report_model import Column


@pytest.fixture(scope="module")
def word(tmp_path_factory):
    path = tmp_path_factory.mktemp("docx") / "report.docx"
    content = report_sample.content()
    write_docx(content, path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    return path, content, Document(str(path)), parts


def test_headings_follow_the_section_levels(word):
    _, _, doc, _ = word
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert h1 == ["年度概况", "综合排名", "附录：指标定义"]  # the cover section is the cover page, not a chapter
    assert h2 == ["示例高新区001"]
    # every chapter and zone page starts a page
    assert all(p.paragraph_format.page_break_before for p in doc.paragraphs if p.style.name.startswith("Heading"))
    assert any(p.style.name == "Title" and p.text == "国家高新区年度监测报告（2024年）" for p in doc.paragraphs)


def test_tables_are_word_tables_with_units_dashes_and_a_repeated_header(word):
    _, _, doc, _ = word
    ranking = next(t for t in doc.tables if t.rows[0].cells[0].text == "排名")
    assert [c.text for c in ranking.rows[0].cells] == [
        "排名", "园区代码", "园区名称", "综合得分（分）", "排名区间（5–95%）", "企业数（家）",
        "营业收入（万元）", "研发强度（%）"]
    assert [c.text for c in ranking.rows[1].cells] == ["1", "GX001", "示例高新区001", "87.25", "1–2", "1,234",
                                                      "56,789.5", "12.5%"]
    second = [c.text for c in ranking.rows[2].cells]
    assert second[2] == "'" + report_sample.FORMULA_NAME  # the same neutralised text as in the workbook
    assert second[6] == "—"  # suppressed
    assert [c.text for c in ranking.rows[3].cells][7] == "—"  # missing
    header_xml = ranking.rows[0]._tr.xml
    assert "<w:tblHeader" in header_xml and "<w:tblHeader" not in ranking.rows[1]._tr.xml
    texts = [p.text for p in doc.paragraphs]
    assert any(t.startswith("“—”：依统计保密规则不予公布") for t in texts)  # the footnote under the table


def test_cover_metadata_table_names_the_run_and_hashes(word):
    _, content, doc, _ = word
    cover = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert cover["评价编号（运行）"] == "7" and cover["数据快照"] == "3"
    assert cover["内容哈希"] == content.content_hash() and cover["配置哈希"] == content.meta.config_hash


def test_fields_toc_page_numbers_header(word):
    _, _, doc, parts = word
    body = parts["word/document.xml"].decode()
    assert 'TOC \\o "1-2"' in body
    settings = parts["word/settings.xml"].decode()
    assert "w:updateFields" in settings  # Word fills the contents when the document opens
    footer = next(v.decode() for k, v in parts.items() if k.startswith("word/footer"))
    assert " PAGE " in footer and "第 " in footer and " 页" in footer
    assert doc.sections[0].header.paragraphs[0].text == "国家高新区年度监测报告（2024年） · 全国 · 2024年"


def test_east_asian_font_on_the_styles(word):
    _, _, _, parts = word
    styles = parts["word/styles.xml"].decode()
    assert 'w:eastAsia="Noto Sans CJK SC"' in styles
    assert "eastAsiaTheme" not in styles  # a theme font would override it
    fonts = parts["word/fontTable.xml"].decode()
    assert 'w:name="Noto Sans CJK SC"' in fonts and 'w:altName w:val="宋体"' in fonts


def test_charts_are_png_images(word):
    _, content, _, parts = word
    media = [k for k in parts if k.startswith("word/media/")]
    charts = [c for s in content.sections for c in s.charts]
    assert len(media) == len(charts) == 5
    assert all(parts[k][:8] == b"\x89PNG\r\n\x1a\n" for k in media)
    assert b"Software" not in b"".join(parts[k][:200] for k in media)  # no software tag or time in the PNG


def test_properties_and_same_bytes_from_the_same_content(word, tmp_path):
    path, content, doc, _ = word
    cp = doc.core_properties
    assert cp.title == content.meta.title and cp.created.year == 2024 and cp.created.month == 12
    assert content.content_hash() in cp.comments and cp.identifier == content.content_hash()
    again = tmp_path / "again.docx"
    write_docx(report_sample.content(), again)
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_english_labels(tmp_path):
    p = tmp_path / "en.docx"
    write_docx(report_sample.content("en"), p)
    doc = Document(str(p))
    cover = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert cover["Evaluation (run) id"] == "7"
    assert doc.sections[0].header.paragraphs[0].text.endswith("National · 2024")


@pytest.mark.parametrize(("col", "expected"), [
    (Column(key="s", label="综合得分", unit="分"), "综合得分（分）"),
    (Column(key="r", label="营业收入（万元）", unit="万元"), "营业收入（万元）"),
    (Column(key="r", label="Revenue", unit="10k yuan"), "Revenue (10k yuan)"),
    (Column(key="n", label="园区名称"), "园区名称")])
def test_header_carries_the_unit_once(col, expected):
    assert header(col) == expected


def test_cell_text_by_kind():
    assert cell_text(1234567, Column(key="x", label="x", kind="int")) == "1,234,567"
    assert cell_text(3.14159, Column(key="x", label="x", kind="float", decimals=2)) == "3.14"
    assert cell_text(12.5, Column(key="x", label="x", kind="percent", decimals=1)) == "12.5%"
    assert cell_text(float("nan"), Column(key="x", label="x", kind="float")) == "—"
    assert cell_text(None, Column(key="x", label="x")) == "—"
    assert display_width("高新区ab") == 8
