"""The input contract as data: canonical columns, header aliases, units, provinces.

Everything here is read from the TOML files in ``ingest/data`` so that a new
alias, unit or threshold is a data change, not a code change.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pydantic import Field

from gaoxin.config import StrictModel, load_toml
from gaoxin.ingest.rules import IngestRules

TABLES = ("zones", "enterprises", "zone_facts")
__all__ = ["TABLES", "Column", "FactSpec", "HeaderMatch", "IngestRules", "TableSpec", "fact_code", "facts", "rules",
           "tables"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | int | number | bool | year
    required: bool = False
    dim: str = "none"
    signed: bool = False  # negative values allowed
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    label_zh: str
    sheet_names: tuple[str, ...]
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _load(name: str) -> dict:
    return tomllib.loads(resources.files("gaoxin.ingest").joinpath("data", name).read_text("utf-8"))


@cache
def tables() -> dict[str, TableSpec]:
    raw = _load("columns.toml")
    out = {}
    for t in TABLES:
        d = raw[t]
        cols = tuple(
            Column(
                name=c["name"],
                type=c["type"],
                required=c.get("required", False),
                dim=c.get("dim", "none"),
                signed=c.get("signed", False),
                aliases=tuple(c.get("aliases", ())),
            )
            for c in d["column"]
        )
        out[t] = TableSpec(t, d["label_zh"], tuple(d["sheet_names"]), tuple(d["key"]), cols)
    return out


@cache
def units() -> dict[str, dict[str, float]]:
    return {dim: {normalise_header(k): float(v) for k, v in m.items()} for dim, m in _load("units.toml").items()}


@cache
def rules() -> IngestRules:
    """The validated ingest rules (defaults from the model, overrides from ``data/rules.toml``)."""
    with resources.as_file(resources.files("gaoxin.ingest").joinpath("data", "rules.toml")) as path:
        return load_toml(path, IngestRules)


class FactSpec(StrictModel):
    """One known zone-year fact (``data/zone_facts.toml``): its code, Chinese name, unit and header aliases."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    unit: str = ""
    ref: str = ""  # indicator of the 2021 national system that reads it
    qualitative: bool = False  # an expert score (定性指标)
    aliases: list[str] = Field(default_factory=list)

    @property
    def header(self) -> str:
        """The template's header: the Chinese name with the unit, e.g. '高新区总绿地率（比例）'."""
        return f"{self.name_zh}（{self.unit}）" if self.unit else self.name_zh


class FactCatalogue(StrictModel):
    fact: list[FactSpec]


@cache
def facts() -> dict[str, FactSpec]:
    """Known zone-fact codes → their spec (a framework may read other codes too: they stay as written)."""
    with resources.as_file(resources.files("gaoxin.ingest").joinpath("data", "zone_facts.toml")) as path:
        cat = load_toml(path, FactCatalogue)
    return {f.code: f for f in cat.fact}


@cache
def _fact_index() -> dict[str, str]:
    idx: dict[str, str] = {}
    for f in facts().values():
        for name in (f.code, f.name_zh, f.header, *f.aliases):
            idx[normalise_header(name)] = f.code
            idx.setdefault(split_unit(name)[0], f.code)
    return idx


def fact_code(header: str) -> str:
    """The fact code a wide zone-facts header names: a known code, Chinese name or alias (unit ignored).

    Unknown headers are kept as written (trimmed): they are codes of a user's own framework.
    """
    idx = _fact_index()
    h = normalise_header(header)
    return idx.get(h) or idx.get(split_unit(header)[0]) or str(header).strip()


@cache
def provinces() -> dict[str, dict[str, str]]:
    """GB/T 2260 two-digit code -> {'name': 北京, 'region': 'east'}."""
    return _load("provinces.toml")["provinces"]


@cache
def region_labels() -> dict[str, str]:
    return _load("provinces.toml")["regions"]


def normalise_header(text: str) -> str:
    """NFKC, drop whitespace, lower-case ASCII: how headers are compared."""
    t = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", t).lower()


_UNIT_RE = re.compile(r"^(?P<base>.*?)[\(\[](?P<unit>[^()\[\]]*)[\)\]]$")


@dataclass(frozen=True)
class HeaderMatch:
    column: str | None  # canonical name, None if unknown
    factor: float = 1.0
    unit: str | None = None
    error: str | None = None  # e.g. unit not valid for the column's dimension


def split_unit(header: str) -> tuple[str, str | None]:
    """'营业收入（万元）' -> ('营业收入', '万元') after normalisation."""
    h = normalise_header(header)
    m = _UNIT_RE.match(h)
    if m and m.group("base"):
        return m.group("base"), m.group("unit")
    return h, None


@cache
def _alias_index(table: str) -> dict[str, str]:
    spec = tables()[table]
    idx: dict[str, str] = {}
    for c in spec.columns:
        idx[normalise_header(c.name)] = c.name
        for a in c.aliases:
            idx[normalise_header(a)] = c.name
            base, _unit = split_unit(a)
            idx[base] = c.name
    return idx


def match_header(table: str, header: str) -> HeaderMatch:
    """Map one header to its canonical column and the unit factor."""
    idx = _alias_index(table)
    h = normalise_header(header)
    if h in idx:
        return HeaderMatch(idx[h])
    base, unit = split_unit(header)
    # A trailing unit without brackets, e.g. '营业收入万元'.
    if base not in idx and unit is None:
        for dim_units in units().values():
            for u in sorted(dim_units, key=len, reverse=True):
                if h.endswith(u) and h[: -len(u)] in idx:
                    base, unit = h[: -len(u)], u
                    break
            if unit:
                break
    if base not in idx:
        return HeaderMatch(None)
    col = tables()[table].column(idx[base])
    if unit is None:
        return HeaderMatch(col.name)
    dim_units = units().get(col.dim, {})
    if unit in dim_units:
        return HeaderMatch(col.name, dim_units[unit], unit)
    if col.dim in ("none",) or unit in ("个", "人", "件", "项", "家", "年"):
        return HeaderMatch(col.name, 1.0, unit)
    return HeaderMatch(col.name, 1.0, unit, error=f"unknown unit '{unit}' for {col.name} ({col.dim})")


def header_score(table: str, headers: list[str]) -> int:
    """How many headers of a row map to distinct columns of ``table``."""
    return len({m.column for h in headers if h and (m := match_header(table, h)).column})


def region_of(province_code: str) -> str | None:
    p = provinces().get(str(province_code)[:2])
    return p["region"] if p else None


CANONICAL_UNIT_ZH = {
    "money": "千元",
    "persons": "人",
    "person_years": "人年",
    "mu": "亩",
    "km2": "平方公里",
    "tce": "吨标准煤",
    "mwh": "兆瓦时",
    "tonne": "吨",
    "usd_m": "百万美元",
}


def chinese_header(table: str, name: str, unit: str | None = None) -> str:
    """The Chinese header a return would use, e.g. '营业收入（千元）'.

    ``unit`` overrides the canonical unit (it must exist in units.toml).
    """
    col = tables()[table].column(name)
    base = col.aliases[0] if col.aliases else col.name
    u = unit or CANONICAL_UNIT_ZH.get(col.dim)
    return f"{base}（{u}）" if u else base
