"""Composite-index pipeline as an ordered list of logged, re-runnable steps.

A pipeline is a list of steps, each a name plus a params dict, run in the order given. Recommended order
(OECD/JRC Handbook; COINr ``build_example_coin``)::

    denominate -> impute -> screen -> treat -> normalise -> weight -> aggregate

Any step may be omitted. Every step is validated against its model in :mod:`.steps` (unknown keys are
errors; defaults live there only), whether it comes from a file (:func:`load_config`), from code
(:func:`as_steps`) or from a stored log (:func:`rerun`). :func:`run_pipeline` returns an :class:`IndexResult`
with the scores of every level, ranks and a ``log``: one JSON-serialisable dict per step (``step``,
``params`` validated with defaults filled in, ``resolved`` with values taken from the data, what it did,
shapes, time, ``config_hash``, ``data_hash``). :func:`rerun` re-runs a log and gives identical numbers.
Configuration files (``pipeline.toml``): ``docs/configuration.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gaoxin.config import ConfigError, StrictModel, load_toml, validate

from . import steps as sm
from .methods import screen as scr
from .methods import treat as trt
from .methods import weights as wts
from .methods.aggregate import aggregate_tree
from .methods.impute import impute as _impute
from .methods.normalise import benchmark_score, benchmark_values
from .methods.normalise import normalise as _normalise
from .methods.results import rank_scores

__all__ = [
    "CONFIG_NAMES",
    "DEFAULT_CONFIG",
    "STEP_NAMES",
    "IndexResult",
    "PipelineError",
    "Step",
    "as_steps",
    "canonical_json",
    "config_hash",
    "data_hash",
    "default_config_name",
    "fixed_base",
    "for_year",
    "load_config",
    "normalise_meta",
    "packaged_config",
    "parse_steps",
    "rerun",
    "run_pipeline",
]

STEP_NAMES = sm.STEP_NAMES
#: The packaged default zone pipeline (``load_config(DEFAULT_CONFIG)``; rationale in docs/decisions/0004).
DEFAULT_CONFIG = resources.files("gaoxin.evaluation").joinpath("configs", "default.toml")


class PipelineError(ValueError):
    """Invalid pipeline configuration or input."""


class PipelineConfigError(ConfigError, PipelineError):
    """A pipeline configuration that does not validate (caught as either kind of error)."""


class ConfigDefaults(StrictModel):
    """``configs/defaults.toml``: packaged pipeline names → files, and each framework's default name."""

    configs: dict[str, str] = Field(min_length=1)  # name -> file in evaluation/configs
    frameworks: dict[str, str] = Field(default_factory=dict)  # framework id -> config name
    default: str  # config name for every other framework

    @model_validator(mode="after")
    def _known(self) -> ConfigDefaults:
        unknown = sorted({self.default, *self.frameworks.values()} - set(self.configs))
        if unknown:
            raise ValueError(f"unknown config names {unknown}; packaged: {sorted(self.configs)}")
        return self


_CONFIG_DIR = resources.files("gaoxin.evaluation").joinpath("configs")
_DEFAULTS = load_toml(_CONFIG_DIR.joinpath("defaults.toml"), ConfigDefaults, PipelineConfigError)
#: Packaged pipeline configurations by name (``gaoxin evaluate --config robust|official-2021``).
CONFIG_NAMES: tuple[str, ...] = tuple(_DEFAULTS.configs)


def packaged_config(name: str) -> list[Step]:
    """The steps of packaged configuration ``name`` (one of :data:`CONFIG_NAMES`)."""
    if name not in _DEFAULTS.configs:
        raise PipelineError(f"没有名为 {name!r} 的评价配置（可选 {', '.join(CONFIG_NAMES)}）/ no packaged pipeline "
                            f"{name!r}; choose {', '.join(CONFIG_NAMES)} or give a .toml file")
    return load_config(_CONFIG_DIR.joinpath(_DEFAULTS.configs[name]))


def default_config_name(framework_id: str) -> str:
    """The packaged configuration a framework is evaluated with unless told otherwise (defaults.toml)."""
    return _DEFAULTS.frameworks.get(framework_id, _DEFAULTS.default)


