"""Read COINr iData/iMeta tables and build a composite index from them.

Layout (COINr ``new_coin``): iData has one row per unit with ``uCode`` (unit code), optional ``uName``,
``Time``, group columns, denominator columns and one column per indicator. iMeta has one row per code
with ``iCode``, ``Type`` (Indicator / Aggregate / Denominator / Group / Other), ``Direction`` (+1/-1),
``Weight``, ``Denominator`` (an iCode of Type Denominator, or empty), ``Parent`` and ``Level``
(1 = indicator, increasing to the index).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gaoxin.cells import safe_frame

from .pipeline import IndexResult, PipelineError, Step, as_steps, load_config, normalise_meta, run_pipeline

__all__ = ["DEFAULT_STEPS", "build_index", "read_coin", "read_meta", "run_coin", "write_results"]

#: COINr ``build_example_coin()``: the default configuration.
DEFAULT_STEPS: list[Step] = as_steps([
    {"name": "denominate"},
    {"name": "impute", "method": "group_mean", "group": "EurAsia_group"},
    {"name": "screen", "min_share": 0.9},
    {"name": "treat", "skew_thresh": 2.0, "kurt_thresh": 3.5, "winmax": 5},
    {"name": "normalise", "method": "minmax", "lo": 0.0, "hi": 100.0},
    {"name": "aggregate", "method": "arithmetic"},
])

_TYPES = {"Indicator", "Aggregate", "Denominator", "Group", "Other"}


def read_meta(imeta: str | Path | pd.DataFrame) -> pd.DataFrame:
    meta = imeta.copy() if isinstance(imeta, pd.DataFrame) else pd.read_csv(imeta, encoding="utf-8-sig")
    if "Type" in meta.columns:
        bad = sorted(set(meta["Type"].dropna()) - _TYPES)
        if bad:
            raise PipelineError(f"unknown iMeta Type {bad}; expected {sorted(_TYPES)}")
    return normalise_meta(meta)


def _read_data(idata: str | Path | pd.DataFrame) -> pd.DataFrame:
    if isinstance(idata, pd.DataFrame):
        data = idata.copy()
    else:
        data = pd.read_csv(idata, dtype={"uCode": str}, encoding="utf-8-sig")
    if "uCode" in data.columns:
        if data["uCode"].isna().any() or data["uCode"].duplicated().any():
            raise PipelineError("uCode must be present and unique / 单位代码必须唯一且非空")
        data = data.set_index("uCode", drop=False)
        data.index = data.index.astype(str)
        data.index.name = "uCode"
    return data


def read_coin(idata_csv: str | Path, imeta_csv: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read iData and iMeta CSVs; return ``(data indexed by uCode, meta)`` after consistency checks."""
    data = _read_data(idata_csv)
    meta = read_meta(imeta_csv)
    needed = list(meta.loc[meta["Type"].isin(["Indicator", "Denominator", "Group"]), "iCode"])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise PipelineError(f"iMeta codes missing from iData: {missing} / iData 缺少 iMeta 中的列")
    dens = set(meta.loc[meta["Type"] == "Denominator", "iCode"])
    bad = sorted(set(meta["Denominator"].dropna()) - dens)
    if bad:
        raise PipelineError(f"Denominator names codes that are not of Type Denominator: {bad}")
    return data, meta


def _steps(config) -> list[Step]:
    if config is None:
        return list(DEFAULT_STEPS)
    if isinstance(config, str | Path):
        return load_config(config)
    return as_steps(config)


def run_coin(idata, imeta, config=None) -> IndexResult:
    """Run the pipeline (``config``: None = :data:`DEFAULT_STEPS`, a pipeline.toml path, or a step list)."""
    data = _read_data(idata)
    meta = read_meta(imeta)
    return run_pipeline(data, meta, _steps(config))


def build_index(idata, imeta, config=None, out: str | Path | None = None,
                leave_out: int | str | None = None) -> pd.DataFrame:
    """Build the index; return one row per unit: ``uCode``, ``Rank`` (of the top level), every aggregate.

    ``idata``/``imeta`` are CSV paths or frames; ``config`` as in :func:`run_coin`. With ``out`` the table is
    also written (see :func:`write_results`), plus the run log next to it (``<out stem>.log.json``).
    ``leave_out`` (a tree level, 1 = indicators, or an element code) adds, for each element dropped in turn
    with its siblings re-weighted within its parent (COINr ``remove_elements``), a column
    ``Rank_without_<code>``: the rank the unit would have without that element.
    """
    data, meta = _read_data(idata), read_meta(imeta)
    steps = _steps(config)
    res = run_pipeline(data, meta, steps)
    table = res.table()
    if leave_out is not None:
        from .uncertainty import leave_one_out  # the Monte Carlo engine: loaded only for this option

        loo = leave_one_out(data, meta, steps, leave_out).ranks.drop(columns="nominal")
        loo.index = loo.index.astype(str)
        for code in loo.columns:
            table[f"Rank_without_{code}"] = table["uCode"].map(loo[code]).astype("Int64")
    if out is not None:
        write_results(table, out)
        Path(out).with_suffix(".log.json").write_text(res.log_json(), encoding="utf-8")
    return table


def write_results(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a results table: ``.csv`` (UTF-8 with BOM, opens in Excel), ``.xlsx``, ``.json`` or ``.parquet``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        safe_frame(table).to_csv(p, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        safe_frame(table).to_excel(p, index=False)
    elif suffix == ".json":
        table.to_json(p, orient="records", force_ascii=False, indent=2)
    elif suffix == ".parquet":
        table.to_parquet(p, index=False)
    else:
        raise PipelineError(f"unsupported output format {suffix!r}: use .csv, .xlsx, .json or .parquet")
    return p
