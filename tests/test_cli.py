"""The command line as a person meets it: names in full at 80 columns, "—" for missing, --json and --out on
every listing, read-like commands that write nothing."""

from __future__ import annotations

import hashlib
import io
import json

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path
from gaoxin.cli import app
from gaoxin.cli.render import fmt, table
from gaoxin.demo.synthetic import generate


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    f = generate(d / "data", zones=16, enterprises=1500, years=(2020, 2024), seed=11)
    assert ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb").snapshot == 1
    r = CliRunner().invoke(app, ["evaluate", "--year", "2024", "--runs", "100", "--db", str(d / "db.duckdb")])
    assert r.exit_code == 0, r.output
    return d / "db.duckdb"


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})


def names(store) -> list[str]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM zones_at(1)").fetchall()]
    finally:
        con.close()


def test_ranking_shows_every_name_in_full_at_80_columns(store):
    res = run("evaluate", "--year", "2024", "--runs", "50", "--db", str(store))
    assert res.exit_code == 0, res.output
    shown = [n for n in names(store) if n in res.stdout]
    assert len(shown) == 16  # all 16 zones fit in the first 20 rows, each name unbroken
    assert "…" not in res.stdout and "nan" not in res.stdout.lower()
    assert "—" in res.stdout  # no previous-year evaluation: the rank change is missing, shown as —


def test_monitor_and_manage_show_labels_in_full(store):
    res = run("monitor", "--year", "2024", "--db", str(store))
    assert res.exit_code == 0, res.output
    assert "国家高新区数量" in res.stdout and "…" not in res.stdout and "nan" not in res.stdout.lower()
    res = run("manage", "--years", "2022-2024", "--db", str(store))
    assert res.exit_code == 0, res.output
    assert "…" not in res.stdout and "nan" not in res.stdout.lower()


def test_a_table_wider_than_the_terminal_is_printed_whole():
    from rich.console import Console

    from gaoxin.cli.render import show

    headers = [f"column_number_{i}" for i in range(8)]
    t = table("wide", headers, [[f"value_{i}_abcdefgh" for i in range(8)]])
    buf = io.StringIO()
    show(t, Console(width=80, file=buf))
    text = buf.getvalue()
    assert all(h in text for h in headers) and "value_7_abcdefgh" in text and "…" not in text


def test_cell_format():
    assert fmt(None) == fmt(float("nan")) == fmt(pd.NA) == "—"
    assert fmt(1234.5678) == "1235" and fmt(123456.7) == "123,457" and fmt(2024) == "2024"
    assert fmt(0.25, ".0%") == "25%" and fmt(float("nan"), ".0%") == "—"


@pytest.mark.parametrize("args", [
    ["snapshots"], ["snapshots", "diff", "1", "1"], ["evaluations"], ["frameworks"],
    ["indicators", "--framework", "national-2021", "--years", "2023-2024"],
    ["manage", "--years", "2023-2024"], ["monitor", "--year", "2024"],
    ["uncertainty", "--evaluation", "1", "--runs", "50"],
])
def test_every_listing_takes_json_and_out(store, tmp_path, args):
    needs_db = args[0] != "frameworks"
    db = ["--db", str(store)] if needs_db else []
    res = run(*args, *db, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data and "NaN" not in res.stdout
    out = tmp_path / "x.csv"
    res = run(*args, *db, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) >= 1


def _digest(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                 for t in ("snapshot", "evaluation", "evaluation_score", "evaluation_uncertainty", "audit_log")]
    finally:
        con.close()
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@pytest.mark.parametrize("args", [
    ["snapshots"], ["evaluations"], ["manage", "--years", "2023-2024"], ["monitor", "--year", "2024"],
    ["indicators", "--framework", "national-2021", "--years", "2024"], ["uncertainty", "--evaluation", "1",
                                                                      "--runs", "50"],
    ["evaluate", "--rerun", "1"],
])
def test_read_like_commands_write_nothing(store, args):
    before = _digest(store)
    res = run(*args, "--db", str(store))
    assert res.exit_code == 0, res.output
    assert _digest(store) == before


def test_an_export_is_audited_and_cannot_overwrite_the_store(store, tmp_path):
    before = _digest(store)
    res = run("evaluations", "--db", str(store), "--out", str(tmp_path / "e.xlsx"))
    assert res.exit_code == 0 and _digest(store) != before  # one audit row more
    con = duckdb.connect(str(store), read_only=True)
    target = con.execute('SELECT target FROM audit_log ORDER BY "at" DESC LIMIT 1').fetchall()[0][0]
    con.close()
    assert target.endswith("e.xlsx")
    size = store.stat().st_size
    res = run("evaluations", "--db", str(store), "--out", str(store.with_suffix(".duckdb.csv")))
    assert res.exit_code == 0
    for bad in (store, store.with_name(store.name + ".wal")):
        res = CliRunner().invoke(app, ["snapshots", "--db", str(store), "--out", str(bad)])
        assert res.exit_code != 0
    assert store.stat().st_size == size


def test_exports_neutralise_spreadsheet_formulas(tmp_path):
    from gaoxin.services.export import write_frame

    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "safe", "-2+3", "@SUM(A1)", "\t=1", "-2"],
                       "value": [1.0, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0]})
    write_frame(df, tmp_path / "x.csv")
    back = pd.read_csv(tmp_path / "x.csv", dtype={"name": str})
    assert back["name"].tolist() == ["'=HYPERLINK(\"http://x\")", "+1", "safe", "'-2+3", "'@SUM(A1)", "'\t=1", "-2"]
    assert back["value"].tolist() == [1.0, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0]  # numbers stay numbers
    write_frame(df, tmp_path / "x.xlsx")
    x = pd.read_excel(tmp_path / "x.xlsx", engine="calamine")
    assert x["name"].iloc[0].startswith("'=") and x["value"].tolist() == back["value"].tolist()


