"""What the web server's data page does: an uploaded file through ingest as a job, the warnings'
explanation notes, and an evaluation run as a job (issue #10 §1, §4.6).

The work functions take the job's own store view and its :class:`~gaoxin.services.jobs.Job` for
progress; what they return is the job's result JSON.  File names shown to a client are the uploaded
file's name, never the server's path.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from gaoxin.services.errors import InputError
from gaoxin.services.jobs import Job
from gaoxin.store.db import Store

SUFFIXES = (".csv", ".xlsx")
CONTENT_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           "application/octet-stream", ""})
MAX_ISSUES = 1000  # per severity in a job result; the rejection report has them all
MAX_NOTE = 2000


class UnsupportedUpload(InputError):
    """Not a CSV or XLSX file (the API answers 415)."""


def upload_name(filename: str | None, content_type: str | None) -> str:
    """A safe file name for the upload (its base name, odd characters replaced), or UnsupportedUpload."""
    name = Path((filename or "").replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    ctype = (content_type or "").split(";")[0].strip().lower()
    if suffix not in SUFFIXES or ctype not in CONTENT_TYPES:
        raise UnsupportedUpload(f"只接受 CSV 或 XLSX 文件（收到 {name or '无文件名'}，{ctype or '无类型'}） / only CSV "
                                f"and XLSX files are accepted (got {name or 'no file name'}, {ctype or 'no type'})")
    stem = re.sub(r"[^\w.()\- ]", "_", Path(name).stem).strip(" .")[:100] or "upload"
    return stem + suffix


def _issue(i, shown: str) -> dict:
    return {"file": shown, "sheet": i.sheet, "row": i.row, "column": i.column, "value": i.value,
            "severity": i.severity, "message_zh": i.reason_zh, "message_en": i.reason_en}


class OutOfScope(InputError):
    """The batch holds or replaces rows of zones the uploader does not serve: nothing was stored."""


def check_scope(store: Store, allowed: frozenset[str] | None) -> None:
    """Inside ingest's transaction (its ``write`` stage): refuse a batch touching zones outside ``allowed``."""
    from gaoxin.store.batch_scope import touched_zones

    if allowed is None:
        return
    outside = sorted(touched_zones(store.con) - allowed)
    if outside:
        shown = ", ".join(outside[:20]) + (" …" if len(outside) > 20 else "")
        raise OutOfScope(f"文件含有或将替换您无权维护的园区的数据：{shown}；未写入任何数据 / the file holds or "
                         f"replaces rows of zones outside your scope: {shown}; nothing was stored")


def ingest_upload(store: Store, job: Job, path: Path, shown: str, report: Path,
                  snapshot_name: str | None = None, allowed: frozenset[str] | None = None) -> dict:
    """Ingest ``path`` as one batch (a new snapshot unless nothing was accepted) and write its report.

    ``allowed``: the zones the uploader may write (``services.access.enterprise_zones``; None = all);
    a batch touching any other zone is refused whole, before anything is stored.
    """
    from gaoxin.services.ingest import ingest_files
    from gaoxin.store import notes

    stages = {"read": (0.02, "读取文件", "reading the file"), "validate": (0.6, "校验", "validating"),
              "write": (0.8, "写入快照", "writing the snapshot")}

    def on_bytes(_file: str, done: int, total: int) -> None:
        job.report(0.02 + 0.58 * done / max(total, 1), "读取文件", "reading the file")

    def on_stage(stage: str) -> None:
        job.report(*stages.get(stage, (job.progress, stage, stage)))
        if stage == "write":
            check_scope(store, allowed)

    outcome = ingest_files(store, [path], snapshot_name=snapshot_name, report=report, progress=on_bytes,
                           stage_hook=on_stage)
    r = outcome.result
    errors = [i for i in r.batch.issues if i.severity == "error"]
    result = {"snapshot": r.snapshot, "snapshot_name": r.snapshot_name, "accepted": r.accepted,
              "rejected": r.rejected, "warnings": r.warnings, "exit_code": r.exit_code,
              "message_zh": r.message_zh, "message_en": r.message_en,
              "errors_total": len(errors), "report": bool(outcome.report_files),
              "issues": [_issue(i, shown) for i in errors[:MAX_ISSUES]]}
    if r.snapshot is not None:  # warnings numbered as the store numbers them, for the explanation notes
        total, rows = notes.warnings(store.con, r.snapshot, MAX_ISSUES)
        result["warnings_total"] = total
        result["issues"] += [{**w, "file": shown, "severity": "warning"} for w in rows]
    else:
        warns = [i for i in r.batch.issues if i.severity != "error"]
        result["warnings_total"] = len(warns)
        result["issues"] += [_issue(i, shown) for i in warns[:MAX_ISSUES]]
    return result


