"""The tier funnel's counts through disclosure control (decision 0035): a hand-built zone where a tier count
of 1 must be withheld and must not be recoverable from the published year total, the transitions that link
the years, and the roles over the real API."""

from __future__ import annotations

import pandas as pd
import pytest

from gaoxin.services import Store
from gaoxin.services.access import Access
from gaoxin.services.funnel import protect_funnel, sensitive_count

ZONE = "GX001"
# tier → year → number of firms (hand-built); firm ids are per tier so a firm is in one cell per year
HAND = {"gazelle": {2021: 5, 2022: 1}, "high_tech": {2021: 4, 2022: 6}, "tech_sme": {2021: 8, 2022: 9}}
TRANSITIONS = [
    {"year": 2022, "tier": "gazelle", "entered": 0, "left": 4, "promoted": 3},
    {"year": 2022, "tier": "high_tech", "entered": 2, "left": 0, "promoted": 3},
    {"year": 2022, "tier": "tech_sme", "entered": 4, "left": 3, "promoted": 3},
]


def _hand() -> tuple[pd.DataFrame, list[dict]]:
    rows, funnel = [], []
    for tier, by_year in HAND.items():
        for year, n in by_year.items():
            rows += [{"credit_code": f"{tier}-{i}", "zone_id": ZONE, "year": year, "tier": tier} for i in range(n)]
            funnel.append({"year": year, "tier": tier, "count": n})
    return pd.DataFrame(rows), funnel


@pytest.fixture
def store(demo_db):
    with Store(demo_db, "read") as s:
        yield s


def _recover(funnel: list[dict], totals: list[dict], year: int) -> dict[str, float]:
    """The attacker: a year's withheld counts that follow from the published total (exactly one unknown)."""
    cells = [r for r in funnel if r["year"] == year]
    total = next(t["count"] for t in totals if t["year"] == year)
    unknown = [r for r in cells if r["count"] is None]
    if total is None or len(unknown) != 1:
        return {}
    return {unknown[0]["tier"]: total - sum(r["count"] for r in cells if r["count"] is not None)}


def test_a_count_of_one_is_withheld_and_not_recoverable_from_the_total(store):
    c, funnel = _hand()
    other_zone = Access("z", "zone", zones=frozenset({"GX007"}))
    out = protect_funnel(store, other_zone, c, funnel, TRANSITIONS)
    by = {(r["tier"], r["year"]): r["count"] for r in out["funnel"]}
    assert by[("gazelle", 2022)] is None  # 1 firm: primary (threshold)
    # the naive attack works on the unprotected table: 16 − 6 − 9 = 1
    naive = [{**r, "count": None if (r["tier"], r["year"]) == ("gazelle", 2022) else r["count"]} for r in funnel]
    assert _recover(naive, [{"year": 2022, "count": 16}], 2022) == {"gazelle": 1}
    # the protected output: the 2022 total is published only with a second withheld cell beside it
    assert _recover(out["funnel"], out["totals"], 2022) == {}
    held_2022 = [t for t, y in by if y == 2022 and by[(t, y)] is None]
    total_2022 = next(t["count"] for t in out["totals"] if t["year"] == 2022)
    assert total_2022 is None or len(held_2022) >= 2
    # 2021 has no sensitive cell: every count and its total are published as they are
    assert [by[(t, 2021)] for t in HAND] == [5, 4, 8]
    assert next(t["count"] for t in out["totals"] if t["year"] == 2021) == 17
    assert out["footnote"].startswith("—：为保护统计调查对象信息而不予公布")
    assert out["suppressed"] >= 2


def test_transitions_go_with_the_counts_they_link(store):
    c, funnel = _hand()
    out = protect_funnel(store, Access("v", "zone", zones=frozenset({"GX007"})), c, funnel, TRANSITIONS)
    tr = {r["tier"]: r for r in out["transitions"]}
    by = {(r["tier"], r["year"]): r["count"] for r in out["funnel"]}
    # gazelle 2022 is withheld: 5 + entered − left would give it back, so entered and left go too
    assert tr["gazelle"]["entered"] is None and tr["gazelle"]["left"] is None
    # high_tech: entered 2 is a sensitive count, so the pair is withheld (left alone would give entered)
    assert tr["high_tech"]["entered"] is None and tr["high_tech"]["left"] is None
    # tech_sme: 4 entered, 3 left, both members cells published (unless chosen as the complement)
    if by[("tech_sme", 2022)] is not None:
        assert (tr["tech_sme"]["entered"], tr["tech_sme"]["left"]) == (4, 3)
    assert all(r["promoted"] == 3 for r in out["transitions"])  # 3 firms: not sensitive


