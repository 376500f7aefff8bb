"""The PDF of a report (gaoxin.report.pdf, issue #11): text with Chinese glyphs, every zone, the run id and
the run's numbers; metadata; deterministic bytes; the first pages as PNG under test-artifacts/report/."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gaoxin.services import Store
from gaoxin.services.access import Access
from gaoxin.services.report import build_report
from gaoxin.services.report_model import Chart, Column, ReportContent, ReportMeta, Section, Series, Table

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"
pytestmark = pytest.mark.slow  # WeasyPrint lays out tens of pages: tens of seconds on 2 shared cores


@pytest.fixture(scope="module")
def store_file(demo_store_template: Path, tmp_path_factory) -> Path:
    from gaoxin.services import publishing
    from gaoxin.services.explain import explain_all

    db = tmp_path_factory.mktemp("pdf") / "gaoxin.duckdb"
    shutil.copyfile(demo_store_template, db)
    with Store(db, "write") as store:
        publishing.publish(store, Access("t", "admin"), "evaluation", publishing.evaluation_key(1))
        explain_all(store, 1, save=True)
    return db


@pytest.fixture(scope="module")
def national(store_file: Path, tmp_path_factory) -> tuple[ReportContent, Path]:
    from gaoxin.report.pdf import write_pdf

    with Store(store_file, "read") as store:
        content = build_report(store, 1, "national", "public", "zh")
    path = write_pdf(content, tmp_path_factory.mktemp("out") / "national.pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / "national-public-zh.pdf")
    return content, path


def _text(path: Path) -> tuple[str, list[str]]:
    from pypdf import PdfReader

    pages = [p.extract_text() or "" for p in PdfReader(str(path)).pages]
    return "\n".join(pages), pages


def test_pdf_text_has_chinese_every_zone_the_run_and_its_numbers(national):
    content, path = national
    text, pages = _text(path)
    assert "\ufffd" not in text  # no glyph pypdf could not map
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 2000
    for phrase in ("综合评价排名", "评价方法", "地区比较", "表扬与预警", "规划目标监测", "附录：指标定义", "目"):
        assert phrase in text
    ranking = next(t for t in content.tables() if t.id == "ranking")
    keys = [c.key for c in ranking.columns]
    for r in ranking.rows:
        zone, score = r[keys.index("zone_id")], r[keys.index("score")]
        assert f"（{zone}）" in text  # its profile page's heading
        assert f"{score:.1f}" in text  # the run's score as printed (1 decimal)
    assert content.meta.config_hash in text and "评价编号" in text
    assert any(content.meta.title in p for p in pages[:1])  # the cover
    assert all(re.search(rf"\b{n} / {len(pages)}\b", p) for n, p in enumerate(pages, 1) if n > 1)  # "n / N"


def test_pdf_fonts_are_the_cjk_font_and_metadata_names_the_run(national):
    from pypdf import PdfReader

    content, path = national
    reader = PdfReader(str(path))
    fonts = set()
    for page in reader.pages[:6]:
        for f in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    assert fonts and all("Noto" in f and "CJK" in f for f in fonts), fonts  # no fallback font, no tofu
    meta = reader.metadata
    assert meta["/Title"] == content.meta.title
    assert meta["/gaoxinevaluation"] == "1" and meta["/gaoxinconfighash"] == content.meta.config_hash
    assert meta["/gaoxincontenthash"] == content.content_hash()
    assert meta["/gaoxinsnapshot"] == str(content.meta.snapshot_id)


def test_first_pages_rendered_as_png(national):
    _, path = national
    for old in ARTIFACTS.glob("national-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "14", str(path),
                    str(ARTIFACTS / "national-page")], check=True, timeout=120)
    pngs = sorted(ARTIFACTS.glob("national-page-*.png"))
    assert len(pngs) == 14 and all(p.stat().st_size > 5_000 for p in pngs)


def _tiny() -> ReportContent:
    meta = ReportMeta(title="测试报告", subtitle="小", scope="national", audience="public", lang="zh", year=2024,
                      evaluation_id=7, snapshot_id=3, config_hash="abc", framework="national-2021",
                      generated_by="gaoxin test")
    t = Table(id="t", title="表", columns=[Column(key="a", label="园区"), Column(key="v", label="得分（分）",
                                                                             kind="float", decimals=1)],
              rows=[["甲", 1.25], ["乙", None]], suppressed=[(1, 1)], notes=["—：不予公布"])
    c = Chart(id="c", kind="waterfall", title="分解", categories=["上年", "甲", "本年"],
              series=[Series(name="x", values=[10.0, 2.5, 12.5])], unit="分")
    return ReportContent(meta=meta, sections=[Section(id="summary", title="概况", paragraphs=["段落。"], tables=[t],
                                                      charts=[c])])


def test_same_content_gives_the_same_pdf(tmp_path):
    from gaoxin.report.charts import svg
    from gaoxin.report.pdf import write_pdf

    c = _tiny()
    a, b = write_pdf(c, tmp_path / "a.pdf"), write_pdf(c, tmp_path / "b.pdf")
    assert a.read_bytes() == b.read_bytes()
    assert svg(c.sections[0].charts[0]) == svg(c.sections[0].charts[0])
    text, _ = _text(a)
    assert "—" in text and "1.2" in text and "分" in text  # missing printed "—", the unit on the axis


def test_cli_writes_an_audited_pdf_and_refuses_what_it_cannot(store_file, tmp_path):
    import importlib.util

    import duckdb

    from gaoxin.cli import app

    out = tmp_path / "zone.pdf"
    res = CliRunner().invoke(app, ["report", "--evaluation", "1", "--scope", "zone:GX001", "--lang", "en",
                                   "--audience", "zone:GX001", "--out", str(out), "--db", str(store_file)])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 10_000 and not list(tmp_path.glob(".*part*"))
    text, _ = _text(out)
    assert "Firms that moved it" in text and "GX001" in text
    con = duckdb.connect(str(store_file), read_only=True)
    detail = con.execute("SELECT detail FROM audit_log WHERE action = 'export' AND target = ?", [str(out)]).fetchone()
    con.close()
    assert detail is not None and '"kind": "report"' in detail[0] and '"content_hash"' in detail[0]
    bad = CliRunner().invoke(app, ["report", "--evaluation", "1", "--format", "odt", "--db", str(store_file)])
    assert bad.exit_code == 2 and "--format" in bad.output
    if importlib.util.find_spec("gaoxin.report.docx") is None:
        res = CliRunner().invoke(app, ["report", "--evaluation", "1", "--format", "docx", "--db", str(store_file)])
        assert res.exit_code == 2 and "not available yet" in res.output
