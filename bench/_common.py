"""Shared by the benchmarks: best-of-N timing and a cached demo store."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data"  # git-ignored cache of generated inputs


def best(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def demo_store(name: str, enterprises: int) -> Path:
    """A store holding demo data of ``enterprises`` firms (seed 1), built once under bench/data/."""
    from gaoxin.demo.synthetic import generate
    from gaoxin.store.db import connect
    from gaoxin.store.load import ingest

    d = DATA / f"{name}-{enterprises}"
    db = d / "store.duckdb"
    if not db.exists():
        print("generating demo data and building the store …")
        files = generate(d / "csv", enterprises=enterprises, seed=1)
        con = connect(db)
        ingest(con, [files.zones, files.enterprises, files.zone_facts])
        con.close()
    return db