def test_no_suppression_when_every_count_is_safe_or_the_user_sees_the_firms(store):
    c, funnel = _hand()
    for who in (Access("n", "national"), Access("own", "zone", zones=frozenset({ZONE}))):
        out = protect_funnel(store, who, c, funnel, TRANSITIONS)
        assert [r["count"] for r in out["funnel"]] == [r["count"] for r in funnel]
        assert out["footnote"] is None and out["suppressed"] == 0
        assert out["transitions"] == TRANSITIONS
    safe = c[~((c["tier"] == "gazelle") & (c["year"] == 2022))]
    safe_funnel = [r for r in funnel if (r["tier"], r["year"]) != ("gazelle", 2022)]
    out = protect_funnel(store, Access("v", "zone", zones=frozenset({"GX007"})), safe, safe_funnel,
                         [r for r in TRANSITIONS if r["tier"] == "tech_sme"])
    assert [r["count"] for r in out["funnel"]] == [r["count"] for r in safe_funnel]
    assert out["totals"] == [{"year": 2021, "count": 17}, {"year": 2022, "count": 15}]
    assert out["transitions"][0]["entered"] == 4 and out["footnote"] is None


@pytest.mark.parametrize(("n", "sensitive"), [(0, False), (None, False), (1, True), (2, True), (3, False), (10, False)])
def test_sensitive_count_rules(n, sensitive):
    # threshold 3; dominance k = 2, p = 85: 2 of 2 = 100 % > 85; 2 of 3 = 66.7 % ≤ 85
    assert sensitive_count(n, 3, 2, 85.0) is sensitive


def test_tiers_route_by_role(demo_db):
    """Over the real API: a zone user looking at another zone sees no count of 1 or 2 and the footnote; its
    own zone, and a national user, see the counts as the tiers service computed them."""
    from fastapi.testclient import TestClient

    from conftest import add_users, login
    from gaoxin.api.app import Settings, create_app

    add_users(demo_db, {"nat": {"role": "national"}, "zon": {"role": "zone", "zones": ["GX007"]},
                        "vie": {"role": "viewer"}})
    got = {}
    for user in ("nat", "zon", "vie"):
        with TestClient(create_app(Settings(db=demo_db))) as client:
            login(client, user)
            got[user] = {z: client.get(f"/api/v1/zones/{z}/tiers") for z in ("GX001", "GX007")}
    assert got["vie"]["GX001"].status_code == 403  # viewers see published aggregates only
    full = {z: got["nat"][z].json() for z in ("GX001", "GX007")}
    assert full["GX007"]["footnote"] is None
    assert got["zon"]["GX007"].json()["funnel"] == full["GX007"]["funnel"]  # its own zone: whole
    other = got["zon"]["GX001"].json()
    counts = [r["count"] for r in other["funnel"]]
    assert all(c is None or c == 0 or c >= 3 for c in counts)
    raw = [r["count"] for r in full["GX001"]["funnel"]]
    if any(0 < c < 3 for c in raw):
        assert other["footnote"] and None in counts
    for y in {r["year"] for r in other["funnel"]}:  # no year total gives back a lone withheld count
        assert _recover(other["funnel"], other["totals"], y) == {}


def test_enterprise_evidence_of_every_year(demo_db):
    """``years=all`` adds the evidence of each of the firm's years (the single-year answer unchanged); a zone
    user gets 404 for another zone's firm with or without it."""
    from fastapi.testclient import TestClient

    from conftest import add_users, login
    from gaoxin.api.app import Settings, create_app

    add_users(demo_db, {"nat": {"role": "national"}, "zon": {"role": "zone", "zones": ["GX007"]}})
    with TestClient(create_app(Settings(db=demo_db))) as client:
        login(client, "nat")
        code = client.get("/api/v1/enterprises", params={"zone": "GX001", "page_size": 1}).json()["rows"][0][
            "credit_code"]
        one = client.get(f"/api/v1/enterprises/{code}").json()
        every = client.get(f"/api/v1/enterprises/{code}", params={"years": "all"}).json()
        some = client.get(f"/api/v1/enterprises/{code}", params={"years": "2021,2024"}).json()
        assert client.get(f"/api/v1/enterprises/{code}", params={"years": "last"}).status_code == 422
    assert "by_year" not in one and {k: v for k, v in every.items() if k != "by_year"} == one
    years = sorted(r["year"] for r in one["years"])
    assert [b["year"] for b in every["by_year"]] == years
    last = every["by_year"][-1]
    assert last["tiers"] == one["tiers"] and last["year"] == one["tiers"][0]["year"]
    for b in every["by_year"]:
        assert all(t["year"] == b["year"] for t in b["tiers"])
        assert b["met"] == [t["tier"] for t in b["tiers"] if t["status"] == "pass"]
    assert [b["year"] for b in some["by_year"]] == [y for y in years if y in (2021, 2024)]
    with TestClient(create_app(Settings(db=demo_db))) as client:
        login(client, "zon")
        assert client.get(f"/api/v1/enterprises/{code}", params={"years": "all"}).status_code == 404
