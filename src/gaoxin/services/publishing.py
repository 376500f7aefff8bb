"""Publishing (issue #10 §3): an admin, national or province user releases a result to ``viewer`` and ``bank``.

Three kinds, each with one canonical key string (build them with the ``*_key`` helpers, so every caller
spells a key the same way):

- ``evaluation`` — key ``"17"`` (the evaluation id): its ranking, scores and rank intervals;
- ``points`` — key ``"GX001:2024:<rules sha256>"`` (zone, year, rule-file hash): that zone's 积分贷 list;
  a hash prefix of ≥ 8 hex digits is resolved against the stored lists;
- ``aggregate`` — key ``"NAME:SCOPE[:PART…]"``, SCOPE one of ``national``, ``province-44`` or a zone id:
  an aggregate table (industry structure, tier funnel counts …), e.g. ``"industry:GX001:2024"``.

A province user may publish (and revoke) only what covers nothing but its provinces' zones. Publishing
is audited and revocable; a revoked publication keeps its row. Publishing what is already published
returns the existing publication (idempotent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from gaoxin.services.access import Access, zone_provinces
from gaoxin.services.errors import InputError

if TYPE_CHECKING:
    import datetime as dt

    from gaoxin.services import Store

Kind = Literal["evaluation", "points", "aggregate"]
KINDS: tuple[Kind, ...] = ("evaluation", "points", "aggregate")
PUBLISHERS = frozenset({"admin", "national", "province"})
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_PART = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_HEX = re.compile(r"^[0-9a-f]{8,64}$")


class NotAllowed(InputError):
    """The user's role or scope does not allow this publishing act (HTTP 403)."""


class PublicationNotFound(InputError):
    """No publication with that id (HTTP 404)."""


@dataclass(frozen=True)
class Publication:
    id: int
    kind: str
    key: str
    zones: tuple[str, ...] | None  # zones the published thing covers; None = all (national)
    by: str
    at: dt.datetime
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "key": self.key,
                "zones": None if self.zones is None else list(self.zones), "by": self.by,
                "at": self.at.isoformat(), "revoked_by": self.revoked_by,
                "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat()}


def evaluation_key(evaluation_id: int) -> str:
    return str(int(evaluation_id))


def points_key(zone: str, year: int, rules_hash: str) -> str:
    return f"{zone}:{int(year)}:{rules_hash}"


def aggregate_key(name: str, scope: str, *parts: object) -> str:
    return ":".join([name, scope, *(str(p) for p in parts)])


def parse_points_key(key: str) -> tuple[str, int, str]:
    """``"GX001:2024:abc…"`` → (zone, year, rules hash); a clear error otherwise."""
    parts = key.split(":")
    if len(parts) != 3 or not _PART.match(parts[0]) or not parts[1].isdigit() or not _HEX.match(parts[2]):
        raise InputError(f"积分名单的键应为 园区:年份:规则哈希 / a points key is ZONE:YEAR:RULES_HASH "
                         f"(hash ≥ 8 hex digits), not {key!r}")
    return parts[0], int(parts[1]), parts[2]


def _row(r: dict[str, Any]) -> Publication:
    import json

    import pandas as pd

    def ts(v: Any) -> Any:
        return None if v is None or v is pd.NaT or (not isinstance(v, str) and pd.isna(v)) else pd.Timestamp(
            v).to_pydatetime()

    def s(v: Any) -> str | None:
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    zones = s(r["zones"])
    return Publication(int(r["id"]), str(r["kind"]), str(r["pub_key"]),
                       None if zones is None else tuple(json.loads(zones)), str(r["published_by"]),
                       ts(r["published_at"]), s(r["revoked_by"]), ts(r["revoked_at"]))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InputError(f"未知的发布类型 {kind!r}，可选 {', '.join(KINDS)} / unknown publication kind {kind!r}; "
                         f"kinds: {', '.join(KINDS)}")


