"""A full disk (issue 7, item 11) with real faults, no mocks: during an ingest or evaluation commit it is one
line "disk full" naming the file, exit code 2, no traceback, and the store keeps exactly what it had; an export
to a full disk leaves no half-written file at its target.

Two real faults: a file-size limit (``RLIMIT_FSIZE``; SIGXFSZ is ignored, by CPython itself in a subprocess:
every write past the limit fails with EFBIG), in a writer subprocess or around one in-process call; and, when
the tests run as root, a tiny tmpfs (ENOSPC for every file on it, the WAL and ``<store>.tmp`` included).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ENT_HEADERS, ZONE_HEADERS, ingest_path, write_csv
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.ingest.credit_code import make_codes
from gaoxin.services.export import DiskFull, write_frame, write_sheets
from gaoxin.store.db import disk_full

SRC = str(Path(__file__).resolve().parents[1] / "src")
# the CLI as a user runs it under `ulimit -f`: every file it writes limited to argv[1] bytes. CPython ignores
# SIGXFSZ at start-up (checked below), so a write past the limit fails with EFBIG instead of killing the process.
LIMITED_CLI = """import resource, signal, sys
limit = int(sys.argv[1])
assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
sys.argv = ["gaoxin", *sys.argv[2:]]
from gaoxin.cli import main
main()
"""


def cli(*args: str, limit: int | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """``gaoxin ARGS`` in a subprocess, optionally with every file it writes limited to ``limit`` bytes."""
    code = LIMITED_CLI if limit is not None else "from gaoxin.cli import main; import sys; " \
                                                  "sys.argv = ['gaoxin', *sys.argv[1:]]; main()"
    argv = [sys.executable, "-c", code, *([str(limit)] if limit is not None else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": SRC, "COLUMNS": "200", **(env or {})})


def state(db: Path) -> tuple:
    """Everything a user can see of the store: snapshots with their rows and sums, evaluations, audit rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        snaps = con.execute("SELECT id, name, accepted FROM snapshot ORDER BY id").fetchall()
        per = [con.execute(f"SELECT count(*), sum(revenue) FROM enterprise_years_at({s})").fetchall()[0]
               for s, _, _ in snaps]
        evals = con.execute("SELECT (SELECT count(*) FROM evaluation), (SELECT count(*) FROM evaluation_score), "
                            "(SELECT count(*) FROM evaluation_uncertainty), (SELECT count(*) FROM audit_log)"
                            ).fetchall()[0]
        return snaps, per, evals
    finally:
        con.close()


