"""Benchmark: start-up of `gaoxin --help` and `gaoxin snapshots` against the bare interpreter, same run.

Run: .venv/bin/python bench/startup.py [--repeat 15]
Prints the best and median wall time of each command, and its excess over
`python -c pass` (the floor no Python CLI can beat). Goal: each command under 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "s.duckdb"
        from gaoxin.demo.synthetic import generate
        from gaoxin.services.ingest import ingest_files
        from gaoxin.store.db import Store

        f = generate(Path(d) / "data", zones=20, enterprises=500, years=(2023, 2024), seed=1)
        with Store(db, "write") as s:
            ingest_files(s, [f.zones, f.enterprises])
        py = [sys.executable]
        rows = [("python -c pass (floor)", [*py, "-c", "pass"]),
                ("gaoxin --help", [*py, "-m", "gaoxin", "--help"]),
                ("gaoxin snapshots", [*py, "-m", "gaoxin", "snapshots", "--db", str(db)])]
        floor = None
        print(f"{'command':28} {'best s':>8} {'median s':>9} {'excess s':>9}  goal")
        for name, cmd in rows:
            best, med = timed(cmd, args.repeat)
            floor = best if floor is None else floor
            goal = "" if name.startswith("python") else ("< 0.3 s ok" if best < 0.3 else "< 0.3 s MISSED")
            print(f"{name:28} {best:8.3f} {med:9.3f} {best - floor:9.3f}  {goal}")


if __name__ == "__main__":
    main()
