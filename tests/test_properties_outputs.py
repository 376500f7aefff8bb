"""Arbitrary output paths for ``--out`` and ``--report``, confined to a temporary folder, through the in-process
CLI (issue 7, property tests): relative paths, ``..``, symlinks to the store, its WAL, a folder or nothing,
existing folders and files, names with spaces and CJK, missing parent folders.

Each run either writes the file where it was asked (a regular file at that path, nothing else new in the
folder, no temporary file left) or ends with one user-error line; the exit code is a documented one; nothing
is written outside the folder; a refused run leaves the store byte for byte as it was, a written export adds
exactly its audit row and changes nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ENT_HEADERS, ingest_path, write_csv
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate

pytestmark = pytest.mark.slow  # 80 CLI runs: ≈ 2 min

SEGMENTS = st.sampled_from([".", "..", "sub", "new dir", "园区 输出", "link-dir", "file.txt", "dir.csv",
                            "s.duckdb.tmp", "a b"])
NAMES = st.one_of(
    st.sampled_from(["out", "评价 结果", "s.duckdb", "s.duckdb.wal", "link-db", "link-wal", "link-none", "link-file",
                     "link-dir", "dir", "file", " x ", "-x", "结果(1)", ".hidden"]),
    st.sampled_from(["link-db", "link-wal", "s.duckdb", "dir", "file"]),  # the hostile names, more often
    st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)), min_size=1, max_size=12),
)
SUFFIXES = st.sampled_from([".csv", ".xlsx", ".parquet", ".CSV", ".txt", "", ".csv.xlsx"])


@st.composite
def out_paths(draw) -> str:
    """A path as a user types it: relative to the working folder (``root/work``) or absolute."""
    parts = draw(st.lists(SEGMENTS, max_size=3))
    name = draw(NAMES) + draw(SUFFIXES)
    if name in (".", ".."):
        name += ".csv"
    rel = os.path.join(*parts, name) if parts else name
    return draw(st.sampled_from(["rel", "abs"])) + ":" + rel


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> dict[str, Path]:
    """A store with a snapshot and an evaluation, and a batch that ``--strict`` refuses (an unknown zone)."""
    d = tmp_path_factory.mktemp("outprop")
    f = generate(d / "data", zones=6, enterprises=200, years=(2023, 2024), seed=5)
    assert ingest_path([f.zones, f.enterprises, f.zone_facts], d / "s.duckdb").snapshot == 1
    r = CliRunner().invoke(app, ["evaluate", "--year", "2024", "--runs", "0", "--db", str(d / "s.duckdb")])
    assert r.exit_code == 0, r.output
    bad = write_csv(d / "batch.csv", ENT_HEADERS, [["91440300MA5DA1234X", "示例", "GX999", 2024, 1, 1, 1, "否"]])
    return {"store": d / "s.duckdb", "batch": bad}


def layout(root: Path, seed: dict[str, Path]) -> Path:
    """The folder each example starts from; returns the store's path in it."""
    (root / "work").mkdir(parents=True)
    for d in ("sub", "dir.csv", "work/dir.csv", "s.duckdb.tmp"):
        (root / d).mkdir(exist_ok=True)
    for f in ("file.txt", "work/file.txt", "work/file.csv", "sub/file.csv"):
        (root / f).write_text("not an export", "utf-8")
    store = root / "s.duckdb"
    shutil.copyfile(seed["store"], store)
    for where in (root, root / "work"):
        for name, to in (("link-db", store), ("link-wal", Path(f"{store}.wal")), ("link-dir", root / "sub"),
                         ("link-none", root / "nowhere"), ("link-file", root / "file.txt")):
            for suffix in ("", ".csv", ".xlsx", ".parquet"):
                (where / f"{name}{suffix}").symlink_to(to)
    return store


def files_under(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root`` (not following symlinks): file bytes, link targets, folders."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = Path(dirpath) / n
            rel = str(p.relative_to(root))
            out[rel] = ("link:" + os.readlink(p)) if p.is_symlink() else "dir" if p.is_dir() else p.read_bytes()
    return out


def data_state(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        data = tuple((t, con.execute(f'SELECT count(*), hash(list(x ORDER BY ALL)) FROM "{t}" x').fetchall()[0])
                     for t in tables if t != "audit_log")
        return data, con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    finally:
        con.close()


@contextlib.contextmanager
def cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


COMMANDS = {
    "evaluations": ["evaluations"],
    "snapshots": ["snapshots"],
    "indicators": ["indicators", "--framework", "national-2021", "--years", "2024"],
    "ingest --report": ["ingest", "BATCH", "--strict", "--report"],
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(command=st.sampled_from(list(COMMANDS)), where=out_paths())
def test_any_output_path_is_written_where_asked_or_refused_in_one_line(command, where, seed, tmp_path_factory):
    outer = tmp_path_factory.mktemp("o")
    root = outer / "folder"
    store = layout(root, seed)
    kind, rel = where.split(":", 1)
    target = Path(rel) if kind == "rel" else root / "work" / rel
    resolved = Path(os.path.realpath(root / "work" / target))
    assume(resolved == root or root in resolved.parents)  # confined to the folder (a `..` too many is not)
    before_files, before_store, before_data = files_under(root), store.read_bytes(), data_state(store)
    before_outer = sorted(os.listdir(outer))
    args = [a.replace("BATCH", str(seed["batch"])) for a in COMMANDS[command]]
    opt = [] if command == "ingest --report" else ["--out"]
    with cwd(root / "work"):
        res = CliRunner().invoke(app, [*args, *opt, str(target), "--db", str(store)], env={"COLUMNS": "300"})
    assert res.exception is None or isinstance(res.exception, SystemExit), (where, repr(res.exception))
    assert "Traceback" not in res.output
    assert sorted(os.listdir(outer)) == before_outer  # nothing beside the folder
    after = files_under(root)
    new = {k for k in after if (k not in before_files or after[k] != before_files[k])
           and k not in ("s.duckdb", "s.duckdb.wal")}  # the store: compared below
    errors = [line for line in res.output.splitlines() if "错误 error" in line or "could not be written" in line]
    ok_codes = {1} if command == "ingest --report" else {0}
    assert res.exit_code in ok_codes | {2}, (where, res.output)
    if res.exit_code == 2 or errors:
        event(f"{command}: refused")
        assert len(errors) == 1, (where, res.output)
        # nothing written: only parent folders created on the way may be new (never a file, never a .part)
        assert all(after[k] == "dir" for k in new), (where, new)
        if res.exit_code == 2:
            assert store.read_bytes() == before_store and not Path(f"{store}.wal").exists()
        return
    event(f"{command}: written")
    asked = root / "work" / target
    assert asked.is_file() and not asked.is_symlink(), (where, res.output)
    written = {str(Path(os.path.realpath(asked)).relative_to(root))}
    if command == "ingest --report" and asked.suffix.lower() != ".xlsx":  # the CSV report's rejected-rows files
        written |= {k for k in new if Path(k).name.startswith(asked.stem + ".rejected-")}
    assert {k for k in new if after[k] != "dir"} == written, (where, new)
    assert not any(".part" in k for k in after)
    data, audits = data_state(store)
    assert data == before_data[0] and audits == before_data[1] + 1  # only the export's audit row
