"""Who may read what: the one scoping function for enterprise-level rows (issue #10 §2).

Every enterprise-level read that reaches a user — API, export, report, search — passes
:func:`enterprise_zones` / :func:`scope_enterprises`; no other code decides it.  Roles:

- ``admin``, ``national``: every zone's enterprises;
- ``province``: enterprises of the zones in its provinces (GB/T 2260 two-digit codes);
- ``zone``: enterprises of its own zones (aggregates of all zones are not enterprise-level);
- ``bank``: no enterprise rows but the published 积分贷 list of the zones it serves;
- ``viewer``: published aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.services import Store

Role = Literal["admin", "national", "province", "zone", "bank", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "national", "province", "zone", "bank", "viewer")
ALL_ENTERPRISES: frozenset[Role] = frozenset({"admin", "national"})


@dataclass(frozen=True)
class Access:
    """A signed-in user as the services see them: name, role and the zones / provinces they serve."""

    user: str
    role: Role
    zones: frozenset[str] = field(default_factory=frozenset)
    provinces: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles: {', '.join(ROLES)}")

    @property
    def sees_all_enterprises(self) -> bool:
        return self.role in ALL_ENTERPRISES

    @property
    def published_only(self) -> bool:
        """``viewer`` and ``bank`` see only what an admin, national or province user has published."""
        return self.role in ("viewer", "bank")


def zone_provinces(store: Store, snapshot: int | None = None) -> dict[str, str]:
    """zone id → province code, as of ``snapshot`` (default latest)."""
    from gaoxin.store import snapshots as snaps

    con = store.cursor()
    sid = snapshot if snapshot is not None else snaps.latest(con)
    if sid is None:
        return {}
    z = snaps.zones(con, sid)
    return dict(zip(z["zone_id"].astype(str), z["province_code"].astype(str), strict=True))


def enterprise_zones(store: Store, access: Access, snapshot: int | None = None) -> frozenset[str] | None:
    """The zones whose enterprise rows ``access`` may read; ``None`` means every zone.

    ``bank`` and ``viewer`` get the empty set: a bank reads the published points list through
    its own service, which checks publication and the bank's zones, never raw enterprise rows.
    """
    if access.sees_all_enterprises:
        return None
    if access.role == "zone":
        return frozenset(access.zones)
    if access.role == "province":
        return frozenset(z for z, p in zone_provinces(store, snapshot).items() if p in access.provinces)
    return frozenset()


def may_read_zone(store: Store, access: Access, zone_id: str, snapshot: int | None = None) -> bool:
    zones = enterprise_zones(store, access, snapshot)
    return zones is None or zone_id in zones


def scope_enterprises(store: Store, access: Access, frame: pd.DataFrame, zone_column: str = "zone_id",
                      snapshot: int | None = None) -> pd.DataFrame:
    """The rows of an enterprise-level ``frame`` that ``access`` may read (a copy; index reset)."""
    zones = enterprise_zones(store, access, snapshot)
    if zones is None:
        return frame.reset_index(drop=True)
    return frame[frame[zone_column].astype(str).isin(zones)].reset_index(drop=True)
