"""Strict configuration files: one pydantic base model and one loader for every TOML file gaoxin reads.

Every configuration (pipeline steps, frameworks, rules, targets, ingest
thresholds, demo calibration) is a model deriving from :class:`StrictModel`,
so an unknown or misspelt key is an error, never silently ignored, and the
defaults live in the model only.  :func:`load_toml` turns pydantic's errors
into one message naming the file, the key path, the line, the allowed keys
and the closest match ("did you mean `winmax`?").

This module sits below every stage: it imports nothing from gaoxin.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from importlib.resources.abc import Traversable
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError

M = TypeVar("M", bound=BaseModel)
_BUILDING: ContextVar[int] = ContextVar("_BUILDING", default=0)


class ConfigError(ValueError):
    """A configuration file that does not validate; ``str()`` is the full bilingual message."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        head = f"配置文件有误 / invalid configuration: {source}"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


class StrictModel(BaseModel):
    """Base of every configuration model: unknown keys are errors.

    Built in code (``Model(key=...)``) it raises ``config_error`` with the same message as a file would,
    so code and files fail alike; a stage sets ``config_error`` to its own :class:`ConfigError` subclass.
    """

    model_config = ConfigDict(extra="forbid")
    config_error: ClassVar[type[ConfigError]] = ConfigError

    def __init__(self, **data: Any) -> None:
        token = _BUILDING.set(_BUILDING.get() + 1)  # pydantic calls this again for nested models
        try:
            super().__init__(**data)
        except ValidationError as e:
            if _BUILDING.get() > 1:
                raise
            cls = type(self)
            raise cls.config_error(cls.__name__, [_problem(cls, err, None) for err in e.errors()]) from None
        finally:
            _BUILDING.reset(token)


def _unwrap(ann: Any) -> Any:
    """``Annotated[X, ...]`` → ``X``."""
    while get_origin(ann) is Annotated:
        ann = get_args(ann)[0]
    return ann


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _tags(ann: Any) -> dict[str, Any]:
    """Members of a tagged union (see :func:`tagged_union`): tag → member annotation."""
    out: dict[str, Any] = {}
    if get_origin(ann) is Annotated:
        base, *meta = get_args(ann)
        out = {m.tag: base for m in meta if isinstance(m, Tag)}
        return out or _tags(base)
    if get_origin(ann) in (Union, UnionType):
        for a in get_args(ann):
            out.update(_tags(a))
    return out


def _descend(ann: Any, part: Any, owner: type[BaseModel]) -> tuple[Any, type[BaseModel], bool]:
    """One step of an error location: (annotation reached, model owning it, whether ``part`` is a real key)."""
    tags = _tags(ann)
    if isinstance(part, str) and part in tags:
        return tags[part], owner, False
    base = _unwrap(ann)
    if _is_model(base):
        field = next((f for n, f in base.model_fields.items() if (f.alias or n) == part), None)
        return (field.annotation if field else None), base, True
    origin, args = get_origin(base), [a for a in get_args(base) if a is not type(None)]
    if origin in (Union, UnionType):
        if len(args) == 1:
            return _descend(args[0], part, owner)
        return None, owner, not isinstance(part, str)  # a str part here is pydantic's member label
    if origin in (list, tuple, set, frozenset) and isinstance(part, int):
        return (args[0] if args else None), owner, True
    if origin is dict or origin is Mapping:
        return (args[1] if len(args) > 1 else None), owner, True
    return None, owner, True