@dataclass(frozen=True)
class Step:
    """One step: its name and parameters (after :func:`as_steps`: validated, every default filled in)."""

    name: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "params": _jsonable(self.params)}


def _jsonable(obj: Any) -> Any:
    """Plain JSON types only (numpy scalars, tuples, Series and Paths converted)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.Series):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return None if math.isnan(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _flat(s: Any) -> dict:
    """A step in any accepted form as the flat TOML form ``{"name": ..., **params}``."""
    if isinstance(s, Step):
        return {**s.params, "name": s.name}
    if isinstance(s, tuple | list) and len(s) == 2:
        if not isinstance(s[1], Mapping | None):
            raise PipelineError(f"step {s[0]!r}: parameters must be a table, not {s[1]!r} / 步骤参数应为表")
        return {**dict(s[1] or {}), "name": str(s[0])}
    if isinstance(s, Mapping):
        d = dict(s)
        if "name" not in d and "step" in d:
            d["name"] = d.pop("step")
        if set(d) == {"name", "params"}:
            if not isinstance(d["params"], Mapping | None):
                raise PipelineError(f"step {d['name']!r}: params must be a table / 步骤参数应为表")
            return {**dict(d["params"] or {}), "name": d["name"]}
        return d
    raise PipelineError(f"cannot read step {s!r} / 无法读取步骤")


def parse_steps(steps: Iterable, source: str = "<steps>", text: str | None = None) -> list[Any]:
    """Validate steps (any form :func:`as_steps` accepts) into their models (:mod:`.steps`)."""
    if isinstance(steps, str | bytes | Mapping) or not isinstance(steps, Iterable):
        raise PipelineError(f"steps must be a list of steps, not {type(steps).__name__} / 步骤应为列表")
    flat = [_jsonable(_flat(s)) for s in steps]
    return list(validate(sm.PipelineConfig, {"step": flat}, source, text, PipelineConfigError).step)


def as_steps(steps: Iterable) -> list[Step]:
    """Accept :class:`Step`, ``(name, params)``, ``{"name": ..., "params": {...}}`` or flat
    ``{"name": ..., **params}`` (the TOML form); validate them and return :class:`Step` s with canonical
    params (defaults filled in), so equal configurations compare and hash equal."""
    return [Step(m.name, m.params()) for m in parse_steps(steps)]


def canonical_json(steps: Iterable) -> str:
    """Canonical JSON of the validated steps: sorted keys, no whitespace, UTF-8 characters kept."""
    return _dumps([s.to_dict() for s in as_steps(steps)])


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def config_hash(steps: Iterable) -> str:
    """sha256 (hex) of :func:`canonical_json`: misspelt keys fail, defaults and key order do not matter."""
    return hashlib.sha256(canonical_json(steps).encode("utf-8")).hexdigest()


def _legacy_hash(steps: list[Step]) -> str:
    """The hash logs written before strict steps carry: over the parameters as given."""
    raw = [{"name": s.name, "params": _jsonable(s.params)} for s in steps]
    return hashlib.sha256(_dumps(raw).encode("utf-8")).hexdigest()


def data_hash(data: pd.DataFrame) -> str:
    """sha256 of the data's index, columns and values (order-sensitive)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in data.columns], ensure_ascii=False).encode())
    h.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
    return h.hexdigest()


def load_config(path: str | os.PathLike | Traversable) -> list[Step]:
    """Read and validate ``pipeline.toml``: an array of tables ``[[step]]`` each with ``name`` and its params;
    errors name the file, the key path, the line and the closest allowed key."""
    cfg = load_toml(path, sm.PipelineConfig, PipelineConfigError)
    return [Step(m.name, m.params()) for m in cfg.step]


# --- meta ----------------------------------------------------------------------------------------------


