"""Build the content of an annual monitoring report from one stored evaluation run (issue #11; docs/reports.md).

``build_report(store, evaluation_id, scope, audience, lang)`` returns a format-free
:class:`~gaoxin.services.report_model.ReportContent`; the PDF, Word and Excel renderers lay it out.

- Every number comes from the stored run (scores, ranks, intervals, companion), the stored explanations
  and plan monitoring of its snapshot — read through the services the web pages use, no SQL here.
- The audience is an :class:`~gaoxin.services.access.Access`: ``public`` (the default) is a ``viewer``: only a
  published evaluation, and every enterprise aggregate through disclosure control. ``ROLE[:ZONES]`` builds
  the role's access; what it may not see (another zone's firms, suppressed cells) never enters the content.
- Every enterprise aggregate of the report is protected in one call (``services.report_sdc``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from gaoxin.services.access import ROLES, Access
from gaoxin.services.errors import InputError
from gaoxin.services.report_model import ReportContent, ReportMeta, Section
from gaoxin.services.report_parts import Lang, tr

if TYPE_CHECKING:
    from gaoxin.services import Store

__all__ = ["FORMATS", "ReportRequest", "audience_access", "build_report", "default_name", "export_report",
           "parse_scope"]


class ReportRequest(BaseModel):
    """What to report: a stored evaluation, a scope, an audience and a language (validated)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    evaluation_id: int
    scope: str = "national"
    audience: str = "public"
    lang: Literal["zh", "en"] = "zh"

    @field_validator("scope")
    @classmethod
    def _scope(cls, v: str) -> str:
        parse_scope(v)
        return v.strip()

    @field_validator("audience")
    @classmethod
    def _audience(cls, v: str) -> str:
        audience_access(v)
        return v.strip()


def parse_scope(scope: str) -> tuple[str, str | None]:
    """``national`` | ``province:CODE`` (GB/T 2260, two digits used) | ``zone:ID`` → (kind, value)."""
    s = (scope or "").strip()
    kind, _, value = s.partition(":")
    if s == "national":
        return "national", None
    if kind in ("province", "zone") and value.strip():
        v = value.strip()
        if kind == "province" and not (v.isdigit() and len(v) in (2, 6)):
            raise InputError(f"省份代码应为 GB/T 2260 的 2 位或 6 位数字：{v} / a province code is 2 or 6 GB/T 2260 "
                             f"digits, not {v!r}")
        return kind, v[:2] if kind == "province" else v
    raise InputError(f"报告范围无效：{scope!r}（应为 national、province:代码 或 zone:园区代码）/ invalid --scope "
                     f"{scope!r}: use national, province:CODE or zone:ID")


def audience_access(audience: str) -> Access:
    """``public`` → a viewer; ``ROLE[:A,B]`` → that role with zones (zone, bank) or provinces (province)."""
    a = (audience or "").strip()
    if a in ("", "public"):
        return Access("report:public", "viewer")
    role, _, rest = a.partition(":")
    if role not in ROLES:
        raise InputError(f"读者角色无效：{role!r}（可用：public、{'、'.join(ROLES)}）/ unknown --audience role "
                         f"{role!r}; use public or one of {', '.join(ROLES)}")
    items = frozenset(x.strip() for x in rest.split(",") if x.strip())
    if role in ("zone", "bank") and not items:
        raise InputError(f"角色 {role} 需要园区：--audience {role}:GX001 / role {role} needs its zones, e.g. "
                         f"--audience {role}:GX001")
    if role == "province":
        if not items or not all(p.isdigit() and len(p) in (2, 6) for p in items):
            raise InputError("角色 province 需要省份代码：--audience province:44 / role province needs GB/T 2260 "
                             "codes, e.g. --audience province:44")
        return Access(f"report:{a}", "province", provinces=frozenset(p[:2] for p in items))
    return Access(f"report:{a}", role, zones=items if role in ("zone", "bank") else frozenset())


def build_report(store: Store, evaluation_id: int, scope: str = "national", audience: str = "public",
                 lang: Lang = "zh") -> ReportContent:
    """The report of stored evaluation ``evaluation_id`` for ``scope``, written for ``audience`` in ``lang``."""
    from pydantic import ValidationError

    try:
        req = ReportRequest(evaluation_id=evaluation_id, scope=scope, audience=audience, lang=lang)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"报告参数 {where} 无效：{first['msg']} / invalid report parameter {where}: "
                         f"{first['msg']}") from None
    return _build(store, req)


