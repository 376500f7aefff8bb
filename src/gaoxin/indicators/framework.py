"""Indicator frameworks declared as data (TOML), validated with pydantic.

A framework file has one ``[framework]`` table (metadata and the index name),
``[[pillar]]`` entries (``parent`` names another pillar for a sub-pillar,
omitted for a top-level pillar) and ``[[indicator]]`` entries (``parent`` names
their pillar).  See docs/indicators.md for every field.  Errors name the file
and the pillar or indicator.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gaoxin.indicators.formula import Formula, FormulaError, parse

USER_DIR_ENV = "GAOXIN_FRAMEWORKS"
_CODE_RE = r"^[a-z][a-z0-9_]*$"


class FrameworkError(ValueError):
    """A framework file that cannot be loaded; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Strict):
    """The ``[framework]`` table."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name_zh: str
    name_en: str
    version: str
    source: str
    notes: str = ""
    weight_verified: bool = False
    index_code: str = Field(default="index", pattern=_CODE_RE)


class Pillar(_Strict):
    """A first-level indicator (一级指标) or a sub-pillar."""

    code: str = Field(pattern=_CODE_RE)
    name_zh: str
    name_en: str
    parent: str | None = None
    ref: str | None = None  # numbering in the source document
    weight: float | None = Field(default=None, ge=0, le=1)  # share of the parent
    weight_verified: bool = False
    source: str = ""
    quote: str = ""
    notes: str = ""


class Indicator(_Strict):
    """A computable indicator (二级指标)."""

    code: str = Field(pattern=_CODE_RE)
    name_zh: str
    name_en: str
    parent: str
    ref: str | None = None
    unit: str = ""
    direction: Literal["benefit", "cost"] = "benefit"
    weight: float | None = Field(default=None, ge=0, le=1)  # share of the parent pillar
    multiplier: float | None = Field(default=None, gt=0)  # 赋权 multiplier (national style)
    weight_verified: bool = False
    confidence: Literal["V", "P", "M"] = "P"  # domain.md: verified / partly / commonly reported
    qualitative: bool = False  # scored by experts (定性指标): entered as a zone-year fact, never computed
    formula: str
    source: str = Field(min_length=1)
    quote: str = ""
    notes: str = ""

    @field_validator("formula")
    @classmethod
    def _formula(cls, v: str) -> str:
        parse(v)  # raises FormulaError (a ValueError) with the reason
        return v

    @property
    def parsed(self) -> Formula:
        return _parse_cached(self.formula)


@cache
def _parse_cached(text: str) -> Formula:
    return parse(text)


class Framework(_Strict):
    """A whole framework: metadata, pillar tree and indicators (in file order)."""

    meta: Meta
    pillars: tuple[Pillar, ...]
    indicators: tuple[Indicator, ...]
    path: str | None = None

    @property
    def id(self) -> str:
        return self.meta.id

    def children(self, parent: str | None) -> list[Pillar]:
        return [p for p in self.pillars if p.parent == parent]

    def indicators_of(self, pillar: str) -> list[Indicator]:
        return [i for i in self.indicators if i.parent == pillar]

    def formulas(self) -> dict[str, Formula]:
        return {i.code: i.parsed for i in self.indicators}

    def facts(self) -> list[str]:
        """Zone-fact codes the framework reads (inputs to supply)."""
        return sorted({f for i in self.indicators for f in i.parsed.facts})


def _fmt_validation(e: ValidationError) -> str:
    out = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(entry)"
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{loc}: {msg}")
    return "; ".join(out)


def parse_framework(data: dict[str, Any], path: str = "<memory>") -> Framework:
    """Validate a framework from its TOML data; errors name ``path`` and the entry."""
    unknown = set(data) - {"framework", "pillar", "indicator"}
    if unknown:
        raise FrameworkError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    if "framework" not in data:
        raise FrameworkError(f"{path}: missing [framework] table")
    try:
        meta = Meta.model_validate(data["framework"])
    except ValidationError as e:
        raise FrameworkError(f"{path}: [framework]: {_fmt_validation(e)}") from None

    def build(kind: str, model: type[_Strict]) -> list[Any]:
        items = []
        for n, raw in enumerate(data.get(kind, []), 1):
            label = f"{kind} {raw.get('code', f'#{n}')!s}" if isinstance(raw, dict) else f"{kind} #{n}"
            try:
                items.append(model.model_validate(raw))
            except ValidationError as e:
                raise FrameworkError(f"{path}: {label}: {_fmt_validation(e)}") from None
            except FormulaError as e:
                raise FrameworkError(f"{path}: {label}: formula: {e}") from None
        return items

    pillars: list[Pillar] = build("pillar", Pillar)
    indicators: list[Indicator] = build("indicator", Indicator)
    if not indicators:
        raise FrameworkError(f"{path}: no [[indicator]] entries")
    seen: dict[str, str] = {meta.index_code: "index"}
    for kind, items in (("pillar", pillars), ("indicator", indicators)):
        for it in items:
            if it.code in seen:
                raise FrameworkError(f"{path}: {kind} {it.code}: duplicate code (already a {seen[it.code]})")
            seen[it.code] = kind
    pcodes = {p.code for p in pillars}
    for p in pillars:
        if p.parent is not None and p.parent not in pcodes:
            raise FrameworkError(f"{path}: pillar {p.code}: parent '{p.parent}' is not a pillar of this file")
    for p in pillars:  # cycles
        chain, cur = [p.code], p.parent
        while cur is not None:
            if cur in chain:
                raise FrameworkError(f"{path}: pillar {p.code}: parent chain loops ({' → '.join([*chain, cur])})")
            chain.append(cur)
            cur = next(q.parent for q in pillars if q.code == cur)
    for i in indicators:
        if i.parent not in pcodes:
            raise FrameworkError(f"{path}: indicator {i.code}: parent '{i.parent}' is not a pillar of this file")
    for p in [None, *pcodes]:
        sibs: list[Pillar | Indicator] = [q for q in pillars if q.parent == p]
        sibs += [i for i in indicators if i.parent == p]
        ws = [s.weight for s in sibs]
        if sibs and all(w is not None for w in ws) and abs(sum(ws) - 1.0) > 1e-6:  # type: ignore[arg-type]
            where = "top-level pillars" if p is None else f"children of {p}"
            raise FrameworkError(f"{path}: weights of {where} sum to {sum(ws):.4f}, not 1")  # type: ignore[arg-type]
    return Framework(meta=meta, pillars=tuple(pillars), indicators=tuple(indicators), path=path)


def read_framework(path: str | os.PathLike) -> Framework:
    """Load and validate one framework file (cached while its mtime and size stay the same)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise FrameworkError(f"{p}: cannot read: {e.strerror}") from None
    return _read_framework(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _read_framework(path: str, _mtime_ns: int, _size: int) -> Framework:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise FrameworkError(f"{p}: not valid TOML: {e}") from None
    except OSError as e:
        raise FrameworkError(f"{p}: cannot read: {e.strerror}") from None
    return parse_framework(data, str(p))


def builtin_dir() -> Path:
    return Path(str(resources.files("gaoxin.indicators").joinpath("frameworks")))


def user_dir(directory: str | os.PathLike | None = None) -> Path | None:
    d = directory if directory is not None else os.environ.get(USER_DIR_ENV)
    return Path(d) if d else None


def _files(directory: str | os.PathLike | None) -> list[tuple[str, Path]]:
    out = [("builtin", p) for p in sorted(builtin_dir().glob("*.toml"))]
    u = user_dir(directory)
    if u is not None and u.is_dir():
        out += [("user", p) for p in sorted(u.glob("*.toml"))]
    return out


def list_frameworks(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Built-in frameworks plus the ``*.toml`` files of ``directory`` (default ``$GAOXIN_FRAMEWORKS``).

    Each entry: id, name_zh, name_en, version, origin ('builtin'/'user'), path,
    indicators (count), error (a file that does not load is listed with its error).
    """
    out = []
    for origin, p in _files(directory):
        try:
            fw = read_framework(p)
            out.append({"id": fw.id, "name_zh": fw.meta.name_zh, "name_en": fw.meta.name_en,
                        "version": fw.meta.version, "origin": origin, "path": str(p),
                        "indicators": len(fw.indicators), "error": None})  # fmt: skip
        except FrameworkError as e:
            out.append({"id": p.stem, "name_zh": "", "name_en": "", "version": "", "origin": origin,
                        "path": str(p), "indicators": 0, "error": str(e)})  # fmt: skip
    return out


def load_framework(
    name_or_path: str | os.PathLike | Framework, directory: str | os.PathLike | None = None
) -> Framework:
    """A framework by id (user directory first, then built-ins) or by file path."""
    if isinstance(name_or_path, Framework):
        return name_or_path
    s = str(name_or_path)
    if s.endswith(".toml") or os.sep in s or Path(s).is_file():
        return read_framework(s)
    files = _files(directory)
    for _origin, p in sorted(files, key=lambda t: t[0] != "user"):
        if p.stem == s:
            return read_framework(p)
    for _origin, p in files:  # id inside the file may differ from the file name
        try:
            fw = read_framework(p)
        except FrameworkError:
            continue
        if fw.id == s:
            return fw
    known = ", ".join(sorted({p.stem for _, p in files}))
    raise FrameworkError(f"unknown framework '{s}' (known: {known})")


def _w(x: Pillar | Indicator) -> str:
    parts = []
    if x.weight is not None:
        parts.append(f"{x.weight * 100:g}%")
    if isinstance(x, Indicator) and x.multiplier is not None:
        parts.append(f"×{x.multiplier:g}")
    if parts and not x.weight_verified:
        parts.append("unverified")
    return f" [{' '.join(parts)}]" if parts else ""


def framework_tree_text(fw: Framework, *, formulas: bool = True, sources: bool = False) -> str:
    """Plain-text tree of a framework for ``gaoxin frameworks show``."""
    m = fw.meta
    lines = [f"{m.name_zh} / {m.name_en}  ({m.id} v{m.version})", f"source: {m.source}"]
    if not m.weight_verified:
        lines.append("weights: not all verified against the source (marked 'unverified')")

    def pillar(p: Pillar, depth: int) -> None:
        pad = "  " * depth
        ref = f"{p.ref} " if p.ref else ""
        lines.append(f"{pad}{ref}{p.name_zh} / {p.name_en} <{p.code}>{_w(p)}")
        for c in fw.children(p.code):
            pillar(c, depth + 1)
        for i in fw.indicators_of(p.code):
            r = f"{i.ref} " if i.ref else ""
            arrow = "↓" if i.direction == "cost" else "↑"
            unit = f" ({i.unit})" if i.unit else ""
            q = " [定性 expert score]" if i.qualitative else ""
            lines.append(f"{pad}  {arrow} {r}{i.name_zh} / {i.name_en}{unit} <{i.code}>{_w(i)}{q}")
            if formulas:
                lines.append(f"{pad}      = {i.formula}")
            if sources:
                q = f" «{i.quote}»" if i.quote else ""
                lines.append(f"{pad}      source: {i.source}{q}")

    lines.append(f"{m.index_code}")
    for p in fw.children(None):
        pillar(p, 1)
    facts = fw.facts()
    if facts:
        lines.append(f"zone-fact inputs: {', '.join(facts)}")
    return "\n".join(lines)
