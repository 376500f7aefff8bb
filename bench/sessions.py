"""Benchmark: what a session and a sign-in cost the one server process (docs/deployment.md).

Run: .venv/bin/python bench/sessions.py [--sessions 10000] [--logins 10]
Prints the Argon2id hash and verify time (argon2-cffi defaults), the memory of N open sessions in the
in-process table (tracemalloc), and the time the session middleware's lookup takes per request.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--logins", type=int, default=10)
    args = ap.parse_args()

    from gaoxin.services.access import Access
    from gaoxin.services.accounts import _hasher
    from gaoxin.services.sessions import Account, Sessions

    h = _hasher()
    t = []
    for _ in range(args.logins):
        t0 = time.perf_counter()
        stored = h.hash("a-long-password")
        t.append(time.perf_counter() - t0)
    v = []
    for _ in range(args.logins):
        t0 = time.perf_counter()
        h.verify(stored, "a-long-password")
        v.append(time.perf_counter() - t0)
    print(f"argon2id hash   median {statistics.median(t) * 1e3:.0f} ms  (t={h.time_cost}, m={h.memory_cost} KiB, "
          f"p={h.parallelism})")
    print(f"argon2id verify median {statistics.median(v) * 1e3:.0f} ms  (one sign-in)")

    accounts = {f"u{i}": Account(Access(f"u{i}", "zone", frozenset({"GX001"})), 1, False)
                for i in range(args.sessions)}
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    s = Sessions(1800, accounts.get)
    tokens = [s.open(f"u{i}", 1)[0] for i in range(args.sessions)]
    for tok in tokens:
        s.resolve(tok)  # fills the account cache as requests would
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"{args.sessions} sessions: {used / 2**20:.1f} MiB, {used / args.sessions:.0f} bytes per session "
          "(with its cached account)")
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 1.0:
        s.resolve(tokens[n % len(tokens)])
        n += 1
    print(f"session lookup: {1e6 * (time.perf_counter() - t0) / n:.1f} µs per request")


if __name__ == "__main__":
    main()