def one_disk_full_line(r: subprocess.CompletedProcess, *names: str) -> str:
    """The run failed with exit code 2 and one line saying "disk full" and naming one of ``names``."""
    lines = [x for x in (r.stdout + r.stderr).splitlines() if x.strip()]
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "rollback" not in (r.stdout + r.stderr).lower(), r.stderr
    assert len(lines) == 1, lines
    assert "磁盘已满" in lines[0] and "disk full" in lines[0], lines[0]
    assert any(n in lines[0] for n in names), (lines[0], names)
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A one-zone base batch, and a 60,000-row enterprise file that grows the store by ≈ 4 MB."""
    d = tmp_path_factory.mktemp("disk")
    codes = make_codes(np.random.default_rng(3), np.array(["440300"] * 60_000))
    rows = [[c, f"企业{i}", "GX001", 2024, i % 977 + 1, i % 50 + 1, 1, "否"] for i, c in enumerate(codes)]
    out = {"zones": write_csv(d / "zones.csv", ZONE_HEADERS, [["GX001", "示例高新区001", "国家级", "44", "示例市01"]]),
           "small": write_csv(d / "small.csv", ENT_HEADERS, rows[-20:]),
           "mid": write_csv(d / "mid.csv", ENT_HEADERS, rows[:1000]),
           "big": write_csv(d / "big.csv", ENT_HEADERS, rows)}
    base = d / "base.duckdb"
    assert ingest_path([out["zones"], out["small"]], base).snapshot == 1
    out["base"] = base
    return out


def fresh(files: dict[str, Path], where: Path) -> Path:
    db = where / "s.duckdb"
    shutil.copyfile(files["base"], db)
    return db


# ------------------------------------------------------------------------------------- file-size limit (EFBIG)

def test_a_commit_whose_wal_record_finds_no_room_is_disk_full_and_stores_nothing(files, tmp_path):
    """A small batch: the store file needs no room, its WAL record does (before the fix: a traceback,
    "Failed to commit: Could not write file …wal")."""
    db = fresh(files, tmp_path)
    before = state(db)
    one_disk_full_line(cli("ingest", str(files["mid"]), "--db", str(db), limit=1024), f"{db}.wal")
    assert state(db) == before
    r = cli("ingest", str(files["mid"]), "--db", str(db))  # and the store works on once there is room
    assert r.returncode == 0 and [s[0] for s in state(db)[0]] == [1, 2], r.stdout


@pytest.mark.slow  # five ingests of 60,000 rows in subprocesses (≈ 20 s)
def test_ingest_past_a_file_size_limit_is_disk_full_and_stores_nothing(files, tmp_path):
    """Limits from "no growth at all" to "almost enough" hit every phase of a large batch: staging rows into
    the store file (before the fix: "cannot parse file big.csv", exit 1) and the checkpoint a large COMMIT
    writes instead of a WAL record (before: a traceback, "Failed to create checkpoint")."""
    probe = fresh(files, tmp_path)
    assert cli("ingest", str(files["big"]), "--db", str(probe)).returncode == 0
    base_size, full_size = files["base"].stat().st_size, probe.stat().st_size
    before = state(files["base"])
    for i, limit in enumerate([base_size, *np.linspace(base_size, full_size, 4)[1:-1].astype(int)]):
        (tmp_path / str(i)).mkdir()
        db = fresh(files, tmp_path / str(i))
        one_disk_full_line(cli("ingest", str(files["big"]), "--db", str(db), limit=limit), str(db))
        assert state(db) == before  # earlier snapshot intact and readable, no partial snapshot


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("eval")
    f = generate(d / "data", zones=12, enterprises=900, years=(2022, 2024), seed=3)
    assert ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb").snapshot == 1
    return d / "db.duckdb"


def test_evaluation_commit_past_a_file_size_limit_is_disk_full_and_stores_nothing(evaluated, tmp_path):
    """Before the fix: "cannot rollback - no transaction is active" with a traceback (the ROLLBACK after the
    failed COMMIT masked the error)."""
    db = tmp_path / "e.duckdb"
    shutil.copyfile(evaluated, db)
    before = state(db)
    r = cli("evaluate", "--framework", "national-2021", "--year", "2024", "--runs", "20", "--db", str(db),
            limit=1024)
    one_disk_full_line(r, f"{db}.wal")
    assert state(db) == before  # no evaluation row, no scores, no intervals, no audit row
    assert cli("evaluate", "--framework", "national-2021", "--year", "2024", "--runs", "20",
               "--db", str(db)).returncode == 0
    assert state(db)[2][0] == before[2][0] + 1


@contextlib.contextmanager
def file_size_limit(limit: int):
    """Every file this process writes is limited to ``limit`` bytes while inside (EFBIG past it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)


FRAME = pd.DataFrame({"园区 zone": [f"示例高新区{i:05d}" for i in range(20_000)], "score": np.arange(20_000) / 7})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_an_export_to_a_full_disk_leaves_the_target_as_it_was(tmp_path, suffix):
    target = tmp_path / f"评价 out{suffix}"
    target.write_bytes(b"the previous export")
    with file_size_limit(4096), pytest.raises(DiskFull) as e:
        write_frame(FRAME, target)
    msg = str(e.value)
    assert "磁盘已满" in msg and "disk full" in msg and "file too large" in msg and "\n" not in msg
    assert str(target) in msg and "not written" in msg
    assert target.read_bytes() == b"the previous export"  # never half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary file left beside it
    write_frame(FRAME, target)  # with room: written whole
    assert target.stat().st_size > 4096 and sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_workbook_to_a_full_disk_is_not_created(tmp_path):
    target = tmp_path / "new" / "book.xlsx"
    with file_size_limit(4096), pytest.raises(DiskFull):
        write_sheets({"a": FRAME, "b": FRAME}, target)
    assert list((tmp_path / "new").iterdir()) == []


def test_cli_export_to_a_full_disk_is_one_line_and_the_store_unchanged(evaluated, tmp_path):
    db = tmp_path / "e.duckdb"
    shutil.copyfile(evaluated, db)
    before, raw = state(db), db.read_bytes()
    out = tmp_path / "指标 indicators.csv"
    with file_size_limit(4096):
        res = CliRunner().invoke(app, ["indicators", "--framework", "national-2021", "--years", "2022-2024",
                                       "--db", str(db), "--out", str(out)])
    assert res.exit_code == 2, res.output
    errors = [x for x in res.output.splitlines() if "error" in x or "Traceback" in x]  # the table's title aside
    assert len(errors) == 1 and "磁盘已满" in errors[0] and str(out) in errors[0], res.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb"]
    assert state(db) == before and db.read_bytes() == raw  # not even an audit row


