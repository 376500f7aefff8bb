"""Properties of ingest (hypothesis): no uncaught exception on any input; strict writes nothing."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ENT_HEADERS, ZONE_HEADERS, write_csv
from conftest import ingest_path as ingest

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
cell = st.one_of(st.text(max_size=12), st.sampled_from(["—", "NA", "１２", "1,234.5", "-0", "1e400", "是", "'", '"']))


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_arbitrary_bytes_never_raise(data, suffix):
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / f"x{suffix}"
        f.write_bytes(data)
        r = ingest([f], Path(d) / "db.duckdb")
        assert r.exit_code in (0, 1, 2)
        assert r.snapshot is None or r.exit_code == 0


@SETTINGS
@pytest.mark.slow
@given(st.lists(st.lists(cell, min_size=len(ENT_HEADERS), max_size=len(ENT_HEADERS)), min_size=1, max_size=6))
def test_arbitrary_cells_never_raise_and_count_every_row(rows):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        z = write_csv(d / "zones.csv", ZONE_HEADERS, [["GX001", "示例高新区001", "国家级", "44", "示例市"]])
        f = d / "e.csv"
        with open(f, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(ENT_HEADERS)
            w.writerows(rows)
        r = ingest([z, f], d / "db.duckdb")
        fr = r.batch.files[str(f)]
        assert fr.error is not None or fr.accepted + fr.rejected + fr.totals_dropped <= len(rows)
        if r.snapshot:
            con = duckdb.connect(str(d / "db.duckdb"), read_only=True)
            n = con.execute("SELECT count(*) FROM enterprise_years_at(?)", [r.snapshot]).fetchall()[0][0]
            con.close()
            assert n == fr.accepted


@SETTINGS
@pytest.mark.slow
@given(st.lists(cell, min_size=len(ENT_HEADERS), max_size=len(ENT_HEADERS)))
def test_strict_with_any_rejection_writes_nothing(bad_row):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        db = d / "db.duckdb"
        z = write_csv(d / "zones.csv", ZONE_HEADERS, [["GX001", "示例高新区001", "国家级", "44", "示例市"]])
        assert ingest([z], db).snapshot == 1
        f = write_csv(d / "e.csv", ENT_HEADERS, [bad_row])
        r = ingest([f], db, strict=True)
        con = duckdb.connect(str(db), read_only=True)
        snaps = con.execute("SELECT count(*) FROM snapshot").fetchall()[0][0]
        ents = con.execute("SELECT count(*) FROM enterprise_year").fetchall()[0][0]
        con.close()
        if r.rejected or not r.accepted:  # refused, or nothing to store (e.g. a blank row)
            assert r.exit_code in (1, 2) and snaps == 1 and ents == 0  # 2: unreadable (e.g. NUL bytes)
        else:
            assert snaps == 2 and ents == r.accepted