def normalise_meta(meta: pd.DataFrame) -> pd.DataFrame:
    """Check and complete a COINr-style iMeta frame (Type, Direction, Weight, Parent, Level, Denominator)."""
    m = meta.copy()
    if "iCode" not in m.columns:
        raise PipelineError("meta needs an iCode column / 指标元数据缺少 iCode 列")
    if "Type" not in m.columns:
        m["Type"] = np.where(m["Level"] == 1, "Indicator", "Aggregate")
    for col, default in (("Direction", 1.0), ("Weight", 1.0), ("Parent", None), ("Denominator", None),
                         ("Level", None)):
        if col not in m.columns:
            m[col] = default
    for col in ("Direction", "Weight", "Level"):
        m[col] = _numeric_column(m, col)
    tree = m["Type"].isin(["Indicator", "Aggregate"])
    m.loc[tree, "Direction"] = m.loc[tree, "Direction"].fillna(1.0)
    m.loc[tree, "Weight"] = m.loc[tree, "Weight"].fillna(1.0)
    m.loc[m["Type"] == "Indicator", "Level"] = m.loc[m["Type"] == "Indicator", "Level"].fillna(1)
    if m.loc[tree, "Level"].isna().any():
        raise PipelineError(f"aggregates without Level: {list(m.loc[tree & m['Level'].isna(), 'iCode'])}")
    if m["iCode"].duplicated().any():
        raise PipelineError(f"duplicate iCode: {list(m.loc[m['iCode'].duplicated(), 'iCode'])} / 指标代码重复")
    codes = set(m.loc[tree, "iCode"])
    bad = [p for p in m.loc[tree, "Parent"].dropna() if p not in codes]
    if bad:
        raise PipelineError(f"Parent not in iCode: {sorted(set(bad))} / 上级指标不存在")
    return m.reset_index(drop=True)


def _numeric_column(m: pd.DataFrame, col: str) -> pd.Series:
    """``m[col]`` as numbers; a value that is not a number is the user's error, named with its iCode."""
    num = pd.to_numeric(m[col], errors="coerce")
    bad = m[col].notna() & num.isna()
    if bad.any() or not np.isfinite(num[num.notna()].astype(float)).all():
        i = bad.idxmax() if bad.any() else (~np.isfinite(num.fillna(0).astype(float))).idxmax()
        raise PipelineError(f"iMeta {col} 应为数值 / iMeta {col} must be a number: iCode {m.at[i, 'iCode']!r} "
                            f"has {m.at[i, col]!r}")
    return num.astype(float)


# --- result --------------------------------------------------------------------------------------------


