"""The rooms of the house (docs/architecture.md): lower stages never import higher ones; SQL stays in the store
layer, the query compiler and ingest's validation engine; surfaces reach the stages only through services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "gaoxin"
# rank of each room along the data's way; a module may import its own rank or lower
RANK = {"config": 0, "cells": 0, "ingest": 1, "store": 2, "indicators": 3, "evaluation": 4, "methods": 4, "analysis": 5,
        "demo": 1, "services": 6, "cli": 7, "api": 7, "report": 7, "web": 7}
SURFACES = {"cli", "api", "report", "web"}
SQL_ROOMS = {"store", "indicators", "ingest"}  # ingest: validation runs in DuckDB (decision 0002)


def room(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else "config"


def modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if p.name != "__main__.py" and p.relative_to(SRC).parts[0] != "__init__.py"]


def gaoxin_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gaoxin."):
            out.append(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.level and node.module is None:
            continue
        elif isinstance(node, ast.Import):
            out += [a.name.split(".")[1] for a in node.names if a.name.startswith("gaoxin.")]
    return out


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_lower_rooms_never_import_higher_ones(path):
    me = room(path)
    for other in gaoxin_imports(path):
        assert RANK[other] <= RANK[me], f"{path.relative_to(SRC)} ({me}) imports gaoxin.{other}"
        if me == "demo":
            assert other in ("config", "ingest", "demo"), f"demo/ generates data only, imports gaoxin.{other}"


# the one surface module that starts another surface: `gaoxin serve` runs the API app (decision 0029)
LAUNCHERS = {("cli", "serve.py"): "api", ("cli", "report.py"): "report"}  # and `gaoxin report` the renderers


@pytest.mark.parametrize("path", [p for p in modules() if room(p) in SURFACES], ids=lambda p: p.name)
def test_surfaces_call_only_services(path):
    launched = LAUNCHERS.get((room(path), path.name))
    for other in gaoxin_imports(path):
        assert other in ("services", "config", room(path), launched), \
            f"{path.name} imports gaoxin.{other}, not a service"


LAUNCHERS[("api", "reports.py")] = "report"  # the report download renders the files (decision 0037)


SQL_WORDS = ("SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE ", "CREATE TABLE", "DROP TABLE")


@pytest.mark.parametrize("path", [p for p in modules() if room(p) not in SQL_ROOMS], ids=lambda p: p.name)
def test_no_sql_outside_the_store_and_the_compiler(path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.upper()
            assert not any(w in text and "FROM" in text for w in SQL_WORDS[:1]), f"SQL in {path.name}: {node.value!r}"
            assert not any(w in text for w in SQL_WORDS[1:]), f"SQL in {path.name}: {node.value!r}"
