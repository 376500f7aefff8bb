"""Pure evaluation methods over a units x indicators frame (index = unit codes, columns = indicator codes).

See ``docs/methods.md`` for formulas, defaults and sources. Public import path: :mod:`gaoxin.methods`.
"""

from .aggregate import AGGREGATE_METHODS, aggregate, aggregate_tree, arithmetic, geometric, harmonic, topsis
from .impute import IMPUTE_METHODS, carry_forward, impute, impute_group, impute_mean, impute_median
from .mcda import grey_relational, topsis_score, vikor, vikor_score
from .normalise import (
    NORMALISE_METHODS,
    distance_to_target,
    goalposts,
    minmax,
    normalise,
    percentile_rank,
    rank,
    ratio_to_benchmark,
    zscore,
)
from .results import rank_scores, rank_within, strengths_weaknesses, yoy_change
from .screen import indicator_availability, present_mask, screen_units, unit_availability
from .treat import (
    COINR_THRESHOLDS,
    GII_THRESHOLDS,
    fails_skew_kurt,
    log_ct,
    skew_kurt,
    treat_indicator,
    treat_outliers,
)
from .weights import (
    SAATY_RI,
    AHPResult,
    InconsistentMatrixError,
    PCAResult,
    ahp,
    ahp_weights,
    combine_weights,
    critic_weights,
    entropy_weights,
    equal_weights,
    fixed_weights,
    pca,
    pca_weights,
)

__all__ = [
    "AGGREGATE_METHODS",
    "COINR_THRESHOLDS",
    "GII_THRESHOLDS",
    "IMPUTE_METHODS",
    "NORMALISE_METHODS",
    "SAATY_RI",
    "AHPResult",
    "InconsistentMatrixError",
    "PCAResult",
    "aggregate",
    "aggregate_tree",
    "ahp",
    "ahp_weights",
    "arithmetic",
    "carry_forward",
    "combine_weights",
    "critic_weights",
    "distance_to_target",
    "entropy_weights",
    "equal_weights",
    "fails_skew_kurt",
    "fixed_weights",
    "geometric",
    "goalposts",
    "harmonic",
    "impute",
    "impute_group",
    "impute_mean",
    "impute_median",
    "indicator_availability",
    "log_ct",
    "minmax",
    "normalise",
    "pca",
    "pca_weights",
    "percentile_rank",
    "present_mask",
    "rank",
    "rank_scores",
    "rank_within",
    "ratio_to_benchmark",
    "screen_units",
    "skew_kurt",
    "strengths_weaknesses",
    "topsis",
    "treat_indicator",
    "treat_outliers",
    "unit_availability",
    "yoy_change",
    "zscore",
]
__all__ += ["grey_relational", "topsis_score", "vikor", "vikor_score"]  # methods/mcda.py (issue #8)
