"""Ingest a batch of files as one new snapshot, write its rejection report, audit both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gaoxin.services.export import DiskFull, check_target, record, write_beside
from gaoxin.store.db import Store
from gaoxin.store.load import IngestResult


@dataclass
class IngestOutcome:
    result: IngestResult
    report_files: list[Path] = field(default_factory=list)
    report_error: str | None = None  # the batch's outcome stands; only the report could not be written

    def to_dict(self) -> dict:
        r = self.result
        return {**r.summary(), "snapshot_name": r.snapshot_name, "unchanged": r.unchanged,
                "warnings": r.warnings, "exit_code": r.exit_code, "message_zh": r.message_zh,
                "message_en": r.message_en, "report": [str(p) for p in self.report_files],
                "report_error": self.report_error,
                "files": [{"file": f.file, "accepted": f.accepted, "rejected": f.rejected, "warnings": f.warnings,
                           "totals_dropped": f.totals_dropped, "error": f.error}
                          for f in r.batch.files.values()]}


def check_snapshot_name(store: Store, name: str) -> None:
    """A snapshot name must not look like an id or a keyword (it would shadow them) nor exist already."""
    from gaoxin.services.errors import InputError
    from gaoxin.store.snapshots import name_exists

    text = name.strip()
    if not text or len(text) > 100:
        raise InputError("快照名称应为 1–100 个字符 / a snapshot name has 1–100 characters")
    if text.lstrip("+-").isdigit() or text.lower() == "latest":
        raise InputError(f"快照名称不能是数字或 latest（会与快照编号混淆） / a snapshot name cannot be a number or "
                         f"'latest' (it would shadow an id): {name!r}")
    if name_exists(store.con, name):
        raise InputError(f"快照名称已存在 / snapshot name already exists: {name!r}")


def ingest_files(store: Store, files: list[Path], *, snapshot_name: str | None = None, strict: bool = False,
                 report: Path | None = None, progress: Callable[[str, int, int], None] | None = None,
                 stage_hook: Callable[[str], None] | None = None) -> IngestOutcome:
    """Read, validate and store ``files`` as one batch; with ``report``, write the rejection report too."""
    from gaoxin.ingest.rejections import write_report
    from gaoxin.store.load import ingest

    store.require_write()
    if snapshot_name is not None:
        check_snapshot_name(store, snapshot_name)
    if report is not None:
        check_target(report, store.path)
    result = ingest(store.con, files, snapshot_name=snapshot_name, strict=strict, progress=progress,
                    stage_hook=stage_hook)
    if not report:
        return IngestOutcome(result)
    def audit(written: list[Path]) -> None:  # the report holds enterprise rows: an export, audited like the others
        record(store, "export", ", ".join(map(str, written)), kind="rejection report", snapshot=result.snapshot)

    try:  # after the commit: a failure here must not misreport the snapshot (issue #7 item 8)
        written = write_beside(report, lambda p: write_report(result.batch, p), audit)  # all files or none
    except (OSError, DiskFull) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return IngestOutcome(result, [], f"问题报告未能写入 / the report could not be written: {report}: {reason}")
    return IngestOutcome(result, written)