def resolve(store: Store, kind: str, key: str) -> tuple[str, tuple[str, ...] | None]:
    """The canonical key of (kind, key) and the zones it covers; errors name what is missing."""
    from gaoxin.store import publications as pubs

    _check_kind(kind)
    con = store.cursor()
    key = str(key).strip()
    if kind == "evaluation":
        if not key.isdigit():
            raise InputError(f"评价的键应为评价编号 / an evaluation key is its id, not {key!r}")
        zones = pubs.evaluation_zones(con, int(key))
        if zones is None:
            raise InputError(f"评价 {key} 不存在 / evaluation {key} not found (gaoxin evaluations)")
        return evaluation_key(int(key)), tuple(zones)
    if kind == "points":
        zone, year, prefix = parse_points_key(key)
        hashes = pubs.points_hashes(con, zone, year, prefix)
        if len(hashes) != 1:
            why = ("未存储 / not stored (gaoxin points --save)" if not hashes
                   else "哈希前缀不唯一 / hash prefix ambiguous")
            raise InputError(f"积分名单 {key}：{why}")
        return points_key(zone, year, hashes[0]), (zone,)
    parts = key.split(":")
    if len(parts) < 2 or not _NAME.match(parts[0]) or not all(_PART.match(p) for p in parts[1:]):
        raise InputError(f"汇总表的键应为 名称:范围[:…]（范围 national、province-44 或园区代码）/ an aggregate key is "
                         f"NAME:SCOPE[:PART…] (SCOPE national, province-44 or a zone id), not {key!r}")
    scope = parts[1]
    if scope == "national":
        return key, None
    provinces = zone_provinces(store)
    if scope.startswith("province-"):
        code = scope.removeprefix("province-")
        zones = tuple(sorted(z for z, p in provinces.items() if p == code))
        if not zones:
            raise InputError(f"省份 {code} 没有园区 / no zone in province {code}")
        return key, zones
    if scope not in provinces:
        raise InputError(f"园区 {scope} 不存在 / zone {scope} not found")
    return key, (scope,)


def _may_act(store: Store, access: Access, zones: tuple[str, ...] | None) -> None:
    if access.role not in PUBLISHERS:
        raise NotAllowed(f"角色 {access.role} 无权发布或撤销 / role {access.role} may not publish or revoke")
    if access.role == "province":
        provinces = zone_provinces(store)
        outside = ["全国 / national"] if zones is None else [z for z in zones if provinces.get(z) not in
                                                             access.provinces]
        if outside:
            listed = ", ".join(outside[:5])
            raise NotAllowed(f"省级用户只能发布本省园区的结果，超出范围：{listed} / a province user may publish only "
                             f"its provinces' zones; outside: {listed}")


def publish(store: Store, access: Access, kind: str, key: str) -> Publication:
    """Publish (kind, key) as ``access``; the existing publication if it is already published."""
    from gaoxin.store import publications as pubs

    canonical, zones = resolve(store, kind, key)
    _may_act(store, access, zones)
    current = pubs.active(store.cursor(), kind, canonical)
    if current is not None:
        return _row(current)
    store.require_write()
    pid = pubs.insert(store.con, kind, canonical, None if zones is None else list(zones), access.user)
    return get(store, pid)


def get(store: Store, publication_id: int) -> Publication:
    from gaoxin.store import publications as pubs

    r = pubs.get(store.cursor(), int(publication_id))
    if r is None:
        raise PublicationNotFound(f"发布记录 {publication_id} 不存在 / publication {publication_id} not found")
    return _row(r)


def revoke(store: Store, access: Access, publication_id: int) -> Publication:
    """Revoke publication ``publication_id`` as ``access`` (a province user: only its provinces'); idempotent."""
    from gaoxin.store import publications as pubs

    p = get(store, publication_id)
    _may_act(store, access, p.zones)
    if p.active:
        store.require_write()
        pubs.revoke(store.con, p.id, access.user)
    return get(store, p.id)


def is_published(store: Store, kind: str, key: str) -> bool:
    """Whether (kind, key) has an unrevoked publication; ``key`` as the ``*_key`` helpers build it."""
    from gaoxin.store import publications as pubs

    _check_kind(kind)
    return pubs.active(store.cursor(), kind, str(key)) is not None


def published(store: Store, kind: str | None = None) -> list[Publication]:
    """The unrevoked publications (of one kind), oldest first."""
    from gaoxin.store import publications as pubs

    if kind is not None:
        _check_kind(kind)
    return [_row(r) for r in pubs.listing(store.cursor(), kind, include_revoked=False).to_dict("records")]


def publications(store: Store, kind: str | None = None) -> list[Publication]:
    """Every publication, revoked ones included (the history), oldest first."""
    from gaoxin.store import publications as pubs

    if kind is not None:
        _check_kind(kind)
    return [_row(r) for r in pubs.listing(store.cursor(), kind).to_dict("records")]


def may_see(store: Store, access: Access, kind: str, key: str) -> bool:
    """``viewer`` and ``bank`` see only published results; every other role sees them all."""
    return not access.published_only or is_published(store, kind, key)


def published_points(store: Store, zones: frozenset[str] | set[str] | None = None) -> list[tuple[str, int, str]]:
    """(zone, year, rules hash) of the published points lists, optionally only of ``zones`` (a bank's)."""
    out = [parse_points_key(p.key) for p in published(store, "points")]
    return [t for t in out if zones is None or t[0] in zones]


def operator() -> Access:
    """Who acts on the command line: the login name, as ``admin`` — whoever may open the store file for
    writing may change it anyway (docs/disclosure.md); the web decides roles by account."""
    from gaoxin.store.audit import current_user

    return Access(current_user(), "admin")