def warnings(store: Store, snapshot: int, limit: int = MAX_ISSUES) -> dict:
    """A snapshot's numbered warnings with their notes: ``{snapshot, total, rows}``."""
    from gaoxin.services.snapshots import resolve
    from gaoxin.store import notes

    sid = resolve(store, snapshot)
    total, rows = notes.warnings(store.con, sid, limit)
    for w in rows:
        w["file"] = Path(w["file"]).name
    return {"snapshot": sid, "total": total, "rows": rows}


def note_warning(store: Store, snapshot: int, issue: int, text: str) -> None:
    """Attach (replace) the explanation of warning ``issue`` of ``snapshot``; audited."""
    from gaoxin.services.snapshots import resolve
    from gaoxin.store import audit, notes

    sid = resolve(store, snapshot)
    text = text.strip()
    if not 1 <= len(text) <= MAX_NOTE:
        raise InputError(f"说明应为 1–{MAX_NOTE} 个字符 / a note has 1–{MAX_NOTE} characters")
    count = notes.warning_count(store.con, sid)
    if not 1 <= issue <= count:
        raise InputError(f"快照 {sid} 没有第 {issue} 条警告（共 {count} 条） / snapshot {sid} has no warning "
                         f"{issue} ({count} warnings)")
    with store.transaction() as con:
        notes.set_note(con, sid, issue, text, audit.current_user())
        audit.record(con, "warning note", f"snapshot {sid}", issue=issue)


def check_evaluation(framework: str, config: str | None, compare: str | None, runs: int, max_runs: int) -> None:
    """A web-started evaluation uses packaged frameworks and scorings only (never a server path)."""
    from gaoxin.evaluation.pipeline import CONFIG_NAMES
    from gaoxin.services.indicators import list_frameworks

    known = sorted(f["id"] for f in list_frameworks() if not f.get("error"))
    if framework not in known:
        raise InputError(f"未知指标体系 {framework!r}，可选：{', '.join(known)} / unknown framework {framework!r}; "
                         f"frameworks: {', '.join(known)}")
    for c in (config, compare):
        if c is not None and c not in CONFIG_NAMES:
            raise InputError(f"未知评分配置 {c!r}，可选：{', '.join(CONFIG_NAMES)} / unknown scoring {c!r}; "
                             f"scorings: {', '.join(CONFIG_NAMES)}")
    if not 0 <= runs <= max_runs:
        raise InputError(f"模拟次数应为 0–{max_runs} / runs must be 0–{max_runs}, not {runs}")


def run_evaluation(store: Store, job: Job, framework: str, year: int | None, config: str | None,
                   compare: str | None, runs: int, snapshot: int | None = None) -> dict:
    """``services.evaluation.evaluate`` with its rank intervals, stored; the job's result summarises it."""
    from gaoxin.services.evaluation import evaluate

    job.report(0.05, "评价计算中" + (f"（含 {runs} 次蒙特卡洛模拟）" if runs else ""),
               "evaluating" + (f" with {runs} Monte Carlo runs" if runs else ""))
    run = evaluate(store, framework, year, snapshot, runs=runs, config=config, compare=compare, save=True)
    ev = run.evaluation
    return {"evaluation": ev.id, "companion": run.companion.id if run.companion is not None else None,
            "framework": framework, "year": ev.year, "snapshot": ev.snapshot, "config": run.config_name,
            "config_hash": run.config_hash, "runs": runs, "zones": len(run.table),
            "spearman": None if run.spearman is None or math.isnan(run.spearman) else round(float(run.spearman), 6)}
