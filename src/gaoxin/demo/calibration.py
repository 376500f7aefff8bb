"""Calibration: the targets of ``data/calibration.toml`` and how close a generated file comes to them.

``targets`` and ``calibration_config`` (targets plus certification criteria)
feed the model; ``calibration_report`` reads a generated enterprises file back
(``read_enterprises``, a minimal reader) and compares each ratio with its target.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from gaoxin.demo.writers import TEXT
from gaoxin.ingest import contract


class CalibrationRow(NamedTuple):
    """One calibrated ratio: its target, the generated value, actual / target − 1."""

    name: str
    target: float
    actual: float
    rel_error: float


# --------------------------------------------------------------------------- targets


@cache
def calibration_config() -> dict[str, Any]:
    """``data/calibration.toml``: targets with sources and the certification criteria."""
    text = resources.files("gaoxin.demo").joinpath("data", "calibration.toml").read_text("utf-8")
    return tomllib.loads(text)


def targets() -> dict[str, dict[str, Any]]:
    """Calibration targets by name, each with ``value`` (the ratio) and ``source``."""
    out = {}
    for t in calibration_config()["target"]:
        t = dict(t)
        if "value" not in t:
            if "share_of_national" in t:
                exports = t["national_goods_exports"]
                if t.get("include_services"):
                    exports += t["national_services_exports"]
                t["numerator_value"] = t["share_of_national"] * exports
            t["value"] = t["numerator_value"] / t["denominator_value"]
        out[t["name"]] = t
    return out


# --------------------------------------------------------------------------- reading back


def _detect_encoding(path: Path) -> str:
    head = path.open("rb").read(1 << 16)
    head = head[: head.rfind(b"\n") + 1] or head
    try:
        head.decode("utf-8")
        return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _to_number(s: pd.Series) -> pd.Series:
    """Numbers as returns write them: full-width digits, thousands separators."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    txt = s.astype("string").map(
        lambda v: unicodedata.normalize("NFKC", v) if isinstance(v, str) else v
    )
    return pd.to_numeric(txt.str.replace(",", "", regex=False).str.strip(), errors="coerce")


def read_enterprises(source: Path | str | pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Canonical ``columns`` of an enterprises CSV/xlsx/DataFrame, numbers in canonical units.

    A minimal reader for checking generated files (headers matched through
    the contract, units converted); the ingest stage is the real reader.
    """
    want = list(columns)
    if isinstance(source, pd.DataFrame):
        df = source
    else:
        path = Path(source)
        if path.suffix.lower() in (".xlsx", ".xls"):
            raw = pd.read_excel(path, header=None, dtype=object, engine="calamine")
            best = max(range(min(10, len(raw))), key=lambda i: contract.header_score(
                "enterprises", [str(v) for v in raw.iloc[i] if pd.notna(v)]))  # fmt: skip
            df = raw.iloc[best + 1 :].set_axis([str(v) for v in raw.iloc[best]], axis=1)
        else:
            enc = _detect_encoding(path)
            with path.open(encoding=enc) as fh:
                headers = fh.readline().rstrip("\r\n").split(",")
            keep = [h for h in headers if contract.match_header("enterprises", h).column in want]
            df = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(encoding=enc),
                convert_options=pacsv.ConvertOptions(
                    include_columns=keep, column_types=dict.fromkeys(keep, pa.string())
                ),
            ).to_pandas()
    out = {}
    for h in df.columns:
        m = contract.match_header("enterprises", str(h))
        if m.column in want and m.column not in out:
            s = df[h]
            out[m.column] = s if m.column in TEXT else _to_number(s) * m.factor
    missing = [c for c in want if c not in out]
    if missing:
        raise ValueError(f"columns not found: {missing}")
    return pd.DataFrame(out)[want]


def calibration_report(source: Path | str | pd.DataFrame, year: int = 2020) -> list[CalibrationRow]:
    """(name, target, actual, relative error) of each calibrated ratio in ``year``.

    Ratios are sums over the year's rows (blank = 0 in the numerator), as the
    published zone aggregates are.  Meant for clean files (``dirty=0``).
    """
    tg = targets()
    cols = sorted({"year", "revenue"} | {t["numerator"] for t in tg.values()})
    df = read_enterprises(source, cols)
    df = df[(df["year"] == year) & (df["revenue"] > 0)]
    if df.empty:
        raise ValueError(f"no enterprise rows for {year}")
    den = float(df["revenue"].sum())
    out = []
    for name, t in tg.items():
        actual = float(df[t["numerator"]].fillna(0).sum()) / den
        out.append(CalibrationRow(name, float(t["value"]), actual, actual / float(t["value"]) - 1))
    return out