def _build(store: Store, req: ReportRequest) -> ReportContent:
    import gaoxin
    from gaoxin.services import overview
    from gaoxin.services import report_chapters as ch
    from gaoxin.services import report_zones as rz
    from gaoxin.services.report_sdc import aggregates

    access = audience_access(req.audience)
    eid, lang = req.evaluation_id, req.lang
    try:
        overview.check_visible(store, eid, access.published_only)
    except overview.NotFound:
        pub = "（公开报告只含已发布的评价：gaoxin publish evaluation ID）" if access.published_only else ""
        pub_en = " (a public report holds published evaluations only: gaoxin publish evaluation ID)" \
            if access.published_only else ""
        raise InputError(f"评价 {eid} 不存在或未发布{pub} / evaluation {eid} not found or not published{pub_en}") \
            from None
    info = overview.evaluation_info(store, eid)
    fw = overview.evaluation_framework(store, eid)
    ranking = overview.ranking_table(store, eid)
    kind, value = parse_scope(req.scope)
    zones_all = overview.zones(store, info["snapshot"])
    in_scope = _scope_zones(ranking, kind, value)
    ctx = ch.Context(store=store, access=access, lang=lang, eid=eid, info=info, fw=fw, ranking=ranking,
                     kind=kind, value=value, zones=in_scope, zone_rows=zones_all,
                     agg=aggregates(store, access, info["snapshot"], info["year"], zones_all))
    sections: list[Section] = [ch.cover(ctx), ch.summary(ctx), ch.method(ctx)]
    if kind == "zone":
        sections += [rz.zone_section(ctx, in_scope[0], own=True), ch.targets(ctx)]
    else:
        sections += [ch.ranking(ctx), ch.regions(ctx), ch.classification(ctx), ch.warnings(ctx), ch.targets(ctx)]
        rz.prepare_explanations(ctx)
        sections += [rz.zone_section(ctx, z, own=False) for z in in_scope]
    sections.append(ch.annex(ctx))
    title = ch.title(ctx)
    meta = ReportMeta(title=title, subtitle=ch.subtitle(ctx), scope=req.scope, audience=req.audience,
                      lang=lang, year=int(info["year"]), evaluation_id=eid, snapshot_id=int(info["snapshot"]),
                      config_hash=str(info["config_hash"]), framework=str(info["framework_id"]),
                      generated_by=f"gaoxin {gaoxin.__version__}")
    return ReportContent(meta=meta, sections=sections)


def _scope_zones(ranking: Any, kind: str, value: str | None) -> list[str]:
    """Zone ids of the scope in rank order; a scope with no evaluated zone is the user's error."""
    if kind == "national":
        return ranking["zone_id"].astype(str).tolist()
    if kind == "province":
        hit = ranking[ranking["province_code"].astype(str).str[:2] == value]
        if hit.empty:
            raise InputError(f"该评价没有省份 {value} 的园区 / the evaluation ranks no zone of province {value}")
        return hit["zone_id"].astype(str).tolist()
    hit = ranking[ranking["zone_id"].astype(str) == value]
    if hit.empty:
        raise InputError(f"园区 {value} 未参加该评价 / zone {value} is not in this evaluation")
    return [str(value)]


def scope_label(kind: str, value: str | None, lang: Lang, names: dict[str, str]) -> str:
    if kind == "national":
        return tr(lang, "全国", "National")
    if kind == "province":
        return f"{names.get(value or '', value)}" if lang == "zh" else f"Province {value} ({names.get(value or '')})"
    return names.get(value or "", value or "")


FORMATS = ("pdf", "xlsx", "docx")


def default_name(content: ReportContent, fmt: str) -> str:
    """``报告-2024-national-e1-zh.pdf``: year, scope, run and language, so two reports never collide."""
    m = content.meta
    scope = m.scope.replace(":", "-")
    aud = "" if m.audience == "public" else "-" + m.audience.replace(":", "-").replace(",", "+")
    return f"report-{m.year}-{scope}-e{m.evaluation_id}{aud}-{m.lang}.{fmt}"


def export_report(content: ReportContent, path: Path, fmt: str, db: Path | None,
                  write: Callable[[ReportContent, Path], object]) -> Path:
    """Write ``content`` with ``write`` (a renderer of ``gaoxin.report``) to ``path``: into a temporary file
    beside it, audited as an export (run, scope, audience, content hash), then renamed — whole or not at all,
    never over the store (``services.export``)."""
    import os

    from gaoxin.services.export import ExportError, record, replacing
    from gaoxin.store.db import db_path

    if fmt not in FORMATS:
        raise InputError(f"报告格式须为 {' | '.join(FORMATS)} / --format must be one of {', '.join(FORMATS)}: {fmt}")
    if path.suffix.lower() != f".{fmt}":
        raise ExportError(f"输出文件扩展名应为 .{fmt} / --out must end in .{fmt} for --format {fmt}: {path}")
    store_file = db_path(db)
    if Path(os.path.realpath(path)) in (Path(os.path.realpath(store_file)),
                                        Path(os.path.realpath(store_file)).with_name(store_file.name + ".wal")):
        raise ExportError(f"输出文件不能是数据库本身 / the output would overwrite the store: {path}")
    m = content.meta
    with replacing(path) as tmp:
        write(content, tmp)
        record(store_file, "export", str(path), kind="report", format=fmt, evaluation=m.evaluation_id,
               scope=m.scope, audience=m.audience, lang=m.lang, content_hash=content.content_hash())
    return path
