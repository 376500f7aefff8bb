"""Frameworks as data (``gaoxin.indicators.framework``): built-ins, seed quotes, errors, a user directory."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from fixtures import BUILTINS, framework_doc
from gaoxin.indicators.framework import (
    FrameworkError,
    framework_tree_text,
    list_frameworks,
    load_framework,
    parse_framework,
)


def test_builtins_load() -> None:
    """Every built-in framework is listed, loads, cites a source per indicator and renders its tree."""
    assert {f["id"] for f in list_frameworks()} >= set(BUILTINS)
    for name in BUILTINS:
        fw = load_framework(name)
        assert all(i.source for i in fw.indicators)
        assert framework_tree_text(fw).count("\n") > len(fw.indicators)


def test_seed_quotes_are_verbatim() -> None:
    seeds = {n: Path(glob.glob(f"/work/shared/seeds/{n}_*.txt")[0]) for n in ("000", "001")} if glob.glob(
        "/work/shared/seeds/000_*.txt") else {}  # fmt: skip
    if not seeds:
        pytest.skip("seed files not available")
    for name, seed in (("ecosystem-1-2-3", "000"), ("fyp14-highlands", "001")):
        text = seeds[seed].read_text("utf-8")
        fw = load_framework(name)
        for x in (*fw.pillars, *fw.indicators):
            assert x.quote, f"{name}: {x.code} has no quote"
            assert x.quote in text, f"{name}: {x.code} quote not in seed {seed}"


def test_framework_errors_name_file_and_indicator() -> None:
    bad = framework_doc({"x": "sum(revenue) / sum(nope)"})
    with pytest.raises(FrameworkError, match=r"f\.toml: indicator x: .*unknown enterprise column 'nope'"):
        parse_framework(bad, "f.toml")
    dup = framework_doc({"x": "count()"})
    dup["indicator"].append(dict(dup["indicator"][0]))
    with pytest.raises(FrameworkError, match="indicator x: duplicate code"):
        parse_framework(dup, "f.toml")
    orphan = framework_doc({"x": "count()"})
    orphan["indicator"][0]["parent"] = "missing"
    with pytest.raises(FrameworkError, match="indicator x: parent 'missing' is not a pillar"):
        parse_framework(orphan, "f.toml")
    extra = framework_doc({"x": "count()"})
    extra["indicator"][0]["colour"] = "red"
    with pytest.raises(FrameworkError, match="indicator x: colour: Extra inputs"):
        parse_framework(extra, "f.toml")
    weights = framework_doc({"x": "count()", "y": "count()"})
    weights["indicator"][0]["weight"] = 0.5
    weights["indicator"][1]["weight"] = 0.6
    with pytest.raises(FrameworkError, match=r"sum to 1\.1000"):
        parse_framework(weights, "f.toml")
    sub = framework_doc({"x": "count()"})
    sub["pillar"].append({"code": "q", "name_zh": "乙", "name_en": "Q", "parent": "nowhere"})
    with pytest.raises(FrameworkError, match="pillar q: parent 'nowhere'"):
        parse_framework(sub, "f.toml")
    with pytest.raises(FrameworkError, match="unknown framework 'nope'"):
        load_framework("nope")


def test_user_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        '[framework]\nid = "mine"\nname_zh = "我的"\nname_en = "Mine"\nversion = "1"\nsource = "me"\n'
        '[[pillar]]\ncode = "p"\nname_zh = "甲"\nname_en = "P"\n'
        '[[indicator]]\ncode = "n"\nname_zh = "数"\nname_en = "N"\nparent = "p"\nformula = "count()"\nsource = "me"\n',
        "utf-8",
    )
    (tmp_path / "broken.toml").write_text("[framework\n", "utf-8")
    listed = {f["id"]: f for f in list_frameworks(tmp_path)}
    assert listed["mine"]["origin"] == "user" and listed["broken"]["error"]
    assert load_framework("mine", tmp_path).id == "mine"
    assert load_framework(tmp_path / "mine.toml").id == "mine"


# The 2021 system's table (shared/domain.md): second-level codes per pillar, cost and expert-scored indicators.
NATIONAL_2021 = {1: 10, 2: 9, 3: 9, 4: 7, 5: 10}
COST = {"3.1", "3.2"}
QUALITATIVE = {"1.10", "3.9", "5.9", "5.10"}
PILLAR_WEIGHTS = {"1": 0.20, "2": 0.20, "3": 0.15, "4": 0.15, "5": 0.30}


def test_national_2021_is_the_whole_official_table() -> None:
    fw = load_framework("national-2021")
    assert len(fw.indicators) == 45
    pillars = {p.code: p for p in fw.pillars}
    assert {p.ref: p.weight for p in fw.pillars} == PILLAR_WEIGHTS
    expected = [f"{p}.{k}" for p, n in NATIONAL_2021.items() for k in range(1, n + 1)]
    assert [i.ref for i in fw.indicators] == expected  # every code once, in the official order
    for i in fw.indicators:
        assert pillars[i.parent].ref == i.ref.split(".")[0], f"{i.ref} under the wrong pillar"
        assert i.direction == ("cost" if i.ref in COST else "benefit"), i.ref
        assert i.qualitative == (i.ref in QUALITATIVE), i.ref
        assert i.source and i.quote.startswith(i.ref + " ")
        if i.qualitative:
            assert i.parsed.facts and not i.parsed.columns  # entered, never computed from returns
    by = {i.ref: i for i in fw.indicators}
    assert (by["1.1"].multiplier, by["1.2"].multiplier) == (0.8, 1.2)
    assert by["1.1"].weight_verified and by["1.2"].weight_verified
    assert all(i.multiplier == 1.0 and not i.weight_verified for r, i in by.items() if r not in ("1.1", "1.2"))
    # today's corrections: placement, 总绿地率, listings made that year without 新三板, flows
    assert pillars[by["2.2"].parent].ref == pillars[by["2.7"].parent].ref == "2"
    assert pillars[by["5.5"].parent].ref == pillars[by["5.6"].parent].ref == "5"
    assert by["3.3"].name_zh == "高新区总绿地率" and by["3.3"].parsed.facts == {"green_space_rate"}
    assert "listed_year == year" in by["5.6"].formula and "新三板" in by["5.6"].formula
    for ref in ("1.8", "1.9", "4.4", "5.5"):
        assert "new(" in by[ref].formula, ref


def test_national_2021_names_are_the_tables() -> None:
    """Each indicator's code and name appear verbatim in domain.md's table (when the shared files are present)."""
    domain = Path("/work/shared/domain.md")
    if not domain.exists():
        pytest.skip("shared/domain.md not available")
    text = domain.read_text("utf-8")
    for i in load_framework("national-2021").indicators:
        assert i.quote in text, i.quote
