"""kill -9 during a real ingest never leaves a partial snapshot or harms earlier ones (issue 2, §2)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import duckdb
import numpy as np
import pytest

from conftest import ENT_HEADERS, ingest_path, write_csv
from gaoxin.ingest.credit_code import make_codes

N_ROWS = 60_000
# the ingest service as a writer process runs it: open the store, ingest, close
INGEST = """import sys
from gaoxin.store.db import connect
from gaoxin.store.load import ingest
con = connect(sys.argv[1])
ingest(con, sys.argv[2:])
con.close()
"""
KILLS = 6


def state(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        snaps = con.execute("SELECT id, accepted FROM snapshot ORDER BY id").fetchall()
        per = {s: con.execute(f"SELECT count(*), sum(revenue) FROM enterprise_years_at({s})").fetchall()[0]
               for s, _ in snaps}
        issues = con.execute("SELECT count(DISTINCT snapshot_id) FROM ingest_issue").fetchall()[0][0]
        return snaps, per, issues
    finally:
        con.close()


@pytest.mark.slow
def test_kill_mid_ingest_leaves_store_consistent(tmp_path, zones_csv, enterprises_csv):
    db = tmp_path / "kill.duckdb"
    assert ingest_path([zones_csv, enterprises_csv], db).snapshot == 1
    base_snaps, base_per, _ = state(db)
    rng = np.random.default_rng(3)
    codes = make_codes(rng, np.array(["440300"] * N_ROWS))
    rows = [[c, f"企业{i}", "GX001", 2024, i % 977 + 1, i % 50 + 1, 1, "否"] for i, c in enumerate(codes)]
    big = write_csv(tmp_path / "big.csv", ENT_HEADERS, rows)
    cmd = [sys.executable, "-c", INGEST, str(db), str(big)]
    t0 = time.perf_counter()
    probe = tmp_path / "probe.duckdb"
    subprocess.run([sys.executable, "-c", INGEST, str(probe), str(zones_csv), str(big)], check=True,
                   capture_output=True)
    duration = time.perf_counter() - t0
    expected = 20 + state(probe)[1][1][0]  # rows of the big file that validation accepts
    assert expected > 20 + N_ROWS * 0.99
    rnd = random.Random(11)
    outcomes = []
    for _ in range(KILLS):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rnd.uniform(0.05, duration * 0.8))  # the last part of a run is teardown after COMMIT
        killed = p.poll() is None
        if killed:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        snaps, per, issue_snaps = state(db)
        # earlier snapshots exactly as they were
        for s, _ in base_snaps:
            assert per[s] == base_per[s]
        # every visible snapshot is complete: 20 base rows + all N rows, never a part
        for s, _ in snaps[len(base_snaps):]:
            assert per[s][0] == expected
        outcomes.append((killed, len(snaps) > len(base_snaps)))
        base_snaps, base_per = snaps, per
        assert issue_snaps <= len(snaps)
    # the kills must really interrupt ingests (else this test proves nothing)
    assert sum(k and not new for k, new in outcomes) >= KILLS // 2, outcomes