@dataclass
class IndexResult:
    """Outcome of :func:`run_pipeline`.

    ``scores``: units x (indicator scores after the last data step, then aggregates by increasing level);
    ``ranks``: rank (1 = best, ties "min") of every aggregate; ``log``: one dict per step;
    ``datasets``: the data after each step (name -> frame); ``weights``: iCode -> weight used.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    log: list[dict]
    config_hash: str
    steps: list[Step]
    meta: pd.DataFrame
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    weights: pd.Series | None = None

    @property
    def aggregates(self) -> list[str]:
        """Aggregate codes, top level first (then meta order)."""
        m = self.meta[self.meta["Type"] == "Aggregate"].copy()
        m["_pos"] = range(len(m))
        m = m.sort_values(["Level", "_pos"], ascending=[False, True])
        return [c for c in m["iCode"] if c in self.scores.columns]

    @property
    def top(self) -> list[str]:
        m = self.meta[self.meta["Type"] == "Aggregate"]
        if m.empty:
            return []
        return [c for c in m.loc[m["Level"] == m["Level"].max(), "iCode"] if c in self.scores.columns]

    def table(self) -> pd.DataFrame:
        """One row per unit: ``uCode``, ``Rank`` of the top level, then every aggregate (top level first)."""
        tops = self.top
        t = pd.DataFrame({"uCode": self.scores.index.astype(str)}, index=range(len(self.scores)))
        if len(tops) == 1:
            t["Rank"] = self.ranks[tops[0]].to_numpy()
        else:
            for c in tops:
                t[f"Rank_{c}"] = self.ranks[c].to_numpy()
        for c in self.aggregates:
            t[c] = self.scores[c].to_numpy()
        sort_cols = [*[c for c in t.columns if c.startswith("Rank")][:1], "uCode"]
        return t.sort_values(sort_cols, na_position="last").reset_index(drop=True)

    def log_json(self) -> str:
        return json.dumps(self.log, ensure_ascii=False, indent=2)


# --- steps ---------------------------------------------------------------------------------------------


@dataclass
class _State:
    data: pd.DataFrame
    meta: pd.DataFrame
    X: pd.DataFrame
    weights: pd.Series
    scores: pd.DataFrame | None = None


def _indicators(meta: pd.DataFrame) -> list[str]:
    return list(meta.loc[meta["Type"] == "Indicator", "iCode"])


def _directions(meta: pd.DataFrame, cols) -> pd.Series:
    return meta.set_index("iCode")["Direction"].astype(float).reindex(cols)


def _step_denominate(st: _State, p: sm.DenominateStep) -> tuple[dict, dict]:
    mapping = p.denominators
    if mapping is None:
        sel = st.meta[(st.meta["Type"] == "Indicator") & st.meta["Denominator"].notna()]
        mapping = dict(zip(sel["iCode"], sel["Denominator"], strict=True))
    missing = sorted({d for d in mapping.values() if d not in st.data.columns})
    if missing:
        raise PipelineError(f"denominator columns not in data: {missing} / 数据中缺少分母列")
    X = st.X.copy()
    done = {}
    for code, den in mapping.items():
        if code not in X.columns:
            continue
        denom = st.data[den].reindex(X.index).astype(float)
        X[code] = (X[code] / denom).replace([np.inf, -np.inf], np.nan)
        done[code] = den
    st.X = X
    return {"denominators": dict(sorted(mapping.items()))}, {"denominated": done}


def _step_impute(st: _State, p: sm.ImputeStep) -> tuple[dict, dict]:
    groups = None
    if p.group is not None:
        if p.group not in st.data.columns:
            raise PipelineError(f"impute {p.method}: group column {p.group!r} not in data / 分组列不存在")
        groups = st.data[p.group].reindex(st.X.index)
    before = int(st.X.isna().sum().sum())
    st.X = _impute(st.X, p.method, groups)
    after = int(st.X.isna().sum().sum())
    return p.params(), {"missing_before": before, "missing_after": after, "imputed": before - after}


def _step_screen(st: _State, p: sm.ScreenStep) -> tuple[dict, dict]:
    st.X, report = scr.screen_units(st.X, p.min_share, zero_as_missing=p.zero_as_missing,
                                    force_include=p.force_include, force_exclude=p.force_exclude)
    dropped = [str(u) for u in report.index[~report["kept"]]]
    return p.params(), {"dropped": dropped,
                        "min_availability": float(report["availability"].min()) if len(report) else None}


def _step_treat(st: _State, p: sm.TreatStep) -> tuple[dict, dict]:
    st.X, log = trt.treat_outliers(st.X, p.skew_thresh, p.kurt_thresh, p.winmax, exclude=p.exclude)
    rows = [{"iCode": str(i), **{kk: _jsonable(v) for kk, v in r.items()}} for i, r in log.iterrows()]
    counts = log["status"].value_counts().to_dict()
    return p.params(), {"status_counts": {str(a): int(b) for a, b in counts.items()}, "treatment": rows}


def _step_benchmark(st: _State, p: sm.NormaliseBenchmark) -> tuple[dict, dict]:
    """Benchmark scoring; the benchmark (and worst value) used per indicator go into ``resolved``."""
    params = p.params()
    cols = list(st.X.columns)
    d = _directions(st.meta, cols).to_numpy() if p.use_directions else np.ones(len(cols))
    x = st.X.to_numpy(dtype=float)
    if p.reference == "file":
        raise PipelineError(f"benchmarks file {p.file!r} is read for a year: evaluate it (gaoxin evaluate), or "
                            "give reference = \"values\" / 基准值文件需按年份读取")
    if p.reference == "values":
        given = p.values or {}
        missing = [c for c in cols if c not in given]
        if missing:
            raise PipelineError(f"no benchmark value for {missing} / 缺少基准值")
        bench = np.array([np.nan if given[c] is None else given[c] for c in cols], dtype=float)
        _, data_worst = benchmark_values(x, d)
        w_given = p.worst or {}
        worst = np.array([w_given[c] if w_given.get(c) is not None else data_worst[j] for j, c in enumerate(cols)],
                         dtype=float)
    else:
        bench, worst = benchmark_values(x, d, p.reference, p.percentile)
    st.X = pd.DataFrame(benchmark_score(x, d, bench, worst, p.clip, p.scale), index=st.X.index, columns=cols)
    params["benchmark"] = dict(zip(cols, bench.tolist(), strict=True))
    params["worst"] = dict(zip(cols, worst.tolist(), strict=True))
    return params, {"clipped_at_1": int(np.sum(st.X.to_numpy() >= p.scale))}


def _step_normalise(st: _State, p: Any) -> tuple[dict, dict]:
    if p.method == "benchmark":
        return _step_benchmark(st, p)
    params = p.params()
    if p.method == "distance_to_target" and params["targets"] == "meta":
        if "Target" not in st.meta.columns:
            raise PipelineError("distance_to_target with targets = \"meta\" needs a Target column in meta")
        params["targets"] = st.meta.set_index("iCode")["Target"].reindex(st.X.columns).astype(float).to_dict()
    kwargs = {k: v for k, v in params.items() if k not in ("method", "use_directions")}
    d = _directions(st.meta, st.X.columns) if p.use_directions else None
    st.X = _normalise(st.X, p.method, d, **kwargs)
    return params, {}


def _children(meta: pd.DataFrame, parent: str) -> list[str]:
    return list(meta.loc[meta["Parent"] == parent, "iCode"])


def _step_weight(st: _State, p: sm.WeightStep) -> tuple[dict, dict]:
    w = st.meta.set_index("iCode")["Weight"].astype(float)
    w = w[st.meta.set_index("iCode")["Type"].isin(["Indicator", "Aggregate"])].copy()
    details: dict = {}
    parents = st.meta.loc[(st.meta["Level"] == p.level + 1), "iCode"]
    if p.method == "fixed":
        given = p.weights or {}
        unknown = [c for c in given if c not in w.index]
        if unknown:
            raise PipelineError(f"weights for unknown codes {unknown} / 权重指向不存在的指标")
        for c, v in given.items():
            w[c] = float(v)
    elif p.method == "multiplier":
        col = "Multiplier" if "Multiplier" in st.meta.columns else "Weight"
        mult = st.meta.set_index("iCode")[col].astype(float)
        for c in _indicators(st.meta):
            w[c] = float(mult[c]) if pd.notna(mult[c]) else 1.0
        details["effective"] = _effective_weights(st.meta, w)
    elif p.method != "meta":
        # above the indicators the children's values are their scores, aggregated (weighted arithmetic
        # mean) with the weights as they stand: PCA of pillars, sub-indices … (docs/uncertainty.md)
        values = aggregate_tree(st.X, st.meta, weights=w) if p.method == "pca" and p.level > 1 else st.X
        for parent in parents:
            kids = [c for c in _children(st.meta, parent) if c in values.columns or p.level > 1]
            if not kids:
                continue
            ww = _weights_of(st, p, parent, kids, details, values)
            if ww is None:
                continue
            if p.combine is not None:
                ww = wts.combine_weights(w.reindex(kids), ww, p.combine, p.alpha)
            for c, v in ww.items():
                w[c] = float(v)
    st.weights = w
    details["weights"] = {str(k): float(v) for k, v in w.items()}
    return p.params(), details


def _effective_weights(meta: pd.DataFrame, w: pd.Series) -> dict[str, float]:
    """Each indicator's weight in the index: the product of its and its ancestors' shares within their parents."""
    m = meta.set_index("iCode")
    parent = m["Parent"]
    share = w / w.groupby(parent.reindex(w.index)).transform("sum")
    out = {}
    for c in _indicators(meta):
        v, cur = 1.0, c
        while pd.notna(parent.get(cur)):
            v *= float(share[cur])
            cur = parent[cur]
        out[str(c)] = v
    return out


def _weights_of(st: _State, p: sm.WeightStep, parent: str, kids: list[str], details: dict,
                values: pd.DataFrame | None = None) -> pd.Series | None:
    """Weights of ``kids`` (the children of ``parent``) by ``p.method``; None when AHP has no matrix for it.
    ``values``: the children's values (the indicators, or the scores of a level above them)."""
    if p.method == "equal":
        return wts.equal_weights(kids)
    if p.method == "entropy":
        return wts.entropy_weights(st.X[kids])
    if p.method == "critic":
        return wts.critic_weights(st.X[kids])
    if p.method == "pca":
        res = wts.pca((st.X if values is None else values)[kids], p.pca_method)
        if res.negative:
            details.setdefault("negative_loadings", {})[str(parent)] = res.negative
        return res.weights
    mats = p.matrices or {}
    if parent not in mats:
        return None
    r = wts.ahp(mats[parent], kids, allow_inconsistent=p.allow_inconsistent)
    details.setdefault("ahp", {})[str(parent)] = {"lambda_max": r.lambda_max, "ci": r.ci, "cr": r.cr}
    return r.weights