def resolve_loc(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel]]:
    """pydantic's error ``loc`` without union tags and member labels, and the model owning its last key."""
    clean: list[Any] = []
    ann: Any = model
    owner = model
    for part in loc:
        ann, owner, keep = _descend(ann, part, owner)
        if keep:
            clean.append(part)
    return tuple(clean), owner


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (TOML keys, i.e. aliases where set) of the model owning the last key of ``loc``."""
    _, owner = resolve_loc(model, (*loc, "\0"))
    return [f.alias or n for n, f in owner.model_fields.items()]


def tagged_union(key: str, members: Mapping[str, Any], default: str | None = None) -> Any:
    """A union of models chosen by the value of ``key`` (``default`` when the key is absent).

    Errors then say which key chose the member and, for an unknown value, the allowed values and the
    closest one; error locations skip the tag (see :func:`resolve_loc`).
    """

    def pick(v: Any) -> Any:
        return v.get(key, default) if isinstance(v, Mapping) else getattr(v, key, default)

    pick.__name__ = key
    union = Union[tuple(Annotated[m, Tag(t)] for t, m in members.items())]  # noqa: UP007 - built at run time
    return Annotated[union, Discriminator(pick)]


def key_path(loc: tuple[Any, ...]) -> str:
    """``('step', 1, 'winmax')`` → ``step[1].winmax`` (indices 0-based, as in the file's order)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\"-]+?)\s*\]\]?\s*(#.*)?$")


def find_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort 1-based line of the key at ``loc`` in TOML ``text``: the key itself, else the line of
    its closest enclosing key or table (None when nothing is found)."""
    lines = text.splitlines()
    headers = [(n, m.group(1), m.group(2).replace('"', "")) for n, line in enumerate(lines)
               if (m := _HEADER.match(line))]

    def block_end(start: int) -> int:
        return next((n for n, _, _ in headers if n >= start), len(lines))

    start, end, table, best = 0, block_end(0), [], None
    for part in loc:
        name = ".".join(table)
        if isinstance(part, int):
            hits = [n for n, kind, h in headers if kind == "[[" and h == name and n >= start]
            if part < len(hits):
                start, best = hits[part] + 1, hits[part] + 1
                end = block_end(start)
            continue
        table.append(str(part))
        key = re.compile(rf'\s*"?{re.escape(str(part))}"?\s*=')
        hit = next((n for n in range(start, end) if key.match(lines[n])), None)
        if hit is not None:
            best = hit + 1
            start, end = hit, hit + 1  # deeper parts are inline in this value
            continue
        full = ".".join(table)
        head = next((n for n, kind, h in headers if kind == "[" and h == full), None)
        if head is not None:
            start, best = head + 1, head + 1
            end = block_end(start)
    return best


def _problem(model: type[BaseModel], err: dict, text: str | None) -> str:
    loc, owner = resolve_loc(model, tuple(err["loc"]))
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, str(ctx.get("discriminator", "")).removesuffix("()"))
    path = key_path(loc) or "(top level)"
    line = find_line(text, loc) if text else None
    where = f"{path}" + (f" (line {line} 行)" if line else "")
    if kind == "extra_forbidden":
        allowed = [f.alias or n for n, f in owner.model_fields.items()]
        hint = did_you_mean(str(loc[-1]), allowed)
        return f"{where}: 未知配置项 / unknown key{hint} (allowed 允许: {', '.join(allowed)})"
    if kind == "union_tag_invalid":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        return (f"{where}: 未知取值 / unknown value {ctx.get('tag')!r}{did_you_mean(str(ctx.get('tag')), allowed)}"
                f" (allowed 允许: {', '.join(allowed)})")
    if kind in ("missing", "union_tag_not_found"):
        return f"{where}: 缺少必填项 / required key missing"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return (f"{where}: 取值无效 / invalid value {err.get('input')!r}{did_you_mean(str(err.get('input')), allowed)}"
                f" (allowed 允许: {', '.join(allowed)})")
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, Mapping | list):  # a rule over a whole table: the table itself is noise
        return f"{where}: 不符合规则 / {msg}"
    return f"{where}: 取值无效 / {msg} (value 值: {value!r})"


def did_you_mean(word: str, allowed: list[str]) -> str:
    """``"; did you mean `x`? / 是否应为 `x`？"`` for the closest of ``allowed``, else ``""``."""
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`? / 是否应为 `{close[0]}`？" if close else ""


def validate(model: type[M], data: Any, source: str = "<memory>", text: str | None = None,
             error: type[ConfigError] = ConfigError) -> M:
    """Validate parsed ``data`` against ``model``; raise ``error`` (a :class:`ConfigError`) naming ``source``.

    ``error`` lets a stage raise its own subclass so callers that catch the stage's error keep working.
    """
    token = _BUILDING.set(_BUILDING.get() + 1)  # models built inside report their errors here, once
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error(source, [_problem(model, err, text) for err in e.errors()]) from None
    finally:
        _BUILDING.reset(token)


def read_toml(path: str | os.PathLike | Traversable, error: type[ConfigError] = ConfigError) -> tuple[dict, str]:
    """Parse a TOML file (a path or a packaged resource); a syntax error is a :class:`ConfigError` with the
    parser's line and column."""
    p = path if isinstance(path, Traversable) else Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise error(str(p), ["文件不存在 / file not found"]) from None
    except UnicodeDecodeError:
        raise error(str(p), ["不是 UTF-8 文本 / not UTF-8 text"]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        raise error(str(p), [f"TOML 语法错误 / TOML syntax error: {e}"]) from None


def load_toml(path: str | os.PathLike | Traversable, model: type[M], error: type[ConfigError] = ConfigError) -> M:
    """Read and validate a TOML configuration file."""
    data, text = read_toml(path, error)
    return validate(model, data, str(path), text, error)
