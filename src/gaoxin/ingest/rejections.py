"""The rejection report: what a statistician fixes and sends back.

Two parts: the issue list (every error, warning and note with file, sheet,
row, column, value and reason in Chinese and English), and per source the
rejected rows in their original layout (original headers and cell text) with
a reason column, so the rows can be corrected and re-submitted as they are.
XLSX puts both in one workbook; CSV writes the issue list at the given path
and one ``<stem>.rejected-<n>-<source>.csv`` per source with rejected rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd

from gaoxin.cells import safe_frame
from gaoxin.ingest.batch import Batch

ISSUE_COLUMNS = {
    "severity": "级别 severity",
    "file": "文件 file",
    "sheet": "工作表 sheet",
    "row": "行 row",
    "column": "列 column",
    "value": "值 value",
    "reason_zh": "原因",
    "reason_en": "reason",
}
SEVERITY_ZH = {"error": "错误 error", "warning": "警告 warning", "info": "提示 info"}
REASON_HEADER = "错误原因 reason"


def issues_frame(batch: Batch) -> pd.DataFrame:
    df = pd.DataFrame([i.__dict__ for i in batch.issues], columns=[*ISSUE_COLUMNS, "raw"])
    df["severity"] = df["severity"].map(SEVERITY_ZH)
    df = df.astype({"row": "Int64"})
    return df[list(ISSUE_COLUMNS)].rename(columns=ISSUE_COLUMNS)


def rejected_frames(batch: Batch) -> dict[tuple[str, str | None], pd.DataFrame]:
    """(file, sheet) -> rejected rows in the original layout, with reasons."""
    rows: dict[tuple[str, str | None], dict[int, dict]] = defaultdict(dict)
    reasons: dict[tuple[str, str | None, int], list[str]] = defaultdict(list)
    for i in batch.issues:
        if i.severity != "error" or i.raw is None:
            continue
        k = (i.file, i.sheet)
        rows[k].setdefault(i.row, json.loads(i.raw))
        reasons[(*k, i.row)].append(f"{i.column}: {i.reason_zh} / {i.reason_en}")
    out = {}
    for k, by_row in rows.items():
        recs = []
        for r in sorted(by_row):
            rec = {"行 row": r, REASON_HEADER: "; ".join(reasons[(*k, r)])}
            rec.update(by_row[r])
            recs.append(rec)
        out[k] = pd.DataFrame.from_records(recs)
    return out


def write_report(batch: Batch, path: str | Path) -> list[Path]:
    """Write the report; returns the files written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    issues = safe_frame(issues_frame(batch))  # cells come from the submitted files: never live formulas
    rejected = {k: safe_frame(v) for k, v in rejected_frames(batch).items()}
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
            issues.to_excel(xw, sheet_name="问题清单 issues", index=False)
            for n, ((file, sheet), df) in enumerate(rejected.items(), 1):
                name = f"被拒{n} " + Path(file).stem + (f"-{sheet}" if sheet else "")
                df.to_excel(xw, sheet_name=_sheet_name(name), index=False)
            for ws in xw.sheets.values():
                ws.freeze_panes(1, 0)
                ws.set_column(0, 12, 16)
        return [path]
    written = [path]
    issues.to_csv(path, index=False, encoding="utf-8-sig")  # BOM: Excel opens UTF-8 CSV correctly
    for n, ((file, sheet), df) in enumerate(rejected.items(), 1):
        stem = Path(file).stem + (f"-{sheet}" if sheet else "")
        p = path.with_name(f"{path.stem}.rejected-{n}-{stem}.csv")
        df.to_csv(p, index=False, encoding="utf-8-sig")
        written.append(p)
    return written


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31]
