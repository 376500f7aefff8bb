"""Innovation points (创新积分制) of a snapshot's year: ranked lists, top bands, bank export, back-test, storage.

Indicator values and the scoring are one query of the query compiler at the enterprise-year unit
(:mod:`gaoxin.analysis.points`); the back-test works on the per-firm result in pandas. Storing is explicit
(``save=True``), per snapshot, year and rule-file hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gaoxin.store.db import Store

if TYPE_CHECKING:
    import os

    import pandas as pd

# bank export (积分贷): Chinese headers of the published list
BANK_COLUMNS = {"rank": "组内排名", "credit_code": "统一社会信用代码", "name": "企业名称", "zone_id": "园区代码",
                "band_zh": "营收规模组", "points": "创新积分", "top_band_zh": "积分档次", "revenue": "营业收入（千元）",
                "rd_intensity": "研发投入强度", "valid_invention_patents": "有效发明专利数",
                "revenue_growth": "营业收入增长率", "equity_financing": "股权融资额（千元）"}


@dataclass
class PointsResult:
    """Points per enterprise of one year, the rule that made them and the back-test (JSON via :meth:`to_dict`)."""

    snapshot: int
    year: int
    zone: str | None
    rule_id: str
    rule_version: str
    rules_hash: str
    indicators_verified: bool
    frame: pd.DataFrame  # one row per enterprise: keys, name, band, points, rank, top_band, pts_<code>, values
    indicators: list[dict[str, Any]]  # code, group, name_zh, name_en, unit, reference, weight
    backtest: pd.DataFrame | None = None
    saved: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "year": self.year, "zone": self.zone, "rule_id": self.rule_id,
                "rule_version": self.rule_version, "rules_hash": self.rules_hash,
                "indicators_verified": self.indicators_verified, "counts": self.counts, "saved": self.saved,
                "indicators": self.indicators, "enterprises": _records(self.frame),
                "backtest": None if self.backtest is None else _records(self.backtest)}

    def bank_list(self, top_only: bool = True) -> pd.DataFrame:
        """The published list for 积分贷: ranked firms (top 20 % by default) with key indicators, Chinese headers."""
        f = self.frame
        if top_only:
            f = f[f["top_band"].isin(["top5", "top5_10", "top10_20"])]
        cols = [c for c in BANK_COLUMNS if c in f.columns]
        return f[cols].rename(columns=BANK_COLUMNS).reset_index(drop=True)

    def sheets(self) -> dict[str, pd.DataFrame]:
        import pandas as pd

        out = {"积分 points": self.frame, "指标 indicators": pd.DataFrame(self.indicators)}
        if self.backtest is not None:
            out["回测 backtest"] = self.backtest
        out["来源 provenance"] = pd.DataFrame([{"snapshot": self.snapshot, "year": self.year, "rule": self.rule_id,
                                               "version": self.rule_version, "rules_sha256": self.rules_hash,
                                               "indicators_verified": self.indicators_verified}])
        return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    import math

    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if (v is None or (isinstance(v, float) and math.isnan(v)) or v is _na()) else
                        (v.item() if hasattr(v, "item") else v)) for k, v in r.items()})
    return out


def _na() -> Any:
    import pandas as pd

    return pd.NA


def points(store: Store, year: int, *, rules_path: str | os.PathLike | None = None, zone: str | None = None,
           snapshot: str | int | None = None, backtest: bool = False, save: bool = False) -> PointsResult:
    """Innovation points of every enterprise of ``year`` (or of ``zone``), ranked within zone × revenue band.

    One query: the rule's indicator formulas and the scoring (:func:`gaoxin.analysis.points.result_expr`),
    compiled once per rule file, year and zone and run by the store's DuckDB.
    """
    from gaoxin.analysis import points as ap
    from gaoxin.config import ConfigError
    from gaoxin.indicators.compute import compute_indicators
    from gaoxin.services.errors import InputError, check_year_values
    from gaoxin.store import points as sp
    from gaoxin.store.snapshots import resolve

    check_year_values(year)
    try:
        rules, digest = ap.load_rules(rules_path)
    except ConfigError as e:
        raise InputError(str(e).splitlines()[0] + " " + "; ".join(e.problems)) from None
    except OSError as e:
        raise InputError(f"无法读取积分规则文件 / cannot read the points rule {rules_path}: {e.strerror}") from None
    sid = resolve(store.con, snapshot)
    frame = ap.compute_points(store.cursor(), rules, (year, year), sid, zone, rules_hash=digest)
    if frame.empty:
        if zone is not None:
            raise InputError(f"园区{zone}在{year}年没有企业数据 / zone {zone} has no enterprise rows in {year}")
        raise InputError(f"快照{sid}没有{year}年的企业数据 / snapshot {sid} holds no enterprise rows for {year}")
    inds = [{"code": i.code, "group": i.group, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit,
             "reference": i.reference, "weight": i.weight} for i in rules.indicator]
    bt = None
    if backtest:
        rev_fw = _framework_revenue()
        rev = compute_indicators(store.cursor(), rev_fw, (year, year + 3), sid, unit="enterprise-year")
        bt = ap.backtest(frame, rev[["credit_code", "year", "revenue"]], year)
    counts = {str(k): int(v) for k, v in frame["top_band"].value_counts().sort_index().items()}
    res = PointsResult(sid, year, zone, rules.rule.id, rules.rule.version, digest, rules.rule.indicators_verified,
                       frame, inds, bt, counts=counts)
    if save:
        sp.save(store.con, sid, year, digest, rules.rule.id, frame)
        res.saved = True
    return res


def _framework_revenue() -> Any:
    from gaoxin.indicators.framework import parse_framework

    return parse_framework({"framework": {"id": "points-backtest", "name_zh": "积分回测营业收入",
                                          "name_en": "Revenue for the points back-test", "version": "1",
                                          "source": "docs/innovation-points.md"},
                            "pillar": [{"code": "g", "name_zh": "营业收入", "name_en": "Revenue"}],
                            "indicator": [{"code": "revenue", "parent": "g", "name_zh": "营业收入",
                                           "name_en": "Revenue", "formula": "sum(revenue)",
                                           "source": "data contract"}]}, "<points backtest>")


def stored(store: Store, snapshot: int, year: int, rules_hash: str) -> pd.DataFrame:
    """Stored points of ``year`` of ``snapshot`` under the rule file with SHA-256 ``rules_hash``."""
    from gaoxin.store import points as sp

    return sp.load(store.con, snapshot, year, rules_hash)
