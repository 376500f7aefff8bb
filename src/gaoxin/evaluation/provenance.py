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


# ---- criteria files the formulas read (gazelle()) -----------------------------------------------------------

def _uses_gazelle(formula: str) -> bool:
    import ast

    tree = ast.parse(formula.strip(), mode="eval")
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "gazelle"
               for n in ast.walk(tree))


def criteria_of(fw: Framework) -> dict | None:
    """The criteria files ``fw``'s formulas expand, by content: ``{"gazelle": {source, sha256, toml}}``, or None.

    ``gazelle()`` reads the packaged ``indicators/criteria/gazelle.toml`` when a formula is parsed; storing
    its text with the evaluation lets a re-run apply the same rule after the package's file has changed.
    """
    if not any(_uses_gazelle(i.formula) for i in fw.indicators):
        return None
    from importlib import resources

    raw = resources.files("gaoxin.indicators.criteria").joinpath("gazelle.toml").read_bytes()
    return {"gazelle": {"source": "gaoxin.indicators.criteria/gazelle.toml",
                        "sha256": hashlib.sha256(raw).hexdigest(), "toml": raw.decode("utf-8")}}


def with_criteria(fw: Framework, criteria: dict | None, origin: str) -> Framework:
    """``fw`` with every ``gazelle()`` replaced by the row condition of the stored gazelle rule (hash-checked)."""
    if not criteria or "gazelle" not in criteria:
        return fw
    import ast

    from gaoxin.config import validate
    from gaoxin.indicators.criteria import GazelleFile, gazelle_formula

    g = criteria["gazelle"]
    text = g.get("toml")
    if not isinstance(text, str) or text_hash(text) != g.get("sha256"):
        raise FrameworkContentError(f"已存瞪羚规则内容与其哈希不符 / the stored gazelle rule of {origin} does not "
                                    "match its hash: the store was altered")
    rule = validate(GazelleFile, tomllib.loads(text), f"{origin}: gazelle rule", text).rule
    cond = ast.parse(gazelle_formula(rule), mode="eval").body

    class _Sub(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id == "gazelle" and not node.args:
                return cond
            return node

    inds = tuple(i.model_copy(update={"formula": ast.unparse(_Sub().visit(ast.parse(i.formula.strip(), mode="eval")))})
                 if _uses_gazelle(i.formula) else i for i in fw.indicators)
    return fw.model_copy(update={"indicators": inds})
