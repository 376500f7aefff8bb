"""Benchmark: gaoxin ingest of enterprise-year rows from a GBK CSV, full validation, against the floor of
DuckDB's own read_csv of the same rows in UTF-8 into a table.

Both sides run in fresh processes with the same DuckDB ``threads`` and ``memory_limit`` (spilling to a
temp directory in the work folder); each child times its own work, the parent samples the resident
memory of the child and its children (iconv) from /proc and reports the peak.  After the runs the
stored snapshot is compared with the floor's table cell for cell, after the floor's columns are
mapped to canonical names, units and codes (EXCEPT both ways must be empty).

Run: .venv/bin/python bench/ingest.py [--rows 1000000 | --enterprises 152000] [--repeat 3]
     [--threads 2] [--memory-limit 2GB]
Prints both times (best of --repeat), both memory peaks and the ratios; targets: time <= 2.0x, memory <= 2x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import DATA as HERE  # git-ignored cache of generated inputs

ROWS_PER_FIRM = 1006447 / 152000  # of generate(seed=1) over 2016-2025


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its waited-for children (iconv)."""
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _child(side: str, csv: list[str], db: str, threads: int, memory: str, tmp: str) -> None:
    """One timed run in this (fresh) process; prints a JSON line with the seconds."""
    import duckdb

    config = {"threads": threads, "memory_limit": memory, "temp_directory": tmp}
    if side == "floor":
        t0, c0 = time.perf_counter(), _cpu()
        con = duckdb.connect(db, config=config)
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [csv[-1]])
        con.close()
        print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": _cpu() - c0}))
        return
    from gaoxin.store.db import connect
    from gaoxin.store.load import ingest

    t0, c0 = time.perf_counter(), _cpu()
    con = connect(db)
    for k, v in config.items():
        con.execute(f"SET {k} = ?", [v])
    r = ingest(con, csv)
    con.close()
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": _cpu() - c0, "snapshot": r.snapshot,
                      "accepted": r.accepted,
                      "rejected": r.rejected}))


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants now (0 once gone)."""
    kids: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/statm") as f:
                rss[int(d)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += kids.get(p, [])
    return total


def run_side(side: str, csv: list[Path], work: Path, args) -> tuple[dict, int]:
    """Run one side in a fresh process; (its JSON result, peak resident bytes of its process tree)."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "tmp").mkdir(parents=True)
    cmd = [sys.executable, __file__, "--child", side, "--db", str(work / f"{side}.duckdb"),
           "--threads", str(args.threads), "--memory-limit", args.memory_limit, "--tmp", str(work / "tmp"),
           *map(str, csv)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    while p.poll() is None:
        peak = max(peak, _tree_rss(p.pid))
        time.sleep(0.02)
    out = p.stdout.read() if p.stdout else ""
    if p.returncode:
        raise SystemExit(f"{side} failed ({p.returncode}): {out}")
    return json.loads(out.strip().splitlines()[-1]), peak


def _floor_mapped(con, table: str, header_of: dict[str, str]) -> str:
    """The floor's columns as gaoxin stores them: canonical names, units, codes (``header_of``: canonical -> header)."""
    from gaoxin.ingest import contract
    from gaoxin.ingest.validate import store_type

    rules = contract.rules()
    out = []
    for c in contract.tables()["enterprises"].columns:
        h = header_of.get(c.name)
        if h is None:
            out.append(f"NULL AS {c.name}")
            continue
        x, factor = f'"{h}"', contract.match_header("enterprises", h).factor
        t = f"trim(CAST({x} AS VARCHAR))"
        if c.type == "number":
            out.append(f"CAST(CAST({x} AS DOUBLE) * {factor!r} AS {store_type('enterprises', c)}) AS {c.name}")
        elif c.type == "int":
            out.append(f"CAST(round(CAST({x} AS DOUBLE) * {factor!r}) AS BIGINT) AS {c.name}")
        elif c.type == "year":
            out.append(f"CAST({x} AS INTEGER) AS {c.name}")
        elif c.type == "bool":
            out.append(f"CASE WHEN list_contains({rules.bool_.true!r}, {t}) THEN true "
                       f"WHEN list_contains({rules.bool_.false!r}, {t}) THEN false END AS {c.name}")
        elif c.name == "industry_code":
            out.append(f"lpad({t}, 4, '0') AS {c.name}")
        elif c.name == "credit_code":
            out.append(f"upper({t}) AS {c.name}")
        else:
            out.append(f"{t} AS {c.name}")
    return f"SELECT {', '.join(out)} FROM {table}"


def check_same(floor_db: Path, ours_db: Path) -> tuple[int, int, int]:
    """Rows only in the floor, rows only in gaoxin's snapshot (both must be 0), and the row count."""
    import duckdb

    from gaoxin.ingest import contract

    con = duckdb.connect()
    con.execute(f"ATTACH '{floor_db}' AS f (READ_ONLY)")
    con.execute(f"ATTACH '{ours_db}' AS g (READ_ONLY)")
    headers = [r[0] for r in con.execute("DESCRIBE f.t").fetchall()]
    header_of = {m.column: h for h in headers if (m := contract.match_header("enterprises", h)).column}
    cols = ", ".join(c.name for c in contract.tables()["enterprises"].columns)
    floor = _floor_mapped(con, "f.t", header_of)
    ours = f"SELECT {cols} FROM g.enterprise_year WHERE valid_from <= 1 AND (valid_to IS NULL OR valid_to > 1)"
    only_floor = con.execute(f"SELECT count(*) FROM ({floor} EXCEPT ALL {ours})").fetchall()[0][0]
    only_ours = con.execute(f"SELECT count(*) FROM ({ours} EXCEPT ALL {floor})").fetchall()[0][0]
    rows = con.execute("SELECT count(*) FROM f.t").fetchall()[0][0]
    con.close()
    return only_floor, only_ours, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, help="enterprise-year rows wanted (sets --enterprises)")
    ap.add_argument("--enterprises", type=int, default=152_000, help="firms; x 10 years minus births/exits ~ rows")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--child", choices=["floor", "gaoxin"], help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    ap.add_argument("csv", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.csv, args.db, args.threads, args.memory_limit, args.tmp)
        return
    firms = round(args.rows / ROWS_PER_FIRM) if args.rows else args.enterprises
    gbk_dir, utf_dir = HERE / f"gbk-{firms}", HERE / f"utf8-{firms}"
    if not (utf_dir / "enterprises.csv").exists():
        from gaoxin.demo.synthetic import generate

        print(f"generating GBK and UTF-8 copies of the same data ({firms:,} firms, cached in {HERE}) …")
        generate(gbk_dir, enterprises=firms, encoding="gbk", seed=1)
        generate(utf_dir, enterprises=firms, encoding="utf-8", seed=1)
    ent_gbk, ent_utf = gbk_dir / "enterprises.csv", utf_dir / "enterprises.csv"
    print(f"input: GBK CSV {ent_gbk.stat().st_size / 1e6:.0f} MB, UTF-8 {ent_utf.stat().st_size / 1e6:.0f} MB; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"threads={args.threads}, memory_limit={args.memory_limit}")
    work = HERE / "work"
    floor_t, ours_t, floor_c, ours_c, floor_m, ours_m = [], [], [], [], 0, 0
    for _ in range(args.repeat):  # alternated, so both sides meet the same machine
        f, fm = run_side("floor", [ent_utf], work / "floor", args)
        g, gm = run_side("gaoxin", [gbk_dir / "zones.csv", ent_gbk], work / "gaoxin", args)
        floor_t.append(f["seconds"])
        ours_t.append(g["seconds"])
        floor_c.append(f["cpu"])
        ours_c.append(g["cpu"])
        floor_m, ours_m = max(floor_m, fm), max(ours_m, gm)
    only_floor, only_ours, rows = check_same(work / "floor" / "floor.duckdb", work / "gaoxin" / "gaoxin.duckdb")
    assert g["snapshot"] == 1 and g["rejected"] == 0, g
    tf, tg = min(floor_t), min(ours_t)
    print(f"rows: {rows:,}; stored = floor after mapping: {only_floor} only in floor, {only_ours} only in gaoxin "
          f"({'identical' if only_floor == only_ours == 0 else 'DIFFERENT'})")
    print(f"floor  DuckDB read_csv (UTF-8) into a table : {tf:6.2f} s   peak RSS {floor_m / 2**20:7.0f} MiB   "
          f"(runs {', '.join(f'{t:.2f}' for t in floor_t)})")
    print(f"gaoxin ingest (GBK, full validation)        : {tg:6.2f} s   peak RSS {ours_m / 2**20:7.0f} MiB   "
          f"(runs {', '.join(f'{t:.2f}' for t in ours_t)}; {rows / tg / 1e6:.2f} M rows/s)")
    print(f"CPU seconds (best)                          : floor {min(floor_c):.2f}, gaoxin {min(ours_c):.2f} "
          f"({min(ours_c) / min(floor_c):.2f}x; less sensitive to other jobs on the machine)")
    print(f"ratio gaoxin / floor                        : {tg / tf:6.2f}x time (target <= 2.0), "
          f"{ours_m / floor_m:.2f}x memory (target <= 2)")
    shutil.rmtree(work, ignore_errors=True)
    if only_floor or only_ours:
        raise SystemExit("stored rows differ from the floor's")


if __name__ == "__main__":
    main()