def _step_aggregate(st: _State, p: sm.AggregateStep) -> tuple[dict, dict]:
    kwargs = {"offset": p.offset} if p.method in ("geometric", "harmonic") else {}
    st.scores = aggregate_tree(st.X, st.meta, method=p.method, weights=st.weights, **kwargs)
    return p.params(), {"aggregates": [c for c in st.scores.columns if c not in st.X.columns]}


_HANDLERS = {
    "denominate": _step_denominate,
    "impute": _step_impute,
    "screen": _step_screen,
    "treat": _step_treat,
    "normalise": _step_normalise,
    "weight": _step_weight,
    "aggregate": _step_aggregate,
}


def run_pipeline(data: pd.DataFrame, meta: pd.DataFrame, steps: Iterable) -> IndexResult:
    """Run ``steps`` on ``data`` (units x columns, index = unit codes, holding indicators, denominators and
    group columns) described by ``meta`` (COINr iMeta layout)."""
    models = parse_steps(steps)
    steps = [Step(m.name, m.params()) for m in models]
    chash = config_hash(steps)
    dhash = data_hash(data)
    meta = normalise_meta(meta)
    inds = _indicators(meta)
    missing = [c for c in inds if c not in data.columns]
    if missing:
        raise PipelineError(f"indicators not in data: {missing} / 数据中缺少指标列")
    X = data[inds].apply(pd.to_numeric, errors="coerce").astype(float)
    w0 = meta.loc[meta["Type"].isin(["Indicator", "Aggregate"])].set_index("iCode")["Weight"].astype(float)
    st = _State(data=data, meta=meta, X=X, weights=w0)
    datasets = {"raw": X.copy()}
    log: list[dict] = []
    for i, (step, model) in enumerate(zip(steps, models, strict=True)):
        t0 = time.perf_counter()
        shape_in = list(st.X.shape)
        try:
            resolved, details = _HANDLERS[step.name](st, model)
        except (ValueError, KeyError, TypeError) as e:
            raise PipelineError(f"step {i} ({step.name}): {e}") from e
        shape = st.scores.shape if step.name == "aggregate" else st.X.shape
        datasets[step.name] = (st.scores if step.name == "aggregate" else st.X).copy()
        log.append({
            "index": i,
            "step": step.name,
            "params": step.params,
            "resolved": _jsonable(resolved),
            "details": _jsonable(details),
            "shape_in": shape_in,
            "shape_out": list(shape),
            "seconds": round(time.perf_counter() - t0, 6),
            "config_hash": chash,
            "data_hash": dhash,
        })
    scores = st.scores if st.scores is not None else st.X.copy()
    agg_codes = [c for c in scores.columns if c not in st.X.columns]
    ranks = rank_scores(scores[agg_codes]) if agg_codes else pd.DataFrame(index=scores.index)
    return IndexResult(scores=scores, ranks=ranks, log=log, config_hash=chash, steps=steps, meta=meta,
                       datasets=datasets, weights=st.weights)


