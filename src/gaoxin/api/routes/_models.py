"""Response models of the read routes, for the OpenAPI schema (the routes return pre-serialised JSON, so these
document the answer without a second validation pass; ``extra="allow"``: answers may carry more fields)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EvaluationInfo(_Open):
    id: int
    framework_id: str | None = None
    year: int
    snapshot: int
    config_name: str | None = None
    config_hash: str | None = None
    created_at: str | None = None
    companion_id: int | None = None


class Pillar(_Open):
    code: str
    name_zh: str
    name_en: str


class RankingRow(_Open):
    zone_id: str
    name: str | None = None
    province_code: str | None = None
    region: str | None = None
    score: float | None = None
    rank: int | None = None
    rank_p05: float | None = None
    rank_p95: float | None = None
    rank_change: float | None = None
    companion_score: float | None = None
    companion_rank: float | None = None
    grade: str | None = None
    type: str | None = None
    pillars: dict[str, float | None] = {}


class Ranking(_Open):
    evaluation: EvaluationInfo
    rows: list[RankingRow]
    pillars: list[Pillar]


class KeyFigure(_Open):
    code: str
    label_zh: str
    label_en: str
    value: float | None = None
    unit: str


class ProvinceTile(_Open):
    code: str
    name: str
    row: int
    col: int
    zones: int
    mean_score: float | None = None


class RegionRow(_Open):
    region: str
    label: str
    zones: int
    mean_score: float | None = None
    median_score: float | None = None


class Overview(_Open):
    year: int
    key_figures: list[KeyFigure]
    provinces: list[ProvinceTile]
    regions: list[RegionRow]


class IndicatorRow(_Open):
    code: str
    name_zh: str
    name_en: str
    unit: str | None = None
    value: float | None = None
    rank: int | None = None
    percentile: float | None = None
    gap: float | None = None
    score_gap: float | None = None
    pillar: str | None = None


class ProfilePillar(_Open):
    code: str
    score: float | None = None
    region_median: float | None = None
    national_median: float | None = None


class Profile(_Open):
    zone: dict
    evaluation: EvaluationInfo
    pillars: list[ProfilePillar]
    indicators: list[IndicatorRow]
    strengths: list[dict]
    weaknesses: list[dict]
    series: list[dict]
    warnings: list[dict]
    plan: list[dict]


class EnterpriseRow(_Open):
    credit_code: str
    name: str | None = None
    zone_id: str | None = None
    industry_code: str | None = None
    revenue: float | None = None
    employees: float | None = None
    rd_intensity: float | None = None
    tiers: list[str] = []
    points: float | None = None
    points_band: str | None = None
    mujun_grade: str | None = None


class EnterprisePage(_Open):
    total: int
    page: int
    page_size: int
    rows: list[EnterpriseRow]


class Page(_Open):
    total: int
    page: int
    page_size: int
    rows: list[dict]


def doc(model: type[BaseModel]) -> dict:
    """``responses=`` argument documenting a 200 answer as ``model``."""
    return {200: {"model": model, "description": "OK"}}
