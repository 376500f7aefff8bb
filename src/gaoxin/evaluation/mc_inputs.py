"""Inputs of the Monte Carlo, sensitivity and leave-one-out analyses of a stored evaluation.

The engine (``engine.py``) replays the evaluation's own pipeline, so it needs exactly what the
evaluation ran on: the zone data (stored raw indicator values plus the zones' group columns, in the
same order), the same index tree (the framework's, without the indicators the evaluation dropped) and
the stored, validated steps. These pure functions rebuild them; the services fetch the rows.
"""

from __future__ import annotations

import pandas as pd

from gaoxin.evaluation.evaluate import framework_meta
from gaoxin.indicators.framework import Framework

GROUP_COLUMNS = ("region", "level")  # the zone attributes an evaluation's data carries (evaluate.zone_data)


def _ancestors(meta: pd.DataFrame, codes: list[str]) -> set[str]:
    parent = meta.set_index("iCode")["Parent"]
    out: set[str] = set()
    for c in codes:
        while c in parent.index and pd.notna(parent[c]):
            c = parent[c]
            out.add(c)
    return out


def evaluation_meta(fw: Framework, codes: list[str]) -> pd.DataFrame:
    """The framework tree restricted to the evaluated indicators ``codes`` and their ancestors, in the
    framework's order (what ``evaluate._usable`` leaves after dropping indicators without data)."""
    meta = framework_meta(fw)
    meta = meta[meta["iCode"].isin(codes) | (meta["Type"] == "Aggregate")]
    keep = (meta["Type"] == "Indicator") | meta["iCode"].isin(_ancestors(meta, list(codes)))
    return meta[keep].reset_index(drop=True)


def mc_inputs(fw: Framework, raw: pd.DataFrame, zones: pd.DataFrame, steps: list[dict]) -> dict:
    """``data``, ``meta`` and ``steps`` of ``uncertainty_analysis`` / ``rank_sensitivity`` /
    ``leave_one_out`` for a stored evaluation.

    ``raw``: its level-1 rows (zone_id, code, value); ``zones``: the snapshot's zones (zone_id and the
    group columns); ``steps``: its stored config. Units are in zone_id order, as when it was evaluated.
    """
    x = raw.pivot(index="zone_id", columns="code", values="value").sort_index()
    x.columns.name = None
    meta = evaluation_meta(fw, list(x.columns))
    groups = zones.set_index("zone_id")[[c for c in GROUP_COLUMNS if c in zones.columns]]
    data = groups.join(x[list(meta.loc[meta["Type"] == "Indicator", "iCode"])], how="inner")
    return {"data": data, "meta": meta, "steps": steps}
