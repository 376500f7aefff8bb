"""Benchmark: the national report of the default demo (169 zones, one profile page group each), issue #11 §3.

Times, in one process on the same store: building the content (``services.report.build_report``, explanations
stored or not), rendering it to PDF (WeasyPrint), Word and Excel. The baseline, measured in the same run, is
WeasyPrint laying out a plain document of the same size (every table of the report as text rows, no charts, no
running headers), so the ratio says what gaoxin's templates and charts cost beyond the layout engine itself.
Target: the national PDF ≤ 60 s on 2 cores.

Run: .venv/bin/python bench/report.py [--zones 169] [--enterprises 30000] [--formats pdf,xlsx,docx]
The evaluated store is built once under bench/data/report-<zones>-<enterprises>/ by the demo pipeline.
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from _common import DATA


def evaluated_store(zones: int, enterprises: int) -> tuple[Path, int]:
    """The demo pipeline's store (evaluated, explained as the demo does), built once; its evaluation id."""
    from gaoxin.services.demo import DemoSettings, run_demo

    d = DATA / f"report-{zones}-{enterprises}"
    db = d / "store.duckdb"
    marker = d / "evaluation-id"
    if not marker.exists():
        print(f"building the demo store ({zones} zones, {enterprises:,} firms) …", flush=True)
        d.mkdir(parents=True, exist_ok=True)
        r = run_demo(DemoSettings(out_dir=d / "out", db=str(db), zones=zones, enterprises=enterprises))
        marker.write_text(str(r.evaluation.id))
    return db, int(marker.read_text())


def plain_html(content) -> str:
    """The baseline document: every table of the content as a plain HTML table, nothing else."""
    parts = ["<html><head><meta charset='utf-8'><style>body{font-family:'Noto Sans CJK SC';font-size:8pt}"
             "table{border-collapse:collapse}td,th{border:0.3pt solid #999;padding:1pt}</style></head><body>"]
    for s in content.sections:
        parts.append(f"<h{min(s.level + 1, 3)}>{html.escape(s.title)}</h{min(s.level + 1, 3)}>")
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        for t in s.tables:
            head = "".join(f"<th>{html.escape(c.label)}</th>" for c in t.columns)
            body = "".join("<tr>" + "".join(f"<td>{'—' if v is None else html.escape(str(v))}</td>" for v in row)
                           + "</tr>" for row in t.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "".join(parts) + "</body></html>"


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zones", type=int, default=169)
    ap.add_argument("--enterprises", type=int, default=30000)
    ap.add_argument("--formats", default="pdf,xlsx,docx")
    args = ap.parse_args()

    from weasyprint import HTML

    from gaoxin.report.docx import write_docx
    from gaoxin.report.pdf import write_pdf
    from gaoxin.report.xlsx import write_xlsx
    from gaoxin.services import Store
    from gaoxin.services.report import build_report

    db, eid = evaluated_store(args.zones, args.enterprises)
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; store {db.parent.name}, "
          f"evaluation {eid}", flush=True)
    with Store(db, "read") as store:
        content, wall, cpu = timed(lambda: build_report(store, eid, "national", "national", "zh"))
    pages = sum(1 for s in content.sections if s.id.startswith("zone:"))
    tables, charts = len(content.tables()), sum(len(s.charts) for s in content.sections)
    print(f"content  : {wall:7.1f} s wall, {cpu:6.1f} s CPU — {pages} zone sections, {tables} tables, {charts} charts")
    out = Path(tempfile.mkdtemp(prefix="gaoxin-report-bench-"))
    _, base, base_cpu = timed(lambda: HTML(string=plain_html(content)).write_pdf(str(out / "plain.pdf")))
    print(f"baseline : {base:7.1f} s wall, {base_cpu:6.1f} s CPU — WeasyPrint, the same tables as plain HTML")
    writers = {"pdf": write_pdf, "xlsx": write_xlsx, "docx": write_docx}
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        path = out / f"national.{fmt}"
        _, wall, cpu = timed(lambda fmt=fmt, path=path: writers[fmt](content, path))
        extra = ""
        if fmt == "pdf":
            from pypdf import PdfReader

            extra = (f", {len(PdfReader(str(path)).pages)} pages; ratio to the baseline {wall / base:.2f}×; "
                     f"target ≤ 60 s: {'met' if wall <= 60 else 'NOT met'}")
        print(f"{fmt:9}: {wall:7.1f} s wall, {cpu:6.1f} s CPU, {path.stat().st_size / 2**20:.1f} MiB{extra}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB; files in {out}")


if __name__ == "__main__":
    main()
