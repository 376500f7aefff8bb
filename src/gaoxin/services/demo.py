"""The main job end to end on synthetic data: generate → ingest → indicators → evaluate → manage → monitor.

Every stage is a service call; ``gaoxin demo`` only renders the result.  The
demo owns its database (``<out>/gaoxin.duckdb`` unless ``db`` is given) and
starts it clean so that re-runs give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gaoxin.services import evaluation, indicators, monitoring
from gaoxin.services.export import write_frame
from gaoxin.services.ingest import IngestOutcome, ingest_files
from gaoxin.store import snapshots as store_snapshots
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.services.chains import ChainGaps
    from gaoxin.services.explain import Explanation
    from gaoxin.services.mujun import MujunResult
    from gaoxin.services.points import PointsResult
    from gaoxin.services.tiers import TiersResult


def generate_data(out_dir: Path, **kw):
    """Synthetic demo files (``gaoxin demo-data``); see ``gaoxin.demo.synthetic.generate``."""
    from gaoxin.demo.synthetic import generate

    check_sizes(kw.get("zones", 1), kw.get("enterprises", 1), kw.get("dirty", 0.0))
    return generate(out_dir, **kw)


def check_sizes(zones: int, enterprises: int, dirty: float) -> None:
    """Arguments the generator would crash on or silently misread are user errors."""
    from gaoxin.services.errors import InputError

    if zones < 1 or enterprises < 1:
        raise InputError(f"园区数、企业数须为正 / --zones, --enterprises must be positive: {zones}, {enterprises}")
    if not 0.0 <= dirty < 1.0:
        raise InputError(f"缺陷比例须在 0 与 1 之间 / --dirty must be in [0, 1), not {dirty}")


@dataclass
class DemoSettings:
    out_dir: Path = Path("demo-out")
    db: Path | None = None
    zones: int = 169
    enterprises: int = 30_000
    years: tuple[int, int] = (2016, 2025)
    dirty: float = 0.01
    seed: int = 42
    framework: str = "national-2021"
    runs: int = 2000
    management_years: int = 5


@dataclass
class DemoResult:
    settings: DemoSettings
    db_file: Path
    rows_generated: int = 0
    ingest: IngestOutcome | None = None
    year: int = 0
    zone_summary: pd.DataFrame | None = None
    frameworks: list[str] = field(default_factory=list)
    evaluation: evaluation.EvaluationRun | None = None
    zone_names: dict[str, str] = field(default_factory=dict)
    management: evaluation.Management | None = None
    companion_intervals: pd.DataFrame | None = None  # rank intervals of the other scoring (stored with it)
    explanation: Explanation | None = None
    enterprise_zone: str | None = None  # the zone whose enterprises the demo analyses (the explained one)
    tiers: TiersResult | None = None
    points: PointsResult | None = None
    chain: ChainGaps | None = None
    mujun: MujunResult | None = None  # of one zone (the first warned, else the leader), stored
    monitoring: pd.DataFrame | None = None
    files: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_demo(s: DemoSettings, step: Callable[[str, DemoResult], None] = lambda name, r: None) -> DemoResult:
    """Run every stage; ``step(name, result)`` is called after each (for progress output)."""
    import time

    import pandas as pd

    from gaoxin.demo.synthetic import generate

    check_sizes(s.zones, s.enterprises, s.dirty)
    s.out_dir.mkdir(parents=True, exist_ok=True)
    db_file = Path(s.db) if s.db else s.out_dir / "gaoxin.duckdb"
    if not s.db:
        for p in (db_file, db_file.with_name(db_file.name + ".wal")):
            p.unlink(missing_ok=True)
    res = DemoResult(s, db_file)
    clock = time.perf_counter()

    def done(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        res.seconds[name] = now - clock
        clock = now
        step(name, res)

    y0, y1 = s.years
    gen = generate(s.out_dir / "data", zones=s.zones, enterprises=s.enterprises, years=(y0, y1), seed=s.seed,
                   dirty=s.dirty)
    res.rows_generated = gen.rows
    done("generate")
    with Store(db_file, "write") as store:
        res.ingest = ingest_files(store, [gen.zones, gen.enterprises, gen.zone_facts], snapshot_name="demo",
                                  report=s.out_dir / "rejections.xlsx")
        done("ingest")
        sid = res.ingest.result.snapshot
        if sid is None:
            return res
        res.year = store_snapshots.last_year(store.con, sid) or y1
        res.zone_summary = store_snapshots.zone_year_totals(store.con, sid, res.year)
        res.files["zone_summary"] = write_frame(res.zone_summary, s.out_dir / "zone-summary.csv", store)
        zones = store_snapshots.zones(store.con, sid)
        res.zone_names = dict(zip(zones["zone_id"], zones["name"], strict=True))
        done("summary")
        since = max(y0, res.year - s.management_years + 1)
        for fw in indicators.list_frameworks():
            if fw["error"]:
                continue
            table = indicators.compute(store, fw["path"], (since, res.year), sid)
            res.files[f"indicators-{fw['id']}"] = write_frame(table.frame, s.out_dir / f"indicators-{fw['id']}.csv",
                                                              store)
            res.frameworks.append(fw["id"])
        done("indicators")
        res.evaluation = evaluation.evaluate(store, s.framework, res.year, sid, runs=s.runs, seed=42,
                                             compare=evaluation.other_scoring(s.framework))
        res.files["evaluation"] = write_frame(res.evaluation.table, s.out_dir / f"evaluation-{res.year}.csv", store)
        if res.evaluation.companion_id is not None:  # both rankings are published with their intervals
            res.companion_intervals = evaluation.uncertainty(store, res.evaluation.companion_id, runs=s.runs,
                                                             seed=42, save=True).summary
        done("evaluate")
        res.management = evaluation.dynamic_management(store, s.framework, range(since, res.year + 1), sid)
        done("manage")
        res.explanation = _explain_one(store, res)
        done("explain")
        _enterprises(store, res)
        done("enterprises")
        parts = []
        for packaged in ("fyp14-national", "example-zone"):
            parts.append(monitoring.monitor(store, res.year, monitoring.load_targets(packaged=packaged), "annual", sid))
        res.monitoring = pd.concat(parts, ignore_index=True)
        done("monitor")
    return res


WARNED = ("warning_interview", "warning_notice", "exit_recommended")


def _explain_one(store: Store, res: DemoResult) -> Explanation | None:
    """Why one zone moved since last year: the first on a warning list (it will ask), else the leader."""
    from gaoxin.services.explain import explain

    run = res.evaluation
    if run is None or res.year <= res.settings.years[0]:
        return None
    lists = res.management.lists if res.management is not None else None
    warned = lists[lists["status"].isin(WARNED)]["zone_id"].tolist() if lists is not None else []
    ranked = run.table.dropna(subset=["rank"]).sort_values("rank")["zone_id"].tolist()
    zone = next((z for z in warned if z in ranked), ranked[0] if ranked else None)
    if zone is None:
        return None
    return explain(store, zone, evaluation=run.id, vs=res.year - 1, save=True)


def _enterprises(store: Store, res: DemoResult) -> None:
    """Tiers with near misses, innovation points and one chain's gaps for the explained zone, stored."""
    from gaoxin.services import chains, mujun, points, tiers

    zone = res.explanation.zone_id if res.explanation is not None else None
    if zone is None and res.evaluation is not None:
        zone = res.evaluation.table.sort_values("rank")["zone_id"].iloc[0]
    if zone is None:
        return
    res.enterprise_zone = zone
    res.tiers = tiers.tiers(store, res.year, zone=zone, save=True)
    res.points = points.points(store, res.year, zone=zone, save=True)
    first = chains.list_chains()[0]["id"]
    res.chain = chains.chain_gaps(store, first, zone, res.year, viewer=f"zone:{zone}", save=True)
    res.mujun = mujun.mujun(store, res.year, zone=zone, save=True)


