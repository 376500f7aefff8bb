"""``gaoxin report``: an annual monitoring report of one stored evaluation as PDF, Excel or Word (issue #11).

The content is ``services.report.build_report`` (scoped to the audience, disclosure control applied); this
command picks the renderer of ``gaoxin.report`` and writes the file through ``services.report.export_report``
(temporary file beside the target, audited, renamed). It is the one CLI module that launches the report
surface (``tests/test_architecture.py`` ``LAUNCHERS``), as ``cli/serve.py`` launches the API; renderers load
lazily, so a format whose renderer is not installed yet says so instead of failing at start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaoxin.cli.app import DbOpt, app, open_store
from gaoxin.cli.render import console

if TYPE_CHECKING:
    from gaoxin.services.report_model import ReportContent


def writer(fmt: str) -> Callable[[ReportContent, Path], object]:
    """The renderer of ``fmt``: ``gaoxin.report.pdf.write_pdf``, ``…xlsx.write_xlsx``, ``…docx.write_docx``."""
    import importlib

    from gaoxin.services.errors import InputError
    from gaoxin.services.report import FORMATS

    if fmt not in FORMATS:
        raise InputError(f"报告格式须为 {' | '.join(FORMATS)} / --format must be one of {', '.join(FORMATS)}, "
                         f"not {fmt!r}")
    try:
        module = importlib.import_module(f"gaoxin.report.{fmt}" if fmt != "pdf" else "gaoxin.report.pdf")
        return getattr(module, f"write_{fmt}")
    except (ModuleNotFoundError, AttributeError):
        raise InputError(f"{fmt} 格式尚不可用（gaoxin.report.{fmt} 未安装）/ the {fmt} format is not available yet "
                         f"(gaoxin.report.{fmt} is not part of this build)") from None


def write_report(db: Path | None, evaluation: int, scope: str, fmt: str, lang: str, audience: str,
                 out: Path | None) -> Path:
    """Build the content with a read store, close it, then write and audit the file."""
    return write_reports(db, evaluation, scope, lang, audience, {fmt: out})[fmt]


def write_reports(db: Path | None, evaluation: int, scope: str, lang: str, audience: str,
                  targets: dict[str, Path | None]) -> dict[str, Path]:
    """One content, several formats (``gaoxin demo``: PDF and XLSX): the content is built once."""
    from gaoxin.services import report as sr

    writers = {fmt: writer(fmt) for fmt in targets}  # an unavailable format fails before minutes of building
    with open_store(db, "read") as store:
        content = sr.build_report(store, evaluation, scope, audience, lang)  # type: ignore[arg-type]
    return {fmt: sr.export_report(content, out if out is not None else Path(sr.default_name(content, fmt)), fmt,
                                  db, writers[fmt]) for fmt, out in targets.items()}


@app.command()
def report(
    evaluation: Annotated[int, typer.Option("--evaluation", help="已存评价编号 / stored evaluation id")],
    scope: Annotated[str, typer.Option(help="national | province:代码 | zone:园区代码")] = "national",
    fmt: Annotated[str, typer.Option("--format", help="pdf | xlsx | docx")] = "pdf",
    lang: Annotated[str, typer.Option(help="zh | en")] = "zh",
    audience: Annotated[str, typer.Option(help="public（默认，仅已发布结果）| ROLE[:ZONES] / the reader")] = "public",
    out: Annotated[Path | None, typer.Option("--out", help="输出文件 / output file")] = None,
    db: DbOpt = None,
) -> None:
    """年度监测报告 / annual monitoring report of one evaluation run (PDF, Excel, Word)."""
    from gaoxin.services.errors import InputError

    if lang not in ("zh", "en"):
        raise InputError(f"--lang 须为 zh 或 en / --lang must be zh or en, not {lang!r}")
    with console.status("生成报告 / building the report …"):
        path = write_report(db, evaluation, scope, fmt, lang, audience, out)
    console.print(f"写入 wrote {path}", highlight=False)
