"""Which exceptions are the user's to fix (a clear message: exit code 2, HTTP 4xx) rather than bugs."""

from __future__ import annotations


class InputError(ValueError):
    """A service argument the user gave that cannot be used (an unknown unit, a bad year range …)."""


def user_errors() -> tuple[type[Exception], ...]:
    """Errors caused by input, configuration or the store's state; imported only when an error happens."""
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

    return (InputError, PipelineError, EvaluationError, FrameworkError, FormulaError, RuleError, SnapshotNotFound,
            EvaluationNotFound, StoreError, ConfigError, ExportError, FileNotFoundError)
