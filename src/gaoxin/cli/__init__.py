"""Command line ``gaoxin``: one Typer app whose commands call services and render their results.

Commands live in ``data`` (ingest, snapshots, migrate, demo-data, config),
``evaluate`` (frameworks … monitor, index) and ``demo``; ``render`` formats.
Only Typer and Rich load at start: everything else is imported inside the
command that needs it, so ``gaoxin --help`` stays fast.
"""

from __future__ import annotations

from gaoxin.cli.app import app


def main() -> None:
    """Console entry point (user errors are mapped to exit code 2 by the app's group, see ``app``).

    SIGTERM (a service manager stopping the process) is turned into KeyboardInterrupt, so the open
    transaction rolls back and temporary files (e.g. the UTF-8 copy of a GBK file) are removed as on Ctrl-C.
    """
    import signal

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="gaoxin")


__all__ = ["app", "main"]