def test_disk_full_recognises_the_os_and_duckdb_reports():
    import errno

    assert disk_full(OSError(errno.ENOSPC, "No space left on device", "/x/r.csv"), None).path == Path("/x/r.csv")
    assert "file too large" in str(disk_full(OSError(errno.EFBIG, "File too large"), "/x/s.duckdb"))
    wal = duckdb.TransactionException('Failed to commit: Could not write file "/x/s.duckdb.wal": '
                                      'No space left on device')
    assert disk_full(wal, "/x/s.duckdb").path == Path("/x/s.duckdb.wal")
    assert disk_full(duckdb.OutOfMemoryException("failed to offload data block of size 256.0 KiB. This limit "
                                                 "was set by the 'max_temp_directory_size' setting"),
                     "/x/s.duckdb").path == Path("/x/s.duckdb.tmp")
    assert disk_full(duckdb.OutOfMemoryException("could not allocate block of size 1 GiB"), "/x") is None
    assert disk_full(OSError(errno.EACCES, "Permission denied"), "/x") is None
    assert disk_full(ValueError("No space left on device"), "/x") is None  # only OS and DuckDB errors


# ------------------------------------------------------------------------------------------ a full tmpfs (ENOSPC)

@pytest.fixture
def tiny_disk(tmp_path):
    """A tmpfs of a few MB mounted for the test (root only), unmounted afterwards whatever happens."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root; the file-size-limit tests cover the same paths with EFBIG")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mounted: list[Path] = []

    def mount(size_kb: int) -> Path:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mnt)],
                           capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounted.append(mnt)
        return mnt

    yield mount
    for m in mounted:
        subprocess.run(["umount", "-l", str(m)], check=False)


def test_a_full_tmpfs_during_commit_is_disk_full_naming_the_wal(files, tiny_disk):
    size = files["base"].stat().st_size
    mnt = tiny_disk(size // 1024 + 64)  # room for the store, not for the WAL record of 1,000 rows
    db = fresh(files, mnt)
    before = state(db)
    one_disk_full_line(cli("ingest", str(files["mid"]), "--db", str(db)), f"{db}.wal")
    assert state(db) == before


def test_a_full_tmpfs_for_duckdbs_temp_files_is_disk_full_naming_them(files, tiny_disk):
    """A writer spills beyond GAOXIN_MEMORY_LIMIT to ``<store>.tmp``; when that fills, the error names it."""
    size = files["base"].stat().st_size
    mnt = tiny_disk(size // 1024 + 1024)
    db = fresh(files, mnt)
    before = state(db)
    r = cli("ingest", str(files["big"]), "--db", str(db), env={"GAOXIN_MEMORY_LIMIT": "12MB"})
    line = one_disk_full_line(r, f"{db}.tmp")
    assert "temp files" in line and state(db) == before


def test_a_rejection_report_to_a_full_disk_leaves_nothing_and_the_outcome_stands(files, tmp_path):
    """Every row refers to an unknown zone: nothing is accepted (exit 1, no commit); the report of 1,000 rejected
    rows does not fit, so there is no report file and no temporary folder, and the JSON says so."""
    import json

    bad = tmp_path / "bad.csv"
    bad.write_text(files["mid"].read_text("utf-8").replace("GX001", "GX999"), "utf-8")
    db = fresh(files, tmp_path)
    before = state(db)
    for name in ("报告 report.xlsx", "报告 report.csv"):
        report = tmp_path / "out" / name
        with file_size_limit(16_384):
            res = CliRunner().invoke(app, ["ingest", str(bad), "--db", str(db), "--report", str(report), "--json"])
        assert res.stdout.strip().startswith("{"), (res.output, repr(res.exception))
        out = json.loads(res.stdout)
        assert res.exit_code == 1 and out["exit_code"] == 1 and out["rejected"] == 1000, res.output
        assert out["report"] == [] and "too large" in out["report_error"].lower(), out["report_error"]
        assert list((tmp_path / "out").iterdir()) == []  # no half-written report, no temporary folder
        assert state(db)[:2] == before[:2]


def test_a_report_whose_audit_finds_no_room_is_not_left_behind(tmp_path):
    """Files are moved only after their audit row is written: an audit that fails leaves no report."""
    import errno

    from gaoxin.services.export import write_beside

    def write(p: Path) -> list[Path]:
        p.write_text("issues", "utf-8")
        side = p.with_name(p.stem + ".rejected-1-a.csv")
        side.write_text("rows", "utf-8")
        return [p, side]

    def audit(final: list[Path]) -> None:
        assert [f.parent for f in final] == [tmp_path, tmp_path]
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(DiskFull):
        write_beside(tmp_path / "r.csv", write, audit)
    assert list(tmp_path.iterdir()) == []
    assert [p.name for p in write_beside(tmp_path / "r.csv", write)] == ["r.csv", "r.rejected-1-a.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.rejected-1-a.csv"]
