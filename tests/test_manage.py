"""Dynamic management (``gaoxin.evaluation.manage``): warnings, exit, praise, clearing, rules, hand-worked panels."""

from __future__ import annotations

import pandas as pd
import pytest

from gaoxin.evaluation.classify import RuleError
from gaoxin.evaluation.manage import ManageRules, load_rules, manage, parse_rules, timeline


def test_packaged_rules_load_and_are_marked_as_assumptions() -> None:
    r = load_rules()
    assert r == ManageRules(meta=r.meta)  # the file and the code defaults agree
    assert r.meta.assumption is True


# ---------------------------------------------------------------- dynamic management

# Best-first order per year for 10 zones. With bottom 20 % (ranks 9–10) as "poor":
# BAD is poor 2020–2024 → 约谈 2020, 通报 2021, exit 2022 on; FIX is poor 2020–2021, then rank 5 → cleared;
# G and H are poor in 2019 (cleared 2020); H is poor again 2022–2024 → a new episode starting with 约谈.
ORDER = {
    2019: ["A", "B", "C", "D", "E", "F", "BAD", "FIX", "G", "H"],
    2020: ["A", "B", "C", "D", "E", "F", "G", "H", "FIX", "BAD"],
    2021: ["A", "B", "C", "D", "E", "F", "G", "H", "FIX", "BAD"],
    2022: ["A", "B", "C", "D", "FIX", "E", "F", "G", "H", "BAD"],
    2023: ["B", "A", "C", "D", "FIX", "E", "F", "G", "H", "BAD"],
    2024: ["B", "A", "C", "D", "FIX", "E", "F", "G", "BAD", "H"],
}
RULES = ManageRules(top_k=2, bottom_pct=0.2, consecutive_years=1, exit_after_years=2, clear_after_years=1)


@pytest.fixture
def panel() -> pd.DataFrame:
    rows = [{"zone_id": z, "year": y, "rank": r, "score": 100.0 - 5 * r,
             "region": "东部" if z in ("A", "C", "E", "G", "BAD") else "西部"}
            for y, order in ORDER.items() for r, z in enumerate(order, start=1)]
    return pd.DataFrame(rows)


def _status(panel: pd.DataFrame, year: int, rules: ManageRules = RULES) -> dict[str, str]:
    out = manage(panel, rules, year=year)
    return dict(zip(out["zone_id"], out["status"], strict=True))


def test_warning_sequence_to_exit_and_clearing(panel: pd.DataFrame) -> None:
    seq = {y: _status(panel, y) for y in ORDER}
    assert [seq[y]["BAD"] for y in ORDER] == ["normal", "warning_interview", "warning_notice", "exit_recommended",
                                              "exit_recommended", "exit_recommended"]
    assert [seq[y]["FIX"] for y in ORDER] == ["normal", "warning_interview", "warning_notice", "normal", "normal",
                                              "normal"]
    assert seq[2019]["G"] == seq[2019]["H"] == "warning_interview"
    assert seq[2020]["G"] == "normal"
    # the 2019 episode was cleared: a new one starts with 约谈, not 通报
    assert [seq[y]["H"] for y in (2022, 2023, 2024)] == ["warning_interview", "warning_notice", "exit_recommended"]
    # the same states come out of the year-by-year timeline
    tl = timeline(panel, RULES).set_index(["zone_id", "year"])
    assert tl.loc[("BAD", 2022), "status"] == "exit_recommended" and tl.loc[("BAD", 2022), "first_warning"] == 2020


def test_exit_row_carries_its_evidence(panel: pd.DataFrame) -> None:
    out = manage(panel, RULES, year=2022).set_index("zone_id")
    bad = out.loc["BAD"]
    assert [(h["year"], h["rank"], h["n"], h["score"]) for h in bad["history"]] == [
        (2020, 10, 10, 50.0), (2021, 10, 10, 50.0), (2022, 10, 10, 50.0)]
    assert bad["status_zh"] == "建议撤销" and bad["first_warning"] == 2020
    assert "2020年第10/10名" in bad["reason_zh"] and "退出国家高新区序列" in bad["reason_zh"]
    assert "exit recommended" in bad["reason_en"] and "2020" in bad["reason_en"]
    fix = out.loc["FIX"]
    assert "警告解除" in fix["reason_zh"] and [h["year"] for h in fix["history"]] == [2020, 2021, 2022]
    assert out.index[0] == "BAD"  # most severe first


