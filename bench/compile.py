"""Benchmark: what a request pays for indicator plans — cold compile, cached compile, execution — same run.

Run: .venv/bin/python bench/compile.py [--enterprises 20000] [--repeat 5]
For each built-in framework and unit: cold (parse + lower + build the Ibis expression +
compile SQL for the snapshot, fresh cache), warm (plan and SQL from the cache), a new
snapshot on a cached plan (SQL compile only), and execution on the store (the cached
SQL on the store's connection).  Ratios are against figures of the same run.  Also
the start-up of a fresh process importing the compiler and of `gaoxin --help`.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from pathlib import Path

import duckdb

from _common import best, demo_store
from gaoxin.indicators.backend import duckdb_backend, duckdb_schemas, run_on_duckdb
from gaoxin.indicators.compute import compile_framework, compute_indicators
from gaoxin.indicators.framework import load_framework
from gaoxin.indicators.plans import PlanCache
from gaoxin.indicators.units import ENTERPRISE_YEAR, ZONE_YEAR, industry_zone_year

HERE = Path(__file__).parent / "data"
YEARS = (2018, 2025)
CASES = [("national-2021", ZONE_YEAR), ("ecosystem-1-2-3", ZONE_YEAR), ("fyp14-highlands", ZONE_YEAR),
         ("national-2021", ENTERPRISE_YEAR), ("national-2021", industry_zone_year(2))]  # fmt: skip



def startup(cmd: list[str], repeat: int) -> float:
    return best(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat)


def measure(con, backend, schemas, s: int, name: str, unit, repeat: int) -> None:
    """One line of the table: cold, warm, new snapshot, execution and a whole request."""
    fw = load_framework(name)
    cache = PlanCache()
    cf = compile_framework(fw, YEARS, unit, schemas=schemas, cache=cache)
    sql = cf.sql(s)
    t_cold = best(lambda: compile_framework(fw, YEARS, unit, schemas=schemas, cache=PlanCache()).sql(s), repeat)
    t_warm = best(lambda: compile_framework(fw, YEARS, unit, schemas=schemas, cache=cache).sql(s), repeat)
    fresh = iter(range(10_000, 10_000 + repeat))  # snapshot ids not yet compiled
    t_snap = best(lambda: cf.sql(next(fresh)), repeat)
    t_exec = best(lambda: run_on_duckdb(backend, sql), repeat)
    t_req = best(lambda: compute_indicators(con, fw, YEARS, s, unit=unit, cache=cache), repeat)
    print(f"{name:<17} {unit.name:<20} {t_cold:7.3f}s {t_warm * 1e6:7.1f}µs {t_snap:8.3f}s {t_exec:7.3f}s "
          f"{t_req:7.3f}s {t_cold / t_warm:9.0f}× {t_cold / t_exec:8.1f}× {t_req / t_exec:7.2f}×")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = demo_store("compile", args.enterprises)
    con = duckdb.connect(str(db), read_only=True)
    s = con.execute("SELECT max(id) FROM snapshot").fetchall()[0][0]
    rows = con.execute("SELECT count(*) FROM enterprise_year").fetchall()[0][0]
    print(f"store: {rows:,} enterprise-year rows, snapshot {s}; years {YEARS}; "
          f"{platform.machine()}, duckdb {duckdb.__version__}, best of {args.repeat}")  # fmt: skip
    schemas = duckdb_schemas(con)
    backend = duckdb_backend(con)
    print(f"{'framework':<17} {'unit':<20} {'cold':>8} {'warm':>9} {'new snap':>9} {'execute':>8} {'request':>8}"
          f" {'cold/warm':>10} {'cold/exec':>9} {'req/exec':>8}")  # fmt: skip
    for name, unit in CASES:
        measure(con, backend, schemas, s, name, unit, args.repeat)
    py = sys.executable
    t_imp = startup([py, "-c", "import gaoxin.indicators.compute"], 3)
    t_ibis = startup([py, "-c", "import ibis"], 3)
    print(f"start-up: import gaoxin.indicators.compute {t_imp:.3f} s (no Ibis); import ibis alone {t_ibis:.3f} s")
    gx = Path(py).with_name("gaoxin")
    if gx.exists():
        print(f"start-up: gaoxin --help {startup([str(gx), '--help'], 3):.3f} s (goal < 0.3 s)")


if __name__ == "__main__":
    main()
