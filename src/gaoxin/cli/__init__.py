"""Command line ``gaoxin``: one Typer app whose commands call services and render their results.

Commands live in ``data`` (ingest, snapshots, migrate, demo-data, config),
``evaluate`` (frameworks … monitor, index) and ``demo``; ``render`` formats.
Only Typer and Rich load at start: everything else is imported inside the
command that needs it, so ``gaoxin --help`` stays fast.
"""

from __future__ import annotations

import sys

from gaoxin.cli.app import app, console


def user_errors() -> tuple[type[Exception], ...]:
    """Errors caused by input, configuration or the store's state: one clear line, exit code 2."""
    from gaoxin.config import ConfigError
    from gaoxin.evaluation.classify import RuleError
    from gaoxin.evaluation.evaluate import EvaluationError
    from gaoxin.evaluation.pipeline import PipelineError
    from gaoxin.indicators.formula import FormulaError
    from gaoxin.indicators.framework import FrameworkError
    from gaoxin.services.export import ExportError
    from gaoxin.store.db import StoreError
    from gaoxin.store.evaluations import EvaluationNotFound
    from gaoxin.store.snapshots import SnapshotNotFound

    return (PipelineError, EvaluationError, FrameworkError, FormulaError, RuleError, SnapshotNotFound,
            EvaluationNotFound, StoreError, ConfigError, ExportError, FileNotFoundError)


def main() -> None:
    """Console entry point: user errors exit with code 2 and a clear message instead of a traceback."""
    try:
        app(prog_name="gaoxin", standalone_mode=True)
    except SystemExit:  # the normal way out; must not pay for importing user_errors()' modules
        raise
    except user_errors() as e:
        console.print(f"[red]错误 error:[/] {e}", markup=True, highlight=False)
        sys.exit(2)


__all__ = ["app", "main"]
