"""Overview and zone-profile services on the demo store, checked against stored values and hand rules."""

from __future__ import annotations

import statistics
import time

import pytest

from gaoxin.services import Store, readcache
from gaoxin.services import overview as ov
from gaoxin.services import profile as pf
from gaoxin.services.access import Access
from gaoxin.store import evaluations as stored


@pytest.fixture
def st(demo_db):
    with Store(demo_db, "read") as s:
        yield s


def test_percentile_hand_values():
    assert pf.percentile(1, 12) == 100.0
    assert pf.percentile(12, 12) == 0.0
    assert pf.percentile(4, 7) == 50.0  # (7 − 4) / 6
    assert pf.percentile(1, 1) == 100.0
    assert pf.percentile(None, 5) is None


def test_strengths_weaknesses_rule():
    rows = [{"code": c, "name_zh": c, "name_en": c, "pillar": "p", "value": 1.0, "unit": "", "rank": 1,
             "percentile": p, "gap": 0.0} for c, p in [("a", 100), ("b", 80), ("c", 75), ("d", 90), ("e", 50),
                                                       ("f", 25), ("g", 0), ("h", 10), ("i", 26)]]
    s, w = pf.strengths_weaknesses(rows)
    assert [r["code"] for r in s] == ["a", "d", "b"]  # best three, all ≥ 75
    assert [r["code"] for r in w] == ["g", "h", "f"]  # worst three, all ≤ 25
    s, w = pf.strengths_weaknesses([r for r in rows if r["code"] in ("e", "i")])
    assert s == [] and w == []  # nothing far from the middle: no strengths, no weaknesses


def test_ranking_matches_stored_evaluation(st):
    eid = ov.latest_evaluation(st)
    r = ov.ranking(st, eid)
    idx = stored.scores(st.con, eid, level=3).set_index("zone_id")
    assert [x["rank"] for x in r["rows"]] == sorted(x["rank"] for x in r["rows"])
    for x in r["rows"]:
        assert x["rank"] == int(idx.at[x["zone_id"], "rank"])
        assert x["score"] == pytest.approx(float(idx.at[x["zone_id"], "score"]))
        assert set(x["pillars"]) == {p["code"] for p in r["pillars"]}
    assert r["rows"][0]["grade"] == "A"
    east = ov.ranking(st, eid, region="east")["rows"]
    assert east and all(x["region"] == "east" for x in east)
    assert len(east) == sum(x["region"] == "east" for x in r["rows"])


def test_profile_of_top_zone(st):
    eid = ov.latest_evaluation(st)
    rows = ov.ranking(st, eid)["rows"]
    top = rows[0]["zone_id"]
    p = pf.profile(st, eid, top)
    assert p["rank"] == 1 and p["zones"] == len(rows)
    sc = stored.scores(st.con, eid, level=1)
    # an indicator the top zone ranks first on has percentile 100
    firsts = [i for i in p["indicators"] if i["rank"] == 1]
    assert firsts and all(i["percentile"] == 100.0 for i in firsts)
    # value, rank and gap of one indicator from the stored rows by hand
    ind = p["indicators"][0]
    g = sc[sc["code"] == ind["code"]]
    mine = g[g["zone_id"] == top].iloc[0]
    assert ind["rank"] == int(mine["rank"])
    assert ind["gap"] == pytest.approx(float(mine["value"]) - statistics.median(g["value"].dropna()))
    assert ind["percentile"] == pytest.approx(100 * (g["rank"].notna().sum() - ind["rank"]) /
                                              (g["rank"].notna().sum() - 1))
    assert len(p["strengths"]) <= 3 and all(s["percentile"] >= 75 for s in p["strengths"])
    assert len(p["weaknesses"]) <= 3 and all(w["percentile"] <= 25 for w in p["weaknesses"])
    # pillar medians by hand over the ranking's pillar scores
    code = p["pillars"][0]["code"]
    assert p["pillars"][0]["national_median"] == pytest.approx(statistics.median(r["pillars"][code] for r in rows))
    region = p["zone"]["region"]
    assert p["pillars"][0]["region_median"] == pytest.approx(
        statistics.median(r["pillars"][code] for r in rows if r["region"] == region))
    assert p["series"] == [{"year": p["evaluation"]["year"], "score": pytest.approx(p["score"]), "rank": 1}]
    assert p["warnings"] and p["warnings"][-1]["year"] == p["evaluation"]["year"]


def test_unknown_zone_is_not_found(st):
    with pytest.raises(ov.NotFound):
        pf.profile(st, ov.latest_evaluation(st), "NOPE")


def test_overview_tiles_and_regions(st):
    from gaoxin.ingest.contract import provinces

    tiles = ov.province_tiles()
    assert set(provinces()) <= set(tiles)  # a square for every division of the contract (and 71, 81, 82)
    assert len({(t["row"], t["col"]) for t in tiles.values()}) == len(tiles)  # no two share a cell
    eid = ov.latest_evaluation(st)
    o = ov.overview(st, eid)
    rows = ov.ranking(st, eid)["rows"]
    assert sum(p["zones"] for p in o["provinces"]) == len(rows)
    for reg in o["regions"]:
        scores = [r["score"] for r in rows if r["region"] == reg["region"]]
        assert reg["zones"] == len(scores)
        if scores:
            assert reg["mean_score"] == pytest.approx(sum(scores) / len(scores))
            assert reg["median_score"] == pytest.approx(statistics.median(scores))
    figs = {f["code"]: f for f in o["key_figures"]}
    assert figs["zones"]["value"] == len(ov.zones(st)) and figs["revenue"]["unit"] == "亿元"
    from gaoxin.services.enterprises import list_enterprises

    total = list_enterprises(st, Access("n", "national"), year=o["year"])["total"]
    assert figs["enterprises"]["value"] == total


def test_series_and_cache_follow_a_new_evaluation(demo_db):
    """A second stored year of the same configuration appears in the series without a restart."""
    from gaoxin.services.evaluation import evaluate

    with Store(demo_db, "write") as s:
        eid = ov.latest_evaluation(s)
        zone = ov.ranking(s, eid)["rows"][0]["zone_id"]
        assert len(pf.profile(s, eid, zone)["series"]) == 1
        info = ov.evaluation_info(s, eid)
        run = evaluate(s, "national-2021", info["year"] - 1, config=info["config_name"], save=True)
        time.sleep(readcache.TOKEN_TTL_S + 0.05)  # the caches see the new evaluation within this time
        p = pf.profile(s, eid, zone)
        assert [x["year"] for x in p["series"]] == [info["year"] - 1, info["year"]]
        prev_rank = int(run.table.set_index("zone_id").at[zone, "rank"])
        assert p["series"][0]["rank"] == prev_rank
        assert p["rank_change"] == prev_rank - 1  # ranking rebuilt with the previous year now stored
        assert [w["year"] for w in p["warnings"]] == [info["year"] - 1, info["year"]]


def test_warm_fills_the_caches(st):
    readcache.clear()
    ov.warm(st)
    kinds = {k[1] for k in readcache._entries}
    assert {"ranking", "profile", "annotated", "overview"} <= kinds