#: Keys of ``resolved`` that record values taken from the data, not step parameters.
RESOLVED_VALUES = ("benchmark", "worst")


def _canonical_resolved(name: str, resolved: dict) -> Any:
    """A logged ``resolved`` dict with today's defaults filled in (old logs recorded only some keys)."""
    taken = {k: resolved[k] for k in RESOLVED_VALUES if k in resolved}
    try:
        params = {k: v for k, v in resolved.items() if k not in taken}
        return {**parse_steps([{**params, "name": name}])[0].params(), **taken}
    except (ConfigError, PipelineError):
        return resolved


def for_year(steps: Iterable, year: int) -> list[Step]:
    """``steps`` with every benchmarks-file reference replaced by that file's values for ``year``.

    The stored configuration then carries the numbers themselves (and the file as ``source``), so a
    re-run never depends on the file staying where it was.
    """
    out = []
    for s in as_steps(steps):
        p = s.params
        if s.name == "normalise" and p.get("method") == "benchmark" and p.get("reference") == "file":
            bf = load_toml(Path(p["file"]), sm.BenchmarkFile, PipelineConfigError)
            values = bf.for_year(year)
            if not values:
                years = sorted({b.year for b in bf.benchmark})
                raise PipelineError(f"基准值文件 {p['file']} 没有 {year} 年的数值（有 {years}）/ benchmarks file "
                                    f"{p['file']} has no values for {year} (it has {years})")
            s = Step(s.name, {**p, "reference": "values", "values": values, "file": None,
                              "source": f"{bf.meta.source} ({Path(p['file']).name}, {year})"})
        out.append(s)
    return as_steps(out)