def test_rejection_report_carries_no_live_formula(tmp_path, zones_csv, codes):
    from conftest import ENT_HEADERS, write_csv

    rows = [[codes[0], '=HYPERLINK("http://evil","x")', "GX001", 2023, "=1+1", 10, 50, "是"]]
    f = write_csv(tmp_path / "e.csv", ENT_HEADERS, rows)
    for rep in (tmp_path / "r.xlsx", tmp_path / "r.csv"):
        res = CliRunner().invoke(app, ["ingest", str(zones_csv), str(f), "--db", str(tmp_path / "s.duckdb"),
                                       "--report", str(rep)])
        assert res.exit_code in (0, 1), res.output
    sheets = pd.read_excel(tmp_path / "r.xlsx", sheet_name=None, dtype=str, engine="calamine")
    cells = [str(v) for df in sheets.values() for v in df.to_numpy().ravel() if isinstance(v, str)]
    assert any(c.startswith("'=") for c in cells)
    assert not any(c.startswith("=") for c in cells)
    for p in tmp_path.glob("r*.csv"):
        assert "\n=" not in p.read_text("utf-8-sig") and ",=" not in p.read_text("utf-8-sig")


def test_no_output_path_may_resolve_to_the_store(tmp_path, zones_csv):
    from conftest import ingest_path

    db = tmp_path / "s.duckdb"
    assert ingest_path([zones_csv], db).snapshot == 1
    link = tmp_path / "link.xlsx"
    link.symlink_to(db)
    before = db.read_bytes()
    for target in (db, link, tmp_path / "." / "s.duckdb.wal"):
        res = CliRunner().invoke(app, ["ingest", str(zones_csv), "--db", str(db), "--report", str(target)])
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        res = CliRunner().invoke(app, ["evaluations", "--db", str(db), "--out", str(target)])
        assert res.exit_code == 2
    assert db.read_bytes() == before


def test_migrate_demo_data_and_config_check(tmp_path):
    res = run("demo-data", "--zones", "5", "--enterprises", "100", "--years", "2023-2024", "--out", str(tmp_path / "d"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d" / "enterprises.csv").exists() and (tmp_path / "d" / "zones.csv").exists()
    res = run("demo-data", "--years", "2024-2020", "--out", str(tmp_path / "e"))
    assert res.exit_code == 2 and "2024-2020" in res.output  # reversed range: a usage error, no traceback
    res = run("migrate", "--db", str(tmp_path / "new.duckdb"))
    assert res.exit_code == 0 and "schema version" in res.output
    bad = tmp_path / "p.toml"
    bad.write_text('[[step]]\nname = "treat"\nwin_max = 5\n', "utf-8")
    res = run("config", "check", str(bad))
    assert res.exit_code == 1 and "winmax" in res.output and "line 3" in res.output
    res = run("config", "check", str(bad), "--json")
    assert json.loads(res.stdout)["ok"] is False
    from gaoxin.evaluation.pipeline import DEFAULT_CONFIG

    res = run("config", "check", str(DEFAULT_CONFIG))
    assert res.exit_code == 0 and "pipeline" in res.output


def test_a_report_that_cannot_be_written_does_not_misreport_the_snapshot(tmp_path, zones_csv):
    bad_dir = tmp_path / "ro"
    bad_dir.mkdir()
    (bad_dir / "r.xlsx").mkdir()  # the report path is a directory: writing it fails after the commit
    res = run("ingest", str(zones_csv), "--db", str(tmp_path / "s.duckdb"), "--report", str(bad_dir / "r.xlsx"),
              "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["snapshot"] == 1 and out["report_error"] and out["report"] == []


@pytest.mark.parametrize("args", [["--dirty", "1.5"], ["--dirty", "-0.1"], ["--zones", "0"], ["--enterprises", "-5"]])
def test_demo_arguments_out_of_range_are_one_line(tmp_path, args):
    for cmd in ("demo-data", "demo"):
        res = run(cmd, *args, "--out", str(tmp_path / cmd))
        assert res.exit_code == 2 and "Traceback" not in res.output and "错误" in res.output, res.output