def test_praise_top_k_latest_year(panel: pd.DataFrame) -> None:
    out = manage(panel, RULES)  # latest year 2024
    assert set(out["year"]) == {2024}
    praised = out[out["status"] == "praise"]
    assert praised["zone_id"].tolist() == ["B", "A"]  # by rank
    assert "通报表扬" in praised["reason_zh"].iloc[0] and "2024年第1/10名" in praised["reason_zh"].iloc[0]
    assert _status(panel, 2024, ManageRules(top_k=3, bottom_pct=0.2))["C"] == "praise"


def test_consecutive_years_and_slow_clearing(panel: pd.DataFrame) -> None:
    two = ManageRules(top_k=0, bottom_pct=0.2, consecutive_years=2, exit_after_years=2)
    assert [_status(panel, y, two)["BAD"] for y in ORDER] == [
        "normal", "normal", "warning_interview", "warning_notice", "exit_recommended", "exit_recommended"]
    assert _status(panel, 2019, two)["G"] == "normal"  # one poor year is not enough
    slow = ManageRules(top_k=0, bottom_pct=0.2, clear_after_years=2)
    out = manage(panel, slow, year=2022).set_index("zone_id")
    assert out.loc["FIX", "status"] == "normal" and out.loc["FIX", "first_warning"] == 2020  # still open
    assert "尚未解除" in out.loc["FIX", "reason_zh"]
    assert pd.isna(manage(panel, slow, year=2023).set_index("zone_id").loc["FIX", "first_warning"])


def test_score_threshold_rank_from_score_and_groups(panel: pd.DataFrame) -> None:
    by_score = ManageRules(top_k=0, bottom_pct=0.0, score_below=52.0)  # only rank 10 (score 50) is poor
    st = _status(panel.drop(columns="rank"), 2021, by_score)  # ranks recomputed from score
    assert st["BAD"] == "warning_notice" and st["FIX"] == "normal"
    regional = ManageRules(top_k=1, bottom_pct=0.2, group_by="region")  # rank within 5-zone regions
    out = manage(panel, regional, year=2020).set_index("zone_id")
    assert out.loc["BAD", "rank"] == 5 and out.loc["BAD", "n_ranked"] == 5
    assert out.loc["BAD", "status"] == "warning_interview" and out.loc["FIX", "status"] == "warning_interview"
    assert out.loc["A", "status"] == out.loc["B", "status"] == "praise"


def test_manage_rules_errors(panel: pd.DataFrame) -> None:
    with pytest.raises(RuleError):
        ManageRules(bottom_pct=1.5)
    with pytest.raises(RuleError):
        ManageRules(bottom_pct=0.0)
    with pytest.raises(RuleError):
        ManageRules(exit_after_years=0)
    with pytest.raises(RuleError, match=r"warning\.bottom_pc: .*unknown key; did you mean `bottom_pct`"):
        parse_rules({"warning": {"bottom_pc": 0.1}})
    assert parse_rules({"warning": {"bottom_pct": 0.2}}).bottom_pct == 0.2
    with pytest.raises(RuleError, match="one row"):
        manage(pd.concat([panel, panel.head(1)]), RULES)


# ---------------------------------------------------------------- certain / uncertain (JRC practice)


def test_certainty_from_a_hand_made_interval_table() -> None:
    """10 zones, bottom 20 % = ranks 9–10 is the warning band, top 2 the praise band.

    zone  status     rank  p05  p95   whole interval in its band?
    Z09   interview    9     9   10   yes → certain
    Z10   notice      10     7   10   no (7 is outside 9–10) → uncertain
    Z01   praise       1     1    2   yes → certain
    Z02   praise       2     1    4   no → uncertain
    Z05   normal       5     3    8   — (on no list)
    """
    from gaoxin.evaluation.manage import certainty

    rules = ManageRules(top_k=2, bottom_pct=0.2)
    lists = pd.DataFrame({"zone_id": ["Z09", "Z10", "Z01", "Z02", "Z05"], "n_ranked": 10,
                          "status": ["warning_interview", "warning_notice", "praise", "praise", "normal"],
                          "rank": [9, 10, 1, 2, 5]})
    iv = pd.DataFrame({"rank_p05": [9, 7, 1, 1, 3], "rank_p95": [10, 10, 2, 4, 8]},
                      index=pd.Index(["Z09", "Z10", "Z01", "Z02", "Z05"], name="zone_id"))
    out = certainty(lists, iv, rules).set_index("zone_id")
    assert out.loc[["Z09", "Z10", "Z01", "Z02"], "certainty"].tolist() == ["certain", "uncertain", "certain",
                                                                             "uncertain"]
    assert out.loc["Z09", "certainty_zh"] == "确定" and out.loc["Z10", "certainty_zh"] == "不确定"
    assert pd.isna(out.loc["Z05", "certainty"])
    with pytest.raises(RuleError, match="group_by"):
        certainty(lists, iv, ManageRules(group_by="region"))
