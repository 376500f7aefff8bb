"""Benchmark: the web API under a constant offered rate (open model) on loopback, load generator included.

Run: .venv/bin/python bench/api_load.py [--rates 100,250,500,750,1000] [--seconds 5] [--zones 169 --enterprises 30000]

Builds (once, cached under bench/data/) the default demo store, starts ``gaoxin serve`` on a free port as a
separate process, signs in a national user, and offers each rate for ``--seconds`` over the ranking, zone
profile and enterprise-list endpoints (round robin). Latency is measured from each request's scheduled start
(``bench/load.py``). The baseline, in the same run, is ``/api/v1/auth/me`` (session lookup and JSON only):
the ratio says what the data endpoints cost beyond the framework. Prints achieved throughput, p50/p95/p99, the
highest offered rate that keeps p95 within the target, and the server's memory per signed-in session.
Target on 2 cores: 500 requests/s offered with p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from _common import DATA
from load import HEADER, run_step

TARGET_P95_MS = 50.0
PASSWORD = "bench-password-Aa1!"  # a throw-away account of a throw-away copy of the demo store


def demo_copy(zones: int, enterprises: int) -> Path:
    """A fresh copy of a cached demo store (evaluated, with its rank intervals), plus a national user."""
    from gaoxin.services import Store
    from gaoxin.services.accounts import add_user
    from gaoxin.services.demo import DemoSettings, run_demo

    cache = DATA / f"api-demo-{zones}-{enterprises}"
    db = cache / "gaoxin.duckdb"
    if not db.exists():
        print("building the demo store …", flush=True)
        run_demo(DemoSettings(out_dir=cache, zones=zones, enterprises=enterprises, runs=500))
    run = DATA / "api-load-run.duckdb"
    for p in (run, run.with_name(run.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(db, run)
    with Store(run, "write") as store:
        add_user(store, "bench", "national", PASSWORD)
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "GAOXIN_STORE_WAIT": "30"}
    proc = subprocess.Popen([sys.executable, "-m", "gaoxin", "serve", "--db", str(db), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def sign_in(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/login", json={"username": "bench", "password": PASSWORD})
    r.raise_for_status()
    return dict(r.cookies)


def data_paths(base: str, cookies: dict[str, str]) -> list[str]:
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
        evaluations = c.get("/api/v1/evaluations").json()
        eid = max(e["id"] for e in evaluations if e.get("framework_id") == "national-2021")
        zones = [z["zone_id"] for z in c.get("/api/v1/zones").json()][:20]
    paths = []
    for i, z in enumerate(zones):
        paths += [f"/api/v1/evaluations/{eid}/ranking", f"/api/v1/zones/{z}/profile?evaluation={eid}",
                  f"/api/v1/enterprises?page={i % 5 + 1}&page_size=50"]
    with httpx.Client(base_url=base, cookies=cookies, timeout=900) as c:  # the first firm-level read computes
        for p in paths:  # every path answers, and the warm caches are what a running server has
            r = c.get(p)
            if r.status_code != 200:
                raise SystemExit(f"{p}: HTTP {r.status_code} {r.text[:300]}")
    return paths


def session_memory(base: str, pid: int, n: int = 200) -> float:
    """MiB of server memory per additional signed-in session (n logins)."""
    before = rss_mib(pid)
    for _ in range(n):
        sign_in(base)
    return (rss_mib(pid) - before) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="100,250,500,750,1000")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--zones", type=int, default=169)
    ap.add_argument("--enterprises", type=int, default=30_000)
    a = ap.parse_args()
    db = demo_copy(a.zones, a.enterprises)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db, port)
    try:
        cookies = sign_in(base)
        paths = data_paths(base, cookies)
        print(f"{platform.node()} · {os.cpu_count()} cores · {a.zones} zones, {a.enterprises} firms · "
              f"{a.seconds:.0f} s per rate · server RSS {rss_mib(proc.pid):.0f} MiB")
        rows = []
        for label, ps in (("baseline /auth/me", ["/api/v1/auth/me"]),
                          ("ranking + profile + enterprises", paths)):
            print(f"\n{label}\n{HEADER}")
            for rate in (float(r) for r in a.rates.split(",")):
                res = run_step(base, ps, rate, a.seconds, cookies)
                print(res.row(), flush=True)
                rows.append((label, res))
        data = [r for label, r in rows if label.startswith("ranking")]
        base_rows = {r.offered: r for label, r in rows if label.startswith("baseline")}
        ok = [r.offered for r in data if r.p95_ms <= TARGET_P95_MS and r.errors == 0]
        print(f"\nhighest offered rate with p95 ≤ {TARGET_P95_MS:.0f} ms: {max(ok):.0f}/s" if ok
              else f"\nno offered rate kept p95 ≤ {TARGET_P95_MS:.0f} ms")
        for r in data:
            b = base_rows.get(r.offered)
            if b and b.p95_ms > 0:
                print(f"  at {r.offered:.0f}/s: p95 {r.p95_ms:.1f} ms = {r.p95_ms / b.p95_ms:.2f}× the baseline's")
        print(f"memory per signed-in session: {session_memory(base, proc.pid) * 1024:.1f} KiB; "
              f"server RSS after the run {rss_mib(proc.pid):.0f} MiB")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