def fixed_base(steps: Iterable, base_log: list[dict], base_year: int) -> list[Step]:
    """``steps`` with each benchmark normalisation fixed to the benchmarks (and worst values) that
    ``base_log`` (the base year's run) resolved: a fixed-base index (中关村指数 style) whose scores are
    comparable across years, because every year is measured against the same yardstick."""
    steps = as_steps(steps)
    if not any(s.name == "normalise" and s.params.get("method") == "benchmark" for s in steps):
        raise PipelineError("定基指数需要基准值标准化（normalise method = \"benchmark\"，如 official-2021）/ a "
                            "fixed-base index needs benchmark normalisation (e.g. --config official-2021)")
    out = []
    for s, e in zip(steps, sorted(base_log, key=lambda e: e["index"]), strict=True):
        if s.name == "normalise" and s.params.get("method") == "benchmark":
            r = e["resolved"]
            s = Step(s.name, {**s.params, "reference": "values", "values": r["benchmark"], "worst": r["worst"],
                              "file": None, "source": f"base year {base_year} / 基期 {base_year} 年"})
        out.append(s)
    return as_steps(out)


def rerun(data: pd.DataFrame, meta: pd.DataFrame, log: list[dict] | str | Path, *, check_data: bool = True
          ) -> IndexResult:
    """Re-run a pipeline from its log (list of dicts or a JSON file).

    The logged steps are validated like any configuration (a log with a key no step knows fails with the
    key named). Checks that they hash to the log's ``config_hash`` (today's canonical hash, or the hash of
    the parameters as given that logs written before strict steps carry), that ``data`` is the logged
    data (unless ``check_data=False``), and that every step resolves to the same parameters as logged
    (so a change of defaults cannot silently change the numbers).
    """
    if isinstance(log, str | Path):
        log = json.loads(Path(log).read_text(encoding="utf-8"))
    if not log:
        raise PipelineError("empty log / 运行日志为空")
    entries = sorted(log, key=lambda e: e["index"])
    raw = [Step(e["step"], e.get("params", {})) for e in entries]
    steps = as_steps(raw)
    expected = log[0].get("config_hash")
    if expected and expected not in (config_hash(steps), _legacy_hash(raw)):
        raise PipelineError("log steps do not match its config_hash / 日志步骤与配置哈希不符")
    if check_data and log[0].get("data_hash") and data_hash(data) != log[0]["data_hash"]:
        raise PipelineError("data differ from the logged run (data_hash) / 数据与原运行不同")
    res = run_pipeline(data, meta, steps)
    for old, new in zip(entries, res.log, strict=True):
        if "resolved" in old and _canonical_resolved(old["step"], old["resolved"]) != new["resolved"]:
            raise PipelineError(f"step {old['step']!r} now resolves to {new['resolved']}, logged {old['resolved']}"
                                " / 步骤参数与日志不符")
    return res
