"""An evaluation's framework by content: the TOML text it was computed from, its hash, and re-reading it.

A stored evaluation keeps the framework file's full text (not just its path), so
a re-run parses exactly what was evaluated — on another install, after the
file moved or was deleted — and refuses text whose hash no longer matches.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gaoxin.indicators.framework import Framework, FrameworkError, parse_framework

IN_MEMORY = "in-memory"  # the hash of a framework built in code (no file, no text to store)


class FrameworkContentError(FrameworkError):
    """Stored framework text that does not match its hash or no longer parses."""


@dataclass(frozen=True)
class FrameworkSource:
    framework: Framework
    text: str | None  # the file's full text; None for a framework built in code
    hash: str  # sha256 (hex) of the text's UTF-8 bytes, or IN_MEMORY


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def framework_source(fw: Framework) -> FrameworkSource:
    """Read ``fw``'s file once and parse the framework from those very bytes (no file-changed-meanwhile gap)."""
    if not fw.path:
        return FrameworkSource(fw, None, IN_MEMORY)
    try:
        raw = Path(fw.path).read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FrameworkError(f"无法读取指标体系文件 / cannot read the framework file {fw.path}: {e}") from None
    return FrameworkSource(_parse(text, fw.path), text, hashlib.sha256(raw).hexdigest())


def framework_from_text(text: str, expected_hash: str, origin: str) -> Framework:
    """The framework stored with an evaluation; its text must still hash to ``expected_hash``."""
    if text_hash(text) != expected_hash:
        raise FrameworkContentError(f"已存指标体系内容与其哈希不符 / the stored framework text of {origin} does not "
                                    "match its hash: the store was altered")
    return _parse(text, origin).model_copy(update={"path": None})  # no file behind it


def _parse(text: str, origin: str) -> Framework:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise FrameworkError(f"{origin}: not valid TOML / 不是有效的 TOML: {e}") from None
    return parse_framework(data, origin)
