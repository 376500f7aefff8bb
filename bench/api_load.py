"""Benchmark: the web API under a constant offered rate (open model) on loopback, load generator included.

Run: .venv/bin/python bench/api_load.py [--rates 100,200,…,1600] [--seconds 15] [--warmup 5]
                                        [--connections 32] [--plain-uvicorn] [--zones 169 --enterprises 30000]

Builds (once, cached under bench/data/) the default demo store, starts ``gaoxin serve`` on a free port as a
separate process, signs in a national user, and offers each rate for ``--seconds`` over the ranking, zone
profile and enterprise-list endpoints (round robin). Latency is measured from each request's scheduled start
(``bench/load.py``: one thread, epoll, pre-built request bytes, keep-alive connections). The baseline,
in the same run, is ``/api/v1/auth/me`` (session lookup and JSON only): the ratio says what the data
endpoints cost beyond the framework. Prints, per offered rate, achieved throughput, p50/p95/p99, errors,
the CPU the generator and the server used (% of one core; 200 % is the whole machine) and the 1-minute
load average (the machine may be shared: a load above 2 means someone else was running), the
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
from load import HEADER, build_request, cpu_seconds, run_step

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


PLAIN = ("import sys, uvicorn; from gaoxin.api.app import Settings, create_app; "
         "uvicorn.run(create_app(Settings(db=sys.argv[1], warm_caches=True)), port=int(sys.argv[2]), "
         "loop='asyncio', http='h11', log_level='warning')")


def start_server(db: Path, port: int, plain: bool = False) -> subprocess.Popen:
    """``gaoxin serve`` (uvicorn picks uvloop and httptools), or with ``plain`` the same app on uvicorn's
    pure-Python asyncio loop and h11 parser, for comparison."""
    env = {**os.environ, "GAOXIN_STORE_WAIT": "30"}
    cmd = ([sys.executable, "-c", PLAIN, str(db), str(port)] if plain else
           [sys.executable, "-m", "gaoxin", "serve", "--db", str(db), "--port", str(port)])
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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


def wait_idle(pid: int, below: float = 0.10, window: float = 2.0, limit: float = 900.0) -> float:
    """Wait until the server's CPU stays under ``below`` of a core for ``window`` s: its warm-up in the job
    thread (``services.overview.warm``, started with the server) has finished and does not share the
    measured steps.  Returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        c0 = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - c0 < below * window:
            break
    return time.monotonic() - t0


def session_memory(base: str, pid: int, n: int = 200) -> float:
    """MiB of server memory per additional signed-in session (n logins)."""
    before = rss_mib(pid)
    for _ in range(n):
        sign_in(base)
    return (rss_mib(pid) - before) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="100,200,300,400,500,600,800,1000,1200,1600", help="offered rates, requests/s")
    ap.add_argument("--seconds", type=float, default=15.0, help="seconds per rate")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds at the first rate before measuring")
    ap.add_argument("--connections", type=int, default=32, help="keep-alive connections of the generator")
    ap.add_argument("--plain-uvicorn", action="store_true",
                    help="serve on uvicorn's asyncio loop and h11 parser instead of gaoxin serve's uvloop + httptools")
    ap.add_argument("--zones", type=int, default=169)
    ap.add_argument("--enterprises", type=int, default=30_000)
    a = ap.parse_args()
    rates = [float(r) for r in a.rates.split(",")]
    db = demo_copy(a.zones, a.enterprises)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db, port, a.plain_uvicorn)
    try:
        cookies = sign_in(base)
        paths = data_paths(base, cookies)
        waited = wait_idle(proc.pid)
        host = f"127.0.0.1:{port}"
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        mixes = (("baseline GET /api/v1/auth/me", [build_request(host, "/api/v1/auth/me", cookie)]),
                 ("ranking + zone profile + enterprise list (round robin over "
                  f"{len(paths)} URLs)", [build_request(host, p, cookie) for p in paths]))
        print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
              f"{'uvicorn (asyncio, h11)' if a.plain_uvicorn else server_kind()} · "
              f"{a.zones} zones, {a.enterprises} firms · {a.seconds:g} s per rate after "
              f"{a.warmup:g} s warm-up · {a.connections} connections · server RSS {rss_mib(proc.pid):.0f} MiB · "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} · "
              f"{time.strftime('%Y-%m-%d %H:%M %Z')} · server warm-up finished {waited:.0f} s after the first reads")
        rows = []
        for label, reqs in mixes:
            print(f"\n{label}\n{HEADER}")
            run_step("127.0.0.1", port, reqs, rates[0], a.warmup, connections=a.connections)
            for rate in rates:
                res = run_step("127.0.0.1", port, reqs, rate, a.seconds, connections=a.connections,
                               server_pid=proc.pid)
                print(res.row(), flush=True)
                rows.append((label, res))
        data = [r for label, r in rows if not label.startswith("baseline")]
        base_rows = {r.offered: r for label, r in rows if label.startswith("baseline")}
        passed = [r.p95_ms <= TARGET_P95_MS and r.errors == 0 for r in data]
        held = [r.offered for r in data[:passed.index(False) if False in passed else len(data)]]
        print(f"\nhighest offered rate with p95 ≤ {TARGET_P95_MS:.0f} ms and no errors at it and every lower rate: "
              + (f"{held[-1]:.0f} requests/s" if held else "none") + " (target: 500 requests/s)")
        alone = [f"{r.offered:.0f}" for r, p in zip(data, passed, strict=True) if p]
        print("rates that passed on their own: " + (", ".join(alone) or "none"))
        for r in data:
            b = base_rows.get(r.offered)
            if b and b.p50_ms > 0:
                print(f"  at {r.offered:.0f}/s: p50 {r.p50_ms:.1f} ms = {r.p50_ms / b.p50_ms:.1f}× the baseline's, "
                      f"server CPU {r.server_cpu_pct:.0f} % vs {b.server_cpu_pct:.0f} %")
        print(f"server RSS growth per sign-in (200 sign-ins; an upper bound: Argon2's 19 MiB per verify leaves "
              f"allocator high-water, bench/sessions.py measures a session itself): "
              f"{session_memory(base, proc.pid) * 1024:.1f} KiB; "
              f"server RSS after the run {rss_mib(proc.pid):.0f} MiB")
    finally:
        proc.terminate()
        proc.wait(10)


def server_kind() -> str:
    """Which event loop and HTTP parser uvicorn will pick (``auto``: uvloop and httptools when installed)."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn ({loop}, {http})"


if __name__ == "__main__":
    main()
