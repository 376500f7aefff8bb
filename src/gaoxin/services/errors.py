"""Which exceptions are the user's to fix (a clear message: exit code 2, HTTP 4xx) rather than bugs."""

from __future__ import annotations


class InputError(ValueError):
    """A service argument the user gave that cannot be used (an unknown unit, a bad year range …)."""


FIRST_YEAR, LAST_YEAR = 1900, 2100


def check_year_values(*years: int | None) -> None:
    """Years a statistic can be about; anything else (0, 10^30) is the user's typo, not a query to run."""
    for y in years:
        if y is not None and not FIRST_YEAR <= int(y) <= LAST_YEAR:
            raise InputError(f"年份须在 {FIRST_YEAR}–{LAST_YEAR} 之间 / a year must be "
                             f"{FIRST_YEAR}–{LAST_YEAR}, not {y}")


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
