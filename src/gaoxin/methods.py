"""Public API of gaoxin's evaluation methods (pure functions over a units x indicators DataFrame).

    from gaoxin.methods import minmax, entropy_weights, topsis, treat_outliers, aggregate_tree

Formulas, defaults and sources: ``docs/methods.md``. The pipeline (logged, re-runnable) lives in
:mod:`gaoxin.evaluation.pipeline`; COINr iData/iMeta reading in :mod:`gaoxin.evaluation.coin`.
"""

from gaoxin.evaluation.coin import DEFAULT_STEPS, build_index, read_coin, run_coin, write_results
from gaoxin.evaluation.methods import *  # noqa: F403
from gaoxin.evaluation.methods import __all__ as _methods_all
from gaoxin.evaluation.pipeline import (
    IndexResult,
    PipelineError,
    Step,
    config_hash,
    load_config,
    rerun,
    run_pipeline,
)

__all__ = [
    *_methods_all,
    "DEFAULT_STEPS",
    "IndexResult",
    "PipelineError",
    "Step",
    "build_index",
    "config_hash",
    "load_config",
    "read_coin",
    "rerun",
    "run_coin",
    "run_pipeline",
    "write_results",
]
