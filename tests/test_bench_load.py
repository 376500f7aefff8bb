"""The load generator of ``bench/api_load.py`` (``bench/load.py``): its schedule, percentiles and response
framing on hand-worked values, and one untimed run against a tiny live keep-alive server."""

from __future__ import annotations

import importlib.util
import itertools
import math
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("bench_load", Path(__file__).parents[1] / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load  # dataclasses look their module up there
_spec.loader.exec_module(load)


def test_schedule_is_a_constant_rate_from_start():
    assert load.schedule(4, 1.0, start=10.0) == [10.0, 10.25, 10.5, 10.75]
    due = load.schedule(500, 2.0)
    assert len(due) == 1000 and due[0] == 0.0
    gaps = {round(b - a, 12) for a, b in itertools.pairwise(due)}
    assert gaps == {0.002}  # every gap the same: an open model does not bunch requests
    assert load.schedule(0.5, 1.0) == [0.0]  # at least one request
    with pytest.raises(ValueError):
        load.schedule(0, 1)


def test_percentile_by_linear_interpolation():
    xs = list(range(1, 11))  # 1..10: position (n-1)·q/100
    assert load.percentile(xs, 50) == pytest.approx(5.5)  # between 5 and 6
    assert load.percentile(xs, 95) == pytest.approx(9.55)  # 9 + 0.55 · (10 - 9)
    assert load.percentile(xs, 99) == pytest.approx(9.91)
    assert load.percentile(xs, 0) == 1 and load.percentile(xs, 100) == 10
    assert load.percentile([7.0], 95) == 7.0
    assert load.percentile([3, 1, 2], 50) == 2  # order of the input does not matter
    assert math.isnan(load.percentile([], 50))
    with pytest.raises(ValueError):
        load.percentile(xs, 101)


def test_parser_frames_content_length_and_chunked_responses_split_anywhere():
    a = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\": 123}\n"
    b = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
    c = (b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n")
    d = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"
    stream = a + b + c + d
    assert load.ResponseParser().feed(stream) == [200, 404, 201, 200]
    for cut in range(1, len(stream)):  # any split of the byte stream gives the same responses
        p = load.ResponseParser()
        assert p.feed(stream[:cut]) + p.feed(stream[cut:]) == [200, 404, 201, 200], cut
    p = load.ResponseParser()
    assert [s for byte in stream for s in p.feed(bytes([byte]))] == [200, 404, 201, 200]
    with pytest.raises(ValueError, match="status line"):
        load.ResponseParser().feed(b"SSH-2.0-OpenSSH\r\n\r\n")


def test_request_bytes_carry_the_cookie():
    r = load.build_request("127.0.0.1:8000", "/api/v1/auth/me", "gaoxin_session=abc")
    assert r == (b"GET /api/v1/auth/me HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: application/json\r\n"
                 b"Connection: keep-alive\r\nCookie: gaoxin_session=abc\r\n\r\n")


def test_cpu_seconds_of_this_process_grow():
    before = load.cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert load.cpu_seconds(os.getpid()) >= before >= 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
            return
        body = b'{"ok": true}' if self.path == "/ok" else b"{}"
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_run_step_against_a_live_server(server):
    """Every request is sent and answered; the 404s are counted as errors; latencies are real numbers.
    No timing is asserted (the machine is shared)."""
    host = f"127.0.0.1:{server}"
    reqs = [load.build_request(host, p) for p in ("/ok", "/chunked", "/ok", "/missing")]
    r = load.run_step("127.0.0.1", server, reqs, rate=80, seconds=0.5, connections=4, server_pid=os.getpid())
    assert r.sent == 40
    assert r.errors == 10 and r.ok == 30  # every fourth request is the 404
    assert 0 < r.p50_ms <= r.p95_ms <= r.p99_ms
    assert r.achieved > 0 and r.gen_cpu_us > 0
    assert not math.isnan(r.server_cpu_pct)  # here the "server" is this process
    assert "—" not in r.row() and "nan" not in r.row()


def test_a_closed_port_is_a_clear_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        load.run_step("127.0.0.1", port, [b""], rate=10, seconds=0.1, connections=1)
