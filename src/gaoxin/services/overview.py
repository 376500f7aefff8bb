"""What the overview page shows: meta, zones, stored evaluations, an evaluation's ranking, national key
figures and the province tile grid (issue #10 §4.1).

Everything is read from stored results (an evaluation is stored whole: scores, intervals, companion);
nothing is recomputed but the zone type and grade, which are pure functions of the stored ranks.  Results
keyed by immutable ids are cached in the process (``services.readcache``).
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from gaoxin.services import readcache
from gaoxin.services.errors import InputError
from gaoxin.store import evaluations as stored
from gaoxin.store import reads
from gaoxin.store import snapshots as snaps
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.indicators.framework import Framework
    from gaoxin.services.access import Access

RANK_FILTERS = ("region", "province", "type")


class NotFound(LookupError):
    """A zone, evaluation or enterprise that does not exist (or is outside the caller's scope)."""


def jsonable(obj: Any) -> Any:
    """Frames → records, numpy scalars → Python, NaN/NA/inf → None, timestamps → ISO text."""
    import datetime as dt

    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


@cache
def province_tiles() -> dict[str, dict[str, Any]]:
    """GB/T 2260 code → {name, row, col}: the tile grid of ``services/data/province_tiles.csv``.

    One square per provincial-level division at its approximate position (no boundary map:
    /work/shared/domain.md, "Maps"); the grid is 8 rows × 9 columns, north-west at (0, 0)."""
    text = resources.files("gaoxin.services").joinpath("data/province_tiles.csv").read_text("utf-8")
    return {r["code"]: {"name": r["name"], "row": int(r["row"]), "col": int(r["col"])}
            for r in csv.DictReader(text.splitlines())}


def _provinces() -> dict[str, dict[str, str]]:
    from gaoxin.ingest.contract import provinces

    return provinces()


def _region_labels() -> dict[str, str]:
    from gaoxin.ingest.contract import region_labels

    return region_labels()


def zones(store: Store, snapshot: int | None = None) -> list[dict[str, Any]]:
    """Every zone of ``snapshot`` (default newest) with province and region labels."""
    sid = snapshot if snapshot is not None else readcache.cached(store, "latest_snapshot", None,
                                                                 lambda: snaps.latest(store.con))
    if sid is None:
        return []

    def build() -> list[dict[str, Any]]:
        z = snaps.zones(store.con, sid)
        prov, labels = _provinces(), _region_labels()
        out = []
        for r in z.itertuples(index=False):
            pc = None if r.province_code is None else str(r.province_code)
            out.append({"zone_id": r.zone_id, "name": r.name, "level": r.level, "province_code": pc,
                        "province_name": prov.get(pc or "", {}).get("name"), "region": r.region,
                        "region_label": labels.get(str(r.region)), "approved_year": r.approved_year})
        return jsonable(out)

    return readcache.cached(store, "zones", sid, build)


def published_ids(store: Store, kind: str) -> set[str]:
    """Keys of the unrevoked publications of ``kind`` (evaluation, points, aggregate): ``services.publishing``."""
    from gaoxin.services import publishing

    return readcache.cached(store, "published", kind, lambda: {p.key for p in publishing.published(store, kind)})


def evaluations(store: Store, *, published_only: bool = False) -> list[dict[str, Any]]:
    """Stored evaluations, newest first; ``published_only`` keeps those an admin/national/province published."""
    rows = readcache.cached(store, "evaluations", published_only, lambda: _evaluations(store, published_only))
    return [dict(r) for r in rows]


def _evaluations(store: Store, published_only: bool) -> list[dict[str, Any]]:
    from gaoxin.services.evaluation import list_evaluations

    df = list_evaluations(store)
    pub = published_ids(store, "evaluation")
    rows = []
    for r in df.sort_values("id", ascending=False).itertuples(index=False):
        rows.append({"id": int(r.id), "framework_id": r.framework, "year": int(r.year), "snapshot": int(r.snapshot_id),
                     "config_name": r.config_name, "config_hash": r.config_hash, "created_at": r.created_at,
                     "companion_id": r.companion_id, "companion_of": r.companion_of, "published": str(r.id) in pub})
    if published_only:
        rows = [r for r in rows if r["published"]]
    return jsonable(rows)


def check_visible(store: Store, eid: int, published_only: bool) -> None:
    """``NotFound`` for a missing evaluation, and for an unpublished one when only published ones may be seen."""
    if eid not in {e["id"] for e in evaluations(store, published_only=published_only)}:
        raise NotFound(f"评价不存在 / evaluation not found: {eid}")


def latest_evaluation(store: Store, *, published_only: bool = False) -> int | None:
    """The newest evaluation that is not a companion (the default of every page)."""
    for e in evaluations(store, published_only=published_only):
        if e["companion_of"] is None:
            return int(e["id"])
    return None


def meta(store: Store, *, published_only: bool = False) -> dict[str, Any]:
    """Version, enterprise years, frameworks, the newest evaluation per framework, region labels."""
    import gaoxin
    from gaoxin.services.indicators import list_frameworks

    con = store.cursor()
    sid = snaps.latest(con)
    years = reads.years(con, sid) if sid is not None else []
    latest: dict[str, dict[str, Any]] = {}
    for e in evaluations(store, published_only=published_only):
        if e["companion_of"] is None and e["framework_id"] not in latest:
            latest[e["framework_id"]] = e
    fws = [{"id": f["id"], "name_zh": f.get("name_zh"), "name_en": f.get("name_en")}
           for f in list_frameworks() if not f.get("error")]
    return jsonable({"version": gaoxin.__version__, "snapshot": sid, "years": years,
                     "latest_year": years[-1] if years else None, "frameworks": fws,
                     "evaluations": list(latest.values()), "regions": _region_labels()})


def evaluation_framework(store: Store, eid: int) -> Framework:
    """The framework evaluation ``eid`` was computed from (its stored text), cached per id."""
    from gaoxin.services.evaluation import _stored_framework

    def build() -> Framework:
        return _stored_framework(stored.load(store.con, eid), eid)

    return readcache.cached(store, "framework", eid, build, tok=("eid", str(store.path)))


def _previous(store: Store, row: dict[str, Any], root: str) -> pd.DataFrame | None:
    prev_id = stored.previous(store.con, row["framework_hash"], row["framework_id"] or "", row["config_hash"],
                              int(row["year"]) - 1, int(row["snapshot_id"]))
    return stored.scores(store.con, prev_id, code=root).set_index("zone_id") if prev_id else None


def ranking_table(store: Store, eid: int) -> pd.DataFrame:
    """One row per zone of stored evaluation ``eid``: what ``Evaluation.table`` gives at evaluation time,
    rebuilt from the stored scores (rank intervals, change against the previous year, companion)."""
    return readcache.cached(store, "ranking", eid, lambda: _ranking_table(store, eid))


def _ranking_table(store: Store, eid: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from gaoxin.evaluation.classify import classify, grade

    row = stored.load(store.con, eid)
    fw = evaluation_framework(store, eid)
    root = fw.meta.index_code
    sc = stored.scores(store.con, eid)
    z = snaps.zones(store.con, int(row["snapshot_id"])).set_index("zone_id")
    idx = sc[sc["code"] == root].set_index("zone_id")
    t = pd.DataFrame({"zone_id": idx.index, "region": idx.index.map(z["region"]), "rank": idx["rank"].to_numpy(),
                      "score": idx["score"].to_numpy(), "rank_in_region": idx["rank_in_region"].to_numpy()})
    t = classify(t)
    t = grade(t, by="region").drop(columns=["rank_pct_in_region"], errors="ignore")
    t["rank"] = idx["rank"].to_numpy()  # the stored rank is the published one
    unc = stored.uncertainty(store.con, eid)
    for c in ("rank_p05", "median_rank", "rank_p95"):
        t[c] = t["zone_id"].map(unc[c]) if not unc.empty else np.nan
    prev = _previous(store, row, root)
    t["score_change"] = t["score"] - t["zone_id"].map(prev["score"]) if prev is not None else np.nan
    t["rank_change"] = t["zone_id"].map(prev["rank"]) - t["rank"] if prev is not None else np.nan
    cmp = stored.comparison(store.con, eid).set_index("zone_id")
    t["companion_rank"] = t["zone_id"].map(cmp["companion_rank"]) if not cmp.empty else np.nan
    t["companion_score"] = t["zone_id"].map(cmp["companion_score"]) if not cmp.empty else np.nan
    pillars = sc[sc["code"].isin([p.code for p in fw.pillars if p.parent is None])]
    wide = pillars.pivot(index="zone_id", columns="code", values="score")
    for p in wide.columns:
        t[f"pillar:{p}"] = t["zone_id"].map(wide[p])
    t["name"] = t["zone_id"].map(z["name"])
    t["province_code"] = t["zone_id"].map(z["province_code"]).astype("string")
    return t.sort_values(["rank", "zone_id"]).reset_index(drop=True)


def _pillar_list(fw: Framework) -> list[dict[str, str]]:
    return [{"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en} for p in fw.pillars if p.parent is None]


def _ranking_rows(store: Store, eid: int) -> list[dict[str, Any]]:
    def build() -> list[dict[str, Any]]:
        t = ranking_table(store, eid)
        pcols = [c for c in t.columns if c.startswith("pillar:")]
        rows = []
        for r in t.to_dict(orient="records"):
            rows.append({"zone_id": r["zone_id"], "name": r["name"], "province_code": r["province_code"],
                         "region": r["region"], "score": r["score"], "rank": r["rank"],
                         "rank_in_region": r["rank_in_region"], "rank_p05": r["rank_p05"],
                         "rank_p95": r["rank_p95"], "rank_change": r["rank_change"],
                         "score_change": r["score_change"], "companion_score": r["companion_score"],
                         "companion_rank": r["companion_rank"], "grade": r["grade"], "type": r["zone_type"],
                         "type_zh": r["zone_type_zh"], "pillars": {c[7:]: r[c] for c in pcols}})
        return jsonable(rows)

    return readcache.cached(store, "ranking_rows", eid, build)


def evaluation_info(store: Store, eid: int) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        row = stored.load(store.con, eid)
        comp = stored.companion(store.con, eid) or {}
        return jsonable({"id": eid, "framework_id": row["framework_id"], "year": int(row["year"]),
                         "snapshot": int(row["snapshot_id"]), "config_name": row["config_name"],
                         "config_hash": row["config_hash"], "created_at": row["created_at"],
                         "companion_id": comp.get("companion_id"), "companion_config": comp.get("config_name"),
                         "spearman": comp.get("spearman")})

    return readcache.cached(store, "evaluation_info", eid, build, tok=("eid", str(store.path)))


def ranking(store: Store, eid: int, *, region: str | None = None, province: str | None = None,
            zone_type: str | None = None) -> dict[str, Any]:
    """The ranking of stored evaluation ``eid``, optionally of one region, province (GB/T 2260) or zone type."""
    rows = _ranking_rows(store, eid)
    if region:
        rows = [r for r in rows if r["region"] == region]
    if province:
        rows = [r for r in rows if (r["province_code"] or "")[:2] == province[:2]]
    if zone_type:
        rows = [r for r in rows if r["type"] == zone_type]
    return {"evaluation": evaluation_info(store, eid), "rows": rows,
            "pillars": _pillar_list(evaluation_framework(store, eid))}


def median(values: list[float]) -> float | None:
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def key_figures(store: Store, snapshot: int, year: int) -> list[dict[str, Any]]:
    """National key figures of ``year``: zones, enterprises, high-tech enterprises, revenue, value added,
    exports (亿元), employees (万人), R&D expense (亿元) and intensity (%)."""
    def build() -> list[dict[str, Any]]:
        t = reads.national_totals(store.cursor(), snapshot, year)
        nz = len(snaps.zones(store.cursor(), snapshot))

        def yi(v: Any) -> float | None:  # 千元 → 亿元
            return None if v is None else float(v) / 1e5

        rev, rd = t["revenue"], t["rd_expense"]
        figs = [("zones", "园区数", "zones", nz, "个"),
                ("enterprises", "企业数", "enterprises", t["enterprises"], "家"),
                ("high_tech", "高新技术企业数", "high-tech enterprises", t["high_tech"], "家"),
                ("revenue", "营业收入", "revenue", yi(rev), "亿元"),
                ("value_added", "工业增加值", "value added", yi(t["value_added"]), "亿元"),
                ("exports", "出口总额", "exports", yi(t["exports"]), "亿元"),
                ("employees", "年末从业人员", "employees", None if t["employees"] is None
                 else float(t["employees"]) / 1e4, "万人"),
                ("rd_expense", "R&D经费内部支出", "R&D expenditure", yi(rd), "亿元"),
                ("rd_intensity", "研发投入强度", "R&D intensity",
                 None if not rev or rd is None else 100.0 * float(rd) / float(rev), "%")]
        return jsonable([{"code": c, "label_zh": zh, "label_en": en, "value": v, "unit": u}
                         for c, zh, en, v, u in figs])

    return readcache.cached(store, "key_figures", (snapshot, year), build)


def overview(store: Store, eid: int | None = None, *, published_only: bool = False,
             access: Access | None = None) -> dict[str, Any]:
    """Key figures of the evaluation's year, one tile per province (zones, mean score), and regions.

    For an ``access`` that may not read every firm the national money totals pass disclosure control
    (``services.disclosure``; R&D intensity through its numerator and denominator); scores never do."""
    if eid is None:
        eid = latest_evaluation(store, published_only=published_only)
        if eid is None:
            raise NotFound("尚无评价 / no evaluation stored yet: run `gaoxin evaluate` first")
    check_visible(store, eid, published_only)
    out = readcache.cached(store, "overview", eid, lambda: _overview(store, eid))
    if access is None or access.sees_all_enterprises:
        return out
    info = out["evaluation"]
    hidden = readcache.cached(store, "key_figures_sdc", (info["snapshot"], info["year"], access.role, access.zones,
                                                         access.provinces),
                              lambda: _suppressed_totals(store, access, info["snapshot"], info["year"]))
    if not hidden:
        return out
    figs = [{**f, "value": None} if f["code"] in hidden else f for f in out["key_figures"]]
    return {**out, "key_figures": figs,
            "footnote": "—：为保护统计调查对象信息而不予公布 / suppressed to protect respondents' confidentiality"}


MONEY = ("revenue", "value_added", "exports", "employees", "rd_expense")


def _suppressed_totals(store: Store, access: Access, snapshot: int, year: int) -> set[str]:
    """Which national key figures ``access`` may not see (the disclosure rules over all firms of ``year``)."""
    from gaoxin.services.disclosure import Table, protect_for

    firms = reads.year_totals_rows(store.cursor(), snapshot, year).assign(scope="national")
    p = protect_for(store, access, firms, [Table("n", rows="scope", measures=MONEY, margins=False)],
                    snapshot=snapshot)
    row = p["n"].iloc[0] if len(p["n"]) else {}
    hidden = {m for m in MONEY if m not in row or row[m] is None}
    if {"revenue", "rd_expense"} & hidden:
        hidden.add("rd_intensity")
    return hidden


def _overview(store: Store, eid: int) -> dict[str, Any]:
    info = evaluation_info(store, eid)
    rows = _ranking_rows(store, eid)
    tiles = province_tiles()
    prov, labels = _provinces(), _region_labels()
    by_prov: dict[str, list[float]] = {}
    for r in rows:
        by_prov.setdefault((r["province_code"] or "")[:2], []).append(r["score"])
    provinces = []
    for code, tile in tiles.items():
        scores = by_prov.get(code, [])
        provinces.append({"code": code, "name": tile["name"], "row": tile["row"], "col": tile["col"],
                          "region": prov.get(code, {}).get("region"), "zones": len(scores),
                          "mean_score": sum(scores) / len(scores) if scores else None})
    regions = []
    for code, label in labels.items():
        scores = [r["score"] for r in rows if r["region"] == code]
        regions.append({"region": code, "label": label, "zones": len(scores),
                        "mean_score": sum(scores) / len(scores) if scores else None, "median_score": median(scores)})
    return jsonable({"evaluation": info, "year": info["year"],
                     "key_figures": key_figures(store, info["snapshot"], info["year"]),
                     "provinces": provinces, "regions": regions, "units": {"mean_score": "分 points",
                                                                           "zones": "个 zones"}})


def check_year(year: int | None) -> None:
    if year is not None and not 1949 <= year <= 2100:
        raise InputError(f"年份无效：{year} / invalid year {year}")


def ranking_export(store: Store, eid: int) -> pd.DataFrame:
    """The ranking of ``eid`` as a download: Chinese + English headers, pillar scores as columns."""
    import pandas as pd

    r = ranking(store, eid)
    names = {p["code"]: p["name_zh"] for p in r["pillars"]}
    rows = []
    for x in r["rows"]:
        rows.append({"排名 rank": x["rank"], "园区代码 zone": x["zone_id"], "园区名称 name": x["name"],
                     "省份 province": x["province_code"], "区域 region": x["region"], "得分 score": x["score"],
                     "排名区间5% rank p05": x["rank_p05"], "排名区间95% rank p95": x["rank_p95"],
                     "排名变化 rank change": x["rank_change"], "对照排名 companion rank": x["companion_rank"],
                     "等级 grade": x["grade"], "类型 type": x["type_zh"],
                     **{f"{names.get(k, k)} {k}": v for k, v in x["pillars"].items()}})
    return pd.DataFrame(rows)


def warm(store: Store) -> None:
    """Fill the read caches for the newest evaluation and enterprise year (ranking, every profile, the
    annotated enterprise frame): what a server may run once in a background thread after it starts, so the
    first visitor does not wait for tiers, points and 亩均 of every firm (seconds)."""
    from gaoxin.services import enterprises, profile

    eid = latest_evaluation(store)
    if eid is not None:
        overview(store, eid)
        for r in ranking(store, eid)["rows"]:
            profile.profile(store, eid, r["zone_id"])
    sid = snaps.latest(store.con)
    year = snaps.last_year(store.con, sid) if sid is not None else None
    if year is not None:
        enterprises.annotated(store, sid, year)
