"""An open-model HTTP load generator (constant offered rate), used by ``bench/api_load.py``.

Requests start at fixed times whatever the server does (an open model: users arrive, they do not wait
for each other), and each latency is measured from its *scheduled* start, so a server that falls behind
shows it in p95/p99 instead of silently lowering the offered rate (coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import numpy as np


@dataclass(frozen=True)
class StepResult:
    offered: float  # requests/s
    seconds: float
    sent: int
    ok: int
    errors: int
    achieved: float  # completed requests/s
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def row(self) -> str:
        return (f"{self.offered:7.0f} {self.achieved:9.1f} {self.p50_ms:8.1f} {self.p95_ms:8.1f} {self.p99_ms:8.1f}"
                f" {self.errors:7d}")


HEADER = "offered  achieved   p50 ms   p95 ms   p99 ms  errors"


async def _run(base: str, paths: Sequence[str], rate: float, seconds: float, cookies: dict[str, str],
               connections: int) -> StepResult:
    n = max(1, int(rate * seconds))
    latencies = np.full(n, np.nan)
    status = np.zeros(n, dtype=np.int32)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=10.0) as client:
        start = time.perf_counter() + 0.05

        async def one(i: int) -> None:
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                r = await client.get(paths[i % len(paths)])
                status[i] = r.status_code
            except httpx.HTTPError:
                status[i] = -1
            latencies[i] = (time.perf_counter() - due) * 1000

        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - start
    ok = int(((status >= 200) & (status < 400)).sum())
    p50, p95, p99 = np.nanpercentile(latencies, [50, 95, 99])
    return StepResult(rate, seconds, n, ok, n - ok, ok / elapsed, float(p50), float(p95), float(p99))


def run_step(base: str, paths: Sequence[str], rate: float, seconds: float = 5.0,
             cookies: dict[str, str] | None = None, connections: int = 64) -> StepResult:
    """Offer ``rate`` requests/s for ``seconds`` over ``paths`` (round robin) and measure."""
    return asyncio.run(_run(base, paths, rate, seconds, cookies or {}, connections))
