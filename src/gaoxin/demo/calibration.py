"""Calibration: the targets of ``data/calibration.toml`` and how close a generated file comes to them.

``targets`` and ``calibration_config`` (targets plus certification criteria,
validated by :class:`CalibrationConfig`; every key in docs/configuration.md)
feed the model; ``calibration_report`` reads a generated enterprises file back
(``read_enterprises``, a minimal reader) and compares each ratio with its target.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import Field, model_validator

from gaoxin.config import StrictModel, load_toml
from gaoxin.demo.writers import TEXT
from gaoxin.ingest import contract


class CalibrationRow(NamedTuple):
    """One calibrated ratio: its target, the generated value, actual / target − 1."""

    name: str
    target: float
    actual: float
    rel_error: float


# --------------------------------------------------------------------------- targets


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Band = tuple[float, float]  # (bound, value): the first band whose bound the firm's figure meets applies


class CalibrationTarget(StrictModel):
    """One ``[[target]]``: a published ratio, given as ``value``, as numerator and denominator values, or as a
    share of a national total (exports) over the denominator value."""

    name: str = Field(min_length=1)
    numerator: str = Field(min_length=1)  # enterprises column (data contract name)
    denominator: str = Field(min_length=1)
    value: float | None = Field(None, gt=0)  # the ratio itself
    numerator_value: float | None = Field(None, gt=0)
    denominator_value: float | None = Field(None, gt=0)
    share_of_national: Share | None = None  # numerator = share x national exports
    national_goods_exports: float | None = Field(None, gt=0)
    national_services_exports: float | None = Field(None, gt=0)
    include_services: bool = False  # add services exports to the national total
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_way(self) -> CalibrationTarget:
        if self.value is not None:
            return self
        if self.denominator_value is None:
            raise ValueError("give `value`, or `denominator_value` with `numerator_value` or `share_of_national`")
        if self.share_of_national is not None:
            need = ["national_goods_exports"] + (["national_services_exports"] if self.include_services else [])
        else:
            need = ["numerator_value"]
        if missing := [k for k in need if getattr(self, k) is None]:
            raise ValueError(f"missing {', '.join(missing)} / 缺少 {', '.join(missing)}")
        return self

    @property
    def ratio(self) -> float:
        """The target ratio, however it is given."""
        if self.value is not None:
            return self.value
        if self.share_of_national is not None:
            exports = self.national_goods_exports + (self.national_services_exports if self.include_services else 0)
            return self.share_of_national * exports / self.denominator_value
        return self.numerator_value / self.denominator_value


class FlagCriteria(StrictModel):
    """How often generated certification flags differ from the rule (both criteria tables)."""

    validity_years: int = Field(ge=1)  # a certificate holds this many years
    non_applicant_share: Share  # qualifying firms that never apply
    noise_share: Share  # rows whose flag is simply wrong


class HighTechCriteria(FlagCriteria):
    """``[criteria.high_tech]``: 高新技术企业认定 (国科发火〔2016〕32号 art. 11)."""

    st_share_min: Share  # S&T staff / employees
    high_tech_revenue_share_min: Share  # high-tech product revenue / revenue
    rd_bands: list[Band] = Field(min_length=1)  # (sales bound 千元, min 3-year R&D / sales)


class TechSmeCriteria(FlagCriteria):
    """``[criteria.tech_sme]``: 科技型中小企业评价 (国科发政〔2017〕115号)."""

    max_employees: int = Field(gt=0)
    max_revenue: float = Field(gt=0)  # 千元
    max_assets: float = Field(gt=0)  # 千元
    min_score: float = Field(ge=0, le=100)
    st_share_bands: list[Band] = Field(min_length=1)  # (min S&T staff share, points)
    rd_share_bands: list[Band] = Field(min_length=1)  # (min R&D / revenue, points)
    ip_class1_score: float = Field(ge=0)  # points for a class-I IP right (invention patent)
    ip_class2_scores: list[Band] = Field(min_length=1)  # (min class-II rights, points)


class Criteria(StrictModel):
    high_tech: HighTechCriteria
    tech_sme: TechSmeCriteria


class CalibrationConfig(StrictModel):
    """``data/calibration.toml``: the calibration targets of the demo data and the certification criteria."""

    year: int = Field(ge=2000, le=2100)  # the year the targets describe
    target: list[CalibrationTarget] = Field(min_length=1)
    criteria: Criteria

    @model_validator(mode="after")
    def _unique(self) -> CalibrationConfig:
        names = [t.name for t in self.target]
        if len(set(names)) != len(names):
            raise ValueError("duplicate target name / 目标名称重复")
        return self


CALIBRATION_FILE = resources.files("gaoxin.demo").joinpath("data", "calibration.toml")


def load_calibration(path: str | Path | None = None) -> CalibrationConfig:
    """A calibration file (default: the packaged ``data/calibration.toml``) validated; errors name the file,
    key path, line and closest allowed key."""
    return load_toml(CALIBRATION_FILE if path is None else Path(path), CalibrationConfig)


@cache
def calibration_model() -> CalibrationConfig:
    """The packaged calibration, validated once."""
    return load_calibration()


@cache
def calibration_config() -> dict[str, Any]:
    """``data/calibration.toml`` as plain data: targets with sources and the certification criteria."""
    return calibration_model().model_dump()


def targets() -> dict[str, dict[str, Any]]:
    """Calibration targets by name, each with ``value`` (the ratio) and ``source``."""
    return {t.name: {**t.model_dump(exclude_none=True), "value": t.ratio} for t in calibration_model().target}


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
