"""Benchmark: gaoxin ingest of ~1M enterprise-year rows from a GBK CSV, full validation,
against the floor of DuckDB's own read_csv of the same rows in UTF-8 into a table.

Run: .venv/bin/python bench/ingest.py [--enterprises 110000] [--repeat 3]
Prints both times (best of --repeat) and the ratio; target ratio <= 2.0.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import time
from pathlib import Path

import duckdb

from gaoxin.demo.synthetic import generate
from gaoxin.store.db import connect
from gaoxin.store.load import ingest

HERE = Path(__file__).parent / "data"


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=152_000, help="firms; x 10 years minus births/exits ~ rows")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    gbk_dir, utf_dir = HERE / f"gbk-{args.enterprises}", HERE / f"utf8-{args.enterprises}"
    if not (gbk_dir / "enterprises.csv").exists():
        print("generating GBK and UTF-8 copies of the same data …")
        generate(gbk_dir, enterprises=args.enterprises, encoding="gbk", seed=1)
        generate(utf_dir, enterprises=args.enterprises, encoding="utf-8", seed=1)
    ent_gbk, ent_utf = gbk_dir / "enterprises.csv", utf_dir / "enterprises.csv"
    rows = duckdb.sql(f"SELECT count(*) FROM read_csv('{ent_utf}')").fetchall()[0][0]
    size_mb = ent_gbk.stat().st_size / 1e6
    print(f"input: {rows:,} enterprise-year rows, GBK CSV {size_mb:.0f} MB; "
          f"{platform.processor() or platform.machine()}, {duckdb.__version__=}")

    work = HERE / "work"

    def floor() -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        con = duckdb.connect(str(work / "floor.duckdb"))
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{ent_utf}')")
        con.close()

    result = {}

    def gaoxin_ingest() -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        con = connect(work / "gaoxin.duckdb")
        result["r"] = ingest(con, [gbk_dir / "zones.csv", ent_gbk])
        con.close()

    t_floor = best(floor, args.repeat)
    t_ours = best(gaoxin_ingest, args.repeat)
    r = result["r"]
    assert r.snapshot == 1 and r.accepted >= rows, (r.accepted, r.rejected)
    print(f"floor  DuckDB read_csv (UTF-8) into a table : {t_floor:6.2f} s")
    print(f"gaoxin ingest (GBK, full validation)        : {t_ours:6.2f} s   "
          f"({rows / t_ours / 1e6:.2f} M rows/s)")
    print(f"ratio gaoxin / floor                        : {t_ours / t_floor:6.2f}x   (target <= 2.0)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