@dataclass(frozen=True)
class DemoLogin:
    name: str
    role: str
    scope: str  # the zones or provinces served ("" for admin, national, viewer)
    password: str


def demo_logins(db_file: Path, res: DemoResult) -> list[DemoLogin]:
    """One account per role on the demo store (generated passwords, shown once), and the demo's results
    published, so that the ``viewer`` and ``bank`` roles see the ranking and the zone's 积分贷 list."""
    from gaoxin.services import accounts, publishing
    from gaoxin.services.access import Access

    zone = res.enterprise_zone
    with Store(db_file, "write") as store:
        province = dict(zip(*(store_snapshots.zones(store.con, store_snapshots.latest(store.con))[c]
                              for c in ("zone_id", "province_code")), strict=True)).get(zone, "")
        plan = [("admin", "admin", [], []), ("national", "national", [], []),
                ("province", "province", [], [province]), ("zone", "zone", [zone], []),
                ("bank", "bank", [zone], []), ("viewer", "viewer", [], [])]
        logins = []
        for name, role, zones, provinces in plan:
            if role in ("province", "zone", "bank") and not (zones or provinces)[0]:
                continue  # no analysed zone in a tiny demo: no zone-scoped accounts
            password = accounts.generate_password()
            accounts.add_user(store, f"demo-{name}", role, password, zones or None, provinces or None)
            logins.append(DemoLogin(f"demo-{name}", role, ",".join(zones or provinces), password))
        admin = Access("demo-admin", "admin")
        if res.evaluation is not None:
            publishing.publish(store, admin, "evaluation", publishing.evaluation_key(res.evaluation.id))
        if res.points is not None and zone:
            publishing.publish(store, admin, "points", publishing.points_key(zone, res.year, res.points.rules_hash))
    return logins
