"""The pipeline's step kinds as strict models: every parameter, its type and its default live here only.

A step in ``pipeline.toml`` (``[[step]]``) or in code is validated against the model of its ``name`` (and,
for ``normalise``, of its ``method``), so a misspelt key (``win_max``) is an error naming the allowed keys
instead of being silently ignored, and the config hash is taken over the validated parameters with every
default filled in: two spellings of the same pipeline hash equally. Formulas and sources: docs/methods.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from gaoxin.config import StrictModel, tagged_union

from .methods.impute import IMPUTE_METHODS
from .methods.treat import COINR_THRESHOLDS

__all__ = [
    "STEP_MODELS",
    "STEP_NAMES",
    "AggregateStep",
    "BenchmarkFile",
    "DenominateStep",
    "ImputeStep",
    "PipelineConfig",
    "ScreenStep",
    "StepModel",
    "TreatStep",
    "WeightStep",
]

STEP_NAMES = ("denominate", "impute", "screen", "treat", "normalise", "weight", "aggregate")


class _Step(StrictModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def params(self) -> dict[str, Any]:
        """Canonical parameters: every field (defaults filled in) except ``name``, as JSON types."""
        return self.model_dump(mode="json", exclude={"name"})


class DenominateStep(_Step):
    """Divide indicators by a denominator column (COINr ``Denominate``)."""

    name: Literal["denominate"] = "denominate"
    denominators: dict[str, str] | None = None  # iCode -> data column; None = the meta's Denominator column


class ImputeStep(_Step):
    """Fill missing values (COINr ``Impute``)."""

    name: Literal["impute"] = "impute"
    method: Literal[IMPUTE_METHODS] = "none"  # type: ignore[valid-type]
    group: str | None = None  # data column of the groups for group_mean / group_median

    @model_validator(mode="after")
    def _group(self) -> ImputeStep:
        if self.method.startswith("group_") and not self.group:
            raise ValueError(f"method {self.method!r} needs `group` (a data column) / 分组插补需要 group")
        if self.group is not None and not self.method.startswith("group_"):
            raise ValueError(f"`group` applies only to group_mean / group_median, not {self.method!r}")
        return self


class ScreenStep(_Step):
    """Drop units with too little data (COINr ``Screen``)."""

    name: Literal["screen"] = "screen"
    min_share: float = Field(0.9, ge=0.0, le=1.0)
    zero_as_missing: bool = False
    force_include: list[str] = Field(default_factory=list)
    force_exclude: list[str] = Field(default_factory=list)


class TreatStep(_Step):
    """Outlier treatment: winsorise, else log (COINr ``Treat``, JRC thresholds)."""

    name: Literal["treat"] = "treat"
    skew_thresh: float = Field(COINR_THRESHOLDS[0], gt=0)
    kurt_thresh: float = Field(COINR_THRESHOLDS[1], gt=0)
    winmax: int = Field(5, ge=0)
    exclude: list[str] = Field(default_factory=list)


class _Normalise(_Step):
    name: Literal["normalise"] = "normalise"
    use_directions: bool = True  # reverse cost indicators (Direction = -1) so that higher is better


class NormaliseMinmax(_Normalise):
    method: Literal["minmax"] = "minmax"
    lo: float = 0.0
    hi: float = 100.0

    @model_validator(mode="after")
    def _range(self) -> NormaliseMinmax:
        if self.hi <= self.lo:
            raise ValueError(f"hi ({self.hi}) must be greater than lo ({self.lo})")
        return self


class NormaliseZscore(_Normalise):
    method: Literal["zscore"] = "zscore"
    mean: float = 0.0
    sd: float = Field(1.0, gt=0)


class NormaliseRank(_Normalise):
    method: Literal["rank"] = "rank"
    ties: Literal["average", "min", "max", "first", "dense"] = "average"


class NormalisePercentileRank(_Normalise):
    method: Literal["percentile_rank"] = "percentile_rank"
    scale: float = 100.0


class NormaliseDistanceToTarget(_Normalise):
    method: Literal["distance_to_target"] = "distance_to_target"
    targets: Literal["meta"] | float | dict[str, float] = "meta"  # "meta" = the iMeta Target column
    cap: bool = True
    scale: float = 1.0


class NormaliseRatioToBenchmark(_Normalise):
    method: Literal["ratio_to_benchmark"] = "ratio_to_benchmark"
    benchmark: Literal["max", "total"] | float | dict[str, float] = "max"
    scale: float = 1.0


class NormaliseBenchmark(_Normalise):
    """Score against a benchmark per indicator and year, clipped to [0, 1], times ``scale`` (official style).

    ``reference``: ``best`` (all-zone max; min for cost indicators), ``percentile`` (``percentile``),
    ``values`` (given per indicator; ``worst`` optional, else from the data) or ``file`` (a benchmarks
    file, indicator × year → value, with its source; the evaluation turns it into ``values`` for its year).
    Formulas: :func:`gaoxin.evaluation.methods.normalise.benchmark_score`.
    """

    method: Literal["benchmark"] = "benchmark"
    reference: Literal["best", "percentile", "values", "file"] = "best"
    percentile: float = Field(90.0, ge=0.0, le=100.0)
    values: dict[str, float | None] | None = None  # reference = "values": iCode -> benchmark
    worst: dict[str, float | None] | None = None  # reference = "values": iCode -> worst value (optional)
    file: str | None = None  # reference = "file": a benchmarks .toml (BenchmarkFile)
    source: str | None = None  # where given values come from (provenance, logged)
    clip: bool = True
    scale: float = Field(100.0, gt=0)

    @model_validator(mode="after")
    def _reference(self) -> NormaliseBenchmark:
        if (self.values is not None) != (self.reference == "values"):
            raise ValueError("`values` goes with reference = \"values\" (and it needs them) / values 与 reference = "
                             "\"values\" 须同时给出")
        if self.worst is not None and self.reference != "values":
            raise ValueError("`worst` applies only to reference = \"values\" / worst 仅用于给定基准值")
        if (self.file is not None) != (self.reference == "file"):
            raise ValueError("`file` goes with reference = \"file\" (and it needs one) / file 与 reference = "
                             "\"file\" 须同时给出")
        return self


class BenchmarkValue(StrictModel):
    """One published benchmark: indicator code, year, value (in the indicator's own unit)."""

    indicator: str
    year: int
    value: float


class BenchmarkMeta(StrictModel):
    source: str = Field(min_length=1)  # where the values are published (document, table, page)
    notes: str = ""


class BenchmarkFile(StrictModel):
    """A benchmarks file for ``reference = "file"``: ``[meta] source`` and ``[[benchmark]]`` rows."""

    meta: BenchmarkMeta
    benchmark: list[BenchmarkValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> BenchmarkFile:
        seen: set[tuple[str, int]] = set()
        for b in self.benchmark:
            if (b.indicator, b.year) in seen:
                raise ValueError(f"benchmark for {b.indicator} {b.year} given twice / 基准值重复")
            seen.add((b.indicator, b.year))
        return self

    def for_year(self, year: int) -> dict[str, float]:
        return {b.indicator: b.value for b in self.benchmark if b.year == year}


class NormaliseGoalposts(_Normalise):
    method: Literal["goalposts"] = "goalposts"
    lower: float | dict[str, float]
    upper: float | dict[str, float]
    scale: float = 100.0


NORMALISE_MODELS: dict[str, type[_Normalise]] = {
    "minmax": NormaliseMinmax,
    "zscore": NormaliseZscore,
    "rank": NormaliseRank,
    "percentile_rank": NormalisePercentileRank,
    "distance_to_target": NormaliseDistanceToTarget,
    "ratio_to_benchmark": NormaliseRatioToBenchmark,
    "goalposts": NormaliseGoalposts,
    "benchmark": NormaliseBenchmark,
}
NormaliseStep = tagged_union("method", NORMALISE_MODELS, default="minmax")

_DATA_DRIVEN = ("entropy", "critic", "pca")


class WeightStep(_Step):
    """Weights: from the meta, fixed, equal, data-driven (entropy, CRITIC, PCA), AHP, or the framework's
    multipliers (``multiplier``: indicator i of a pillar gets m_i / sum m_j of it; the pillars keep their
    weights), optionally combined."""

    name: Literal["weight"] = "weight"
    method: Literal["meta", "fixed", "equal", "entropy", "critic", "pca", "ahp", "multiplier"] = "meta"
    level: int = Field(1, ge=1)  # weights of the children of the nodes of level + 1 (pca: any level)
    weights: dict[str, float] | None = None  # method = "fixed": iCode -> weight
    pca_method: Literal["squared", "abs"] = "squared"
    matrices: dict[str, list[list[float]]] | None = None  # method = "ahp": parent -> pairwise matrix
    allow_inconsistent: bool = False  # ahp: accept CR > 0.10
    combine: Literal["multiplicative", "linear"] | None = None  # with the meta weights
    alpha: float = Field(0.5, ge=0.0, le=1.0)  # combine = "linear": share of the meta weights

    @model_validator(mode="after")
    def _applies(self) -> WeightStep:
        if self.weights is not None and self.method != "fixed":
            raise ValueError("`weights` applies only to method = \"fixed\" / weights 仅用于 fixed")
        if self.matrices is not None and self.method != "ahp":
            raise ValueError("`matrices` applies only to method = \"ahp\" / matrices 仅用于 ahp")
        if self.method == "ahp" and not self.matrices:
            raise ValueError("method \"ahp\" needs `matrices` (parent -> pairwise matrix)")
        if self.method in ("entropy", "critic", "multiplier") and self.level != 1:  # PCA works at any level
            raise ValueError("entropy, CRITIC and multiplier weights are computed on indicators (level = 1) / "
                             "熵权、CRITIC 和赋权系数仅用于指标层")
        return self


class AggregateStep(_Step):
    """Weighted means level by level over the index tree (COINr ``Aggregate``); ``sum``: weighted sum with
    the weights normalised over all children and a missing value counting 0 (official style)."""

    name: Literal["aggregate"] = "aggregate"
    # sum: official style; topsis / vikor / gra: distance-to-ideal methods (methods/mcda.py), v = ρ = 0.5
    method: Literal["arithmetic", "geometric", "harmonic", "sum", "topsis", "vikor", "gra"] = "arithmetic"
    offset: float = 0.0  # geometric / harmonic: added before the mean (values must then be > 0)

    @model_validator(mode="after")
    def _offset(self) -> AggregateStep:
        if self.offset and self.method not in ("geometric", "harmonic"):
            raise ValueError("`offset` applies only to geometric and harmonic means")
        return self


STEP_MODELS: dict[str, Any] = {
    "denominate": DenominateStep,
    "impute": ImputeStep,
    "screen": ScreenStep,
    "treat": TreatStep,
    "normalise": NormaliseStep,
    "weight": WeightStep,
    "aggregate": AggregateStep,
}
StepModel = tagged_union("name", STEP_MODELS)


class PipelineConfig(StrictModel):
    """A ``pipeline.toml``: ``[[step]]`` tables run in order."""

    step: list[StepModel] = Field(min_length=1)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _aggregate_last(self) -> PipelineConfig:
        names = [s.name for s in self.step]
        if "aggregate" in names:
            after = [n for n in names[names.index("aggregate"):] if n != "aggregate"]
            if after:
                raise ValueError(f"step {after[0]!r} after aggregate: only aggregate may follow aggregate"
                                 " / 聚合之后不能再有数据处理步骤")
        return self
