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
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every configuration model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class ConfigError(ValueError):
    """A configuration file that does not validate; ``str()`` is the full bilingual message."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        head = f"配置文件有误 / invalid configuration: {source}"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``annotation`` (``M``, ``list[M]``, ``M | None``, ``dict[str, M]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        m = _inner_model(arg)
        if m is not None:
            return m
    return None


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (TOML keys, i.e. aliases where set) of the model reached by ``loc`` inside ``model``."""
    cur: type[BaseModel] | None = model
    for part in loc:
        if cur is None:
            return []
        if isinstance(part, int):
            continue
        field = next((f for n, f in cur.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            break
        ann = field.annotation
        cur = _inner_model(ann)
        if cur is None and get_origin(ann) is dict:
            return []
    if cur is None:
        return []
    return [f.alias or n for n, f in cur.model_fields.items()]


def key_path(loc: tuple[Any, ...]) -> str:
    """``('step', 1, 'winmax')`` → ``step[1].winmax`` (indices 0-based, as in the file's order)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def find_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort 1-based line of the key at ``loc`` in TOML ``text`` (None when not found)."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    table: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            name = ".".join(table)
            hits = [n for n in range(start, end) if re.match(rf"\s*\[\[\s*{re.escape(name)}\s*\]\]", lines[n])]
            if part < len(hits):
                start = hits[part] + 1
                nxt = [n for n in range(start, end) if re.match(r"\s*\[", lines[n])]
                end = nxt[0] if nxt else end
            continue
        table.append(str(part))
        last = i == len(loc) - 1 or all(isinstance(p, int) for p in loc[i + 1:])
        if last or not isinstance(loc[i + 1], int):
            for n in range(start, end):
                if re.match(rf'\s*"?{re.escape(str(part))}"?\s*=', lines[n]):
                    return n + 1
            pat = rf"\s*\[+\s*{re.escape('.'.join(table))}\s*\]+"
            header = [n for n in range(start, end) if re.match(pat, lines[n])]
            if header and last:
                return header[0] + 1
            if header:
                start = header[0] + 1
    return None


def _problem(model: type[BaseModel], err: dict, text: str | None) -> str:
    loc = tuple(err["loc"])
    path = key_path(loc) or "(top level)"
    line = find_line(text, loc) if text else None
    where = f"{path}" + (f" (line {line} 行)" if line else "")
    if err["type"] == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`? / 是否应为 `{close[0]}`？" if close else ""
        keys = ", ".join(allowed) if allowed else "—"
        return f"{where}: 未知配置项 / unknown key{hint} (allowed 允许: {keys})"
    if err["type"] == "missing":
        return f"{where}: 缺少必填项 / required key missing"
    return f"{where}: {err['msg']} (value 值: {err.get('input')!r})"


def validate(model: type[M], data: Any, source: str = "<memory>", text: str | None = None) -> M:
    """Validate parsed ``data`` against ``model``; raise :class:`ConfigError` naming ``source``."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(source, [_problem(model, err, text) for err in e.errors()]) from None


def read_toml(path: str | os.PathLike) -> tuple[dict, str]:
    """Parse a TOML file; a syntax error is a :class:`ConfigError` with the parser's line and column."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(str(p), ["文件不存在 / file not found"]) from None
    except UnicodeDecodeError:
        raise ConfigError(str(p), ["不是 UTF-8 文本 / not UTF-8 text"]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(p), [f"TOML 语法错误 / TOML syntax error: {e}"]) from None


def load_toml(path: str | os.PathLike, model: type[M]) -> M:
    """Read and validate a TOML configuration file."""
    data, text = read_toml(path)
    return validate(model, data, str(path), text)
