"""A light open-model HTTP/1.1 load generator (constant offered rate), used by ``bench/api_load.py``.

Why not httpx + asyncio: that generator used a whole core at a few hundred requests/s while the server it
measured used 5 % (decision 0033), so it measured itself.  This one is one thread over ``selectors``
(epoll) and non-blocking sockets: the request bytes (cookie and headers included) are built once, a pool
of keep-alive connections is opened before the clock starts, and a response is parsed only as far as its
status line, ``Content-Length`` or chunked framing.

Open model: request *i* is due at ``start + i / rate`` whatever the server does, and its latency is
measured from that *scheduled* time, so a server (or a generator) that falls behind shows it in
p95/p99 instead of silently lowering the offered rate (coordinated omission).  A due request waits in
the generator's queue when every connection is busy; that wait counts.

The pure parts (``schedule``, ``percentile``, ``ResponseParser``) are unit-tested in
``tests/test_bench_load.py``, and ``run_step`` against a tiny live server.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import socket
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def schedule(rate: float, seconds: float, start: float = 0.0) -> list[float]:
    """Due times of a constant offered ``rate`` (requests/s) for ``seconds``: ``start + i / rate``."""
    if rate <= 0 or seconds <= 0:
        raise ValueError(f"rate and seconds must be positive, got {rate}, {seconds}")
    n = max(1, round(rate * seconds))
    return [start + i / rate for i in range(n)]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between order statistics (numpy's default,
    Hyndman–Fan type 7); NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def build_request(host: str, path: str, cookie: str | None = None) -> bytes:
    """The bytes of one keep-alive ``GET`` (built once per path, sent as they are)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Accept: application/json", "Connection: keep-alive"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class ResponseParser:
    """Incremental HTTP/1.1 response framing: ``feed(bytes)`` returns the statuses of the responses it
    completed.  Reads the status line and ``Content-Length`` or ``Transfer-Encoding: chunked``; the body
    is skipped, not kept."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._status = 0
        self._left = -1  # body bytes still to skip; -1: reading headers; -2: chunked
        self._chunk = 0  # bytes of the current chunk (+ its CRLF) still to skip

    def feed(self, data: bytes) -> list[int]:
        self._buf += data
        done: list[int] = []
        while True:
            if self._left == -1 and not self._head():
                break
            if self._left >= 0:
                if len(self._buf) < self._left:
                    self._left -= len(self._buf)
                    self._buf.clear()
                    break
                del self._buf[:self._left]
                self._left = -1
                done.append(self._status)
                continue
            if self._left == -2:
                if not self._chunked():
                    break
                self._left = -1
                done.append(self._status)
        return done

    def _head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buf[:end]).decode("latin-1").split("\r\n")
        del self._buf[:end + 4]
        parts = head[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ValueError(f"not an HTTP response status line: {head[0][:80]!r}")
        self._status = int(parts[1])
        length, chunked = 0, False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        self._left, self._chunk = (-2, 0) if chunked else (length, 0)
        return True

    def _chunked(self) -> bool:
        """Skip chunks; True when the last (zero-size) chunk and its trailer end are consumed."""
        while True:
            if self._chunk > 0:
                take = min(self._chunk, len(self._buf))
                del self._buf[:take]
                self._chunk -= take
                if self._chunk:
                    return False
            line_end = self._buf.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(bytes(self._buf[:line_end]).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                trailer_end = self._buf.find(b"\r\n\r\n", line_end)
                if trailer_end == line_end:  # no trailers: "0\r\n\r\n"
                    del self._buf[:line_end + 4]
                    return True
                if trailer_end < 0:
                    return False
                del self._buf[:trailer_end + 4]
                return True
            del self._buf[:line_end + 2]
            self._chunk = size + 2  # the chunk and its CRLF


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime: fields 14 and 15 of stat(5)


@dataclass(frozen=True)
class StepResult:
    """One offered rate: what was sent, what came back, how fast, and who used the CPU."""

    offered: float  # requests/s
    seconds: float
    sent: int
    ok: int  # 2xx/3xx
    errors: int  # other statuses, broken connections, no answer in time
    achieved: float  # completed requests/s over the step's wall time
    p50_ms: float
    p95_ms: float
    p99_ms: float
    gen_cpu_us: float  # generator CPU per request, microseconds
    gen_cpu_pct: float  # generator CPU, % of one core over the step
    server_cpu_pct: float  # server process CPU, % of one core (NaN when no pid was given)
    load1: float  # the machine's 1-minute load average at the end of the step

    def row(self) -> str:
        return (f"{self.offered:7.0f} {self.achieved:9.1f} {_ms(self.p50_ms)} {_ms(self.p95_ms)} "
                f"{_ms(self.p99_ms)} {self.errors:7d} {_pct(self.gen_cpu_pct)} {self.gen_cpu_us:8.0f} "
                f"{_pct(self.server_cpu_pct)} {self.load1:6.2f}")


HEADER = ("offered  achieved   p50 ms   p95 ms   p99 ms  errors  gen CPU  gen µs/req  server CPU  load1\n"
          "  req/s     req/s                                        % core               % core")


def _ms(v: float) -> str:
    return f"{'—':>8}" if math.isnan(v) else f"{v:8.1f}"


def _pct(v: float) -> str:
    return f"{'—':>8}" if math.isnan(v) else f"{v:7.0f}%"


class _Conn:
    __slots__ = ("current", "parser", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.parser, self.current = sock, ResponseParser(), -1


def _connect(host: str, port: int) -> socket.socket:
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    return s


def run_step(host: str, port: int, requests: Sequence[bytes], rate: float, seconds: float = 10.0, *,
             connections: int = 32, timeout: float = 10.0, server_pid: int | None = None) -> StepResult:
    """Offer ``rate`` requests/s for ``seconds`` over ``requests`` (round robin) on ``connections``
    keep-alive connections; wait at most ``timeout`` s after the last due time for the answers.

    A request without an answer by then is an error, and enters the percentiles with the time it waited
    (a lower bound), so a stalled server cannot look fast by not answering."""
    sel = selectors.DefaultSelector()
    idle: deque[_Conn] = deque()  # FIFO: every connection is used in turn and none idles into a server timeout
    for _ in range(connections):
        c = _Conn(_connect(host, port))
        sel.register(c.sock, selectors.EVENT_READ, c)
        idle.append(c)
    n = max(1, round(rate * seconds))
    latency = [math.nan] * n
    status = [0] * n
    waiting: deque[int] = deque()
    cpu0, srv0 = time.process_time(), cpu_seconds(server_pid) if server_pid else 0.0
    start = time.perf_counter() + 0.01
    due = schedule(rate, seconds, start)
    end = due[-1] + timeout
    nxt, done = 0, 0

    def reopen(c: _Conn) -> None:
        sel.unregister(c.sock)
        c.sock.close()
        c.sock, c.parser, c.current = _connect(host, port), ResponseParser(), -1
        sel.register(c.sock, selectors.EVENT_READ, c)

    while done < n:
        now = time.perf_counter()
        if now > end:
            break
        while nxt < n and due[nxt] <= now:
            waiting.append(nxt)
            nxt += 1
        while waiting and idle:
            c, i = idle.popleft(), waiting.popleft()
            try:
                c.sock.sendall(requests[i % len(requests)])
            except OSError:  # the server closed it meanwhile: one fresh connection, one retry
                reopen(c)
                c.sock.setblocking(True)
                c.sock.sendall(requests[i % len(requests)])
                c.sock.setblocking(False)
            c.current = i
        wait = (due[nxt] - now) if nxt < n and (idle or not waiting) else end - now
        for key, _ in sel.select(max(0.0, min(wait, end - now))):
            c = key.data
            try:
                data = c.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            t = time.perf_counter()
            if not data:  # closed by the server: the request on it (if any) failed
                if c.current >= 0:
                    status[c.current], latency[c.current] = -1, (t - due[c.current]) * 1000
                    done += 1
                reopen(c)
                idle.append(c)
                continue
            for code in c.parser.feed(data):
                i = c.current
                status[i], latency[i] = code, (t - due[i]) * 1000
                c.current = -1
                done += 1
                idle.append(c)
    t_end = time.perf_counter()
    cpu = time.process_time() - cpu0
    srv = cpu_seconds(server_pid) - srv0 if server_pid else math.nan
    for c in list(idle) + [k.data for k in sel.get_map().values()]:
        with contextlib.suppress(OSError):
            c.sock.close()
    sel.close()
    for i in range(n):  # never answered: an error, waited at least until the end
        if status[i] == 0:
            status[i], latency[i] = -1, (t_end - due[i]) * 1000 if i < nxt else math.nan
    got = [x for x in latency if not math.isnan(x)]
    ok = sum(1 for s in status if 200 <= s < 400)
    wall = t_end - start
    return StepResult(rate, seconds, n, ok, n - ok, ok / wall, percentile(got, 50), percentile(got, 95),
                      percentile(got, 99), cpu / n * 1e6, 100 * cpu / wall,
                      100 * srv / wall if server_pid else math.nan, os.getloadavg()[0])
