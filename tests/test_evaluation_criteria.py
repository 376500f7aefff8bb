"""An evaluation whose framework uses gazelle() stores the gazelle rule by content (decision 0028), so a re-run
reproduces it after the packaged file has changed, while a fresh evaluation reads the changed rule."""

from __future__ import annotations

import json

import pytest

from gaoxin.evaluation.provenance import FrameworkContentError, criteria_of, with_criteria
from gaoxin.indicators import criteria as C
from gaoxin.indicators.framework import _parse_cached, load_framework
from gaoxin.indicators.plans import PLANS
from gaoxin.services import evaluation as evs
from gaoxin.store.db import Store


def _clear() -> None:
    """Every cache that holds an expansion of gazelle(): the rule, parsed formulas, compiled plans."""
    C._builtin.cache_clear()
    C.builtin_gazelle_formula.cache_clear()
    _parse_cached.cache_clear()
    PLANS.clear()


@pytest.fixture
def loose_packaged_rule(monkeypatch):
    """The packaged gazelle.toml as if edited: no R&D intensity floor, any age (many more gazelles)."""
    strict = C._builtin()
    loose = strict.model_copy(update={
        "intensity": strict.intensity.model_copy(update={"rd_intensity_above": 0.0}),
        "growth": strict.growth.model_copy(update={"max_age_years": 200, "revenue_cagr_min": -0.5,
                                                   "base_revenue_above": 0}),
    })
    _clear()
    monkeypatch.setattr(C, "_builtin", lambda: loose)
    monkeypatch.setattr(C, "builtin_gazelle_formula", lambda: C.gazelle_formula(loose))
    yield
    monkeypatch.undo()
    _clear()


def test_gazelle_rule_is_stored_with_the_evaluation_and_a_rerun_uses_it(demo_db, request):
    with Store(demo_db, "write") as s:
        eid = evs.evaluate(s, "national-2021", 2024).id
        log = json.loads(s.con.execute("SELECT log FROM evaluation WHERE id = ?", [eid]).fetchone()[0])
        stored_before = s.con.execute("SELECT value FROM evaluation_score WHERE evaluation_id = ? AND "
                                      "code = 'new_gazelles' ORDER BY zone_id", [eid]).fetchall()
    g = log["criteria"]["gazelle"]
    assert g["toml"] == (C.resources.files("gaoxin.indicators.criteria") / "gazelle.toml").read_text("utf-8")
    request.getfixturevalue("loose_packaged_rule")  # the package's file changes after the evaluation
    with Store(demo_db, "read") as s:
        assert evs.rerun(s, eid).identical            # the stored rule, not the changed file
        fresh = evs.evaluate(s, "national-2021", 2024, save=False)
    vals = fresh.evaluation.data["new_gazelles"].sort_index()
    assert [v for (v,) in stored_before] != list(vals)  # the changed rule does count differently
    assert vals.sum() > sum(v or 0 for (v,) in stored_before)


def test_frameworks_without_gazelle_store_no_criteria_and_altered_rules_are_refused():
    assert criteria_of(load_framework("ecosystem-1-2-3")) is None  # no gazelle(): nothing extra stored
    fw = load_framework("national-2021")
    crit = criteria_of(fw)
    assert crit is not None
    same = with_criteria(fw, crit, "test")
    expanded = next(i.formula for i in same.indicators if i.code == "new_gazelles")
    assert "gazelle" not in expanded and "prev(revenue, 3)" in expanded
    bad = {"gazelle": {**crit["gazelle"], "toml": crit["gazelle"]["toml"] + "\n# edited"}}
    with pytest.raises(FrameworkContentError, match="does not match its hash"):
        with_criteria(fw, bad, "evaluation 1")
