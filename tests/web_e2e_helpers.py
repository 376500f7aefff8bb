"""Helpers of the browser tests: a real server on a free port over a copy of the demo store, and Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` through ``executable_path`` (never ``playwright install``: offline networks,
no downloaded browsers).  Screenshots and time-to-data figures go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
STATIC = ROOT / "src" / "gaoxin" / "web" / "static"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_built() -> str | None:
    """Build the dashboard if it is missing (``npm`` needed); the reason it cannot be, or None."""
    if (STATIC / "index.html").is_file():
        return None
    try:
        subprocess.run(["make", "web"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        return f"the dashboard is not built and `make web` failed: {e}"
    return None


class LiveServer:
    """uvicorn serving ``create_app`` in a thread of this process, on loopback."""

    def __init__(self, db: Path, **settings) -> None:
        import uvicorn

        from gaoxin.api.app import Settings, create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(Settings(db=db, **settings)), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def record_timings(page_timings: dict[str, dict[str, int]]) -> Path:
    """Write the pages' time to data (ms) to test-artifacts/time-to-data.json and print it (not asserted)."""
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "time-to-data.json"
    old = json.loads(out.read_text("utf-8")) if out.is_file() else {}
    old.update(page_timings)
    out.write_text(json.dumps(old, ensure_ascii=False, indent=2, sort_keys=True), "utf-8")
    for page, t in sorted(page_timings.items()):
        print(f"time to data {page}: {t}")
    return out
