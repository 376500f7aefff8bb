"""Disclosure control for a signed-in user (issue #10 §3, issue #11 §2): who sees which aggregate cells.

Every enterprise-derived magnitude a surface shows — an API response, a page, an export, a report — passes
:func:`protect_for` with the user's :class:`~gaoxin.services.access.Access`. It builds the audience from the one
scoping function (:func:`~gaoxin.services.access.enterprise_zones`): ``admin``/``national`` see every cell,
``province``/``zone`` additionally the cells made only of their own zones' firms, ``bank``/``viewer`` the
public pattern. The attacker coalitions are always the zones and the provinces of the contributions, and every enabled
account that knows several zones' firms at once (a zone user of two zones, a province user of two provinces, a
bank serving several zones: :func:`account_coalitions`), so the public pattern (the same for every audience)
holds against every user who exists (docs/disclosure.md). Scores and ranks never come here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gaoxin.analysis.disclosure import COUNT, TOTAL, Protected, Table, is_suppressed, load_rules, ratio, share
from gaoxin.services.access import Access, enterprise_zones, zone_provinces

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.services import Store

__all__ = ["COUNT", "PROVINCE_COLUMN", "TOTAL", "Protected", "Table", "account_coalitions", "audience_zones",
           "is_suppressed", "protect_for", "ratio", "share"]

PROVINCE_COLUMN = "_province"
ACCOUNT_COLUMN = "_account"  # one column per account coalition: "account" for its zones' firms, else None


def audience_zones(store: Store, access: Access, snapshot: int | None = None) -> frozenset[str] | None:
    """The zones whose firms ``access`` may see (None = all): exactly the scoping function's answer."""
    return enterprise_zones(store, access, snapshot)


def account_coalitions(store: Store, snapshot: int | None = None) -> list[frozenset[str]]:
    """Zone sets whose firms one enabled account knows together, beyond one zone or one province.

    A user of zones A and B knows both zones' firms; protecting against A and against B separately does not
    stop them combining the two.  Banks count with their zones (they read those zones' published lists).
    Sets equal to a single zone or to a whole province are covered by the zone and province coalitions.
    """
    from gaoxin.store import accounts as rows

    provinces = zone_provinces(store, snapshot)
    by_province: dict[str, set[str]] = {}
    for z, p in provinces.items():
        by_province.setdefault(p, set()).add(z)
    known = {frozenset(v) for v in by_province.values()}
    out: set[frozenset[str]] = set()
    for row in rows.listing(store.con):
        if row.disabled or row.role in ("admin", "national", "viewer"):
            continue
        access = Access(row.name, row.role, frozenset(row.zones), frozenset(row.provinces))  # type: ignore[arg-type]
        zones = frozenset(access.zones) if row.role == "bank" else enterprise_zones(store, access, snapshot)
        if zones is not None and len(zones) > 1 and zones not in known:
            out.add(zones)
    return sorted(out, key=sorted)


def protect_for(store: Store, access: Access, contributions: pd.DataFrame, tables: Table | Sequence[Table], *,
                zone_column: str = "zone_id", contributor: str = "credit_code", rules: str | Path | None = None,
                snapshot: int | None = None) -> Protected:
    """``tables`` over ``contributions`` (one row per firm and classification) as ``access`` may see them.

    Pass every table of one page or report in one call: they are linked (a shared cell is withheld in all).
    """
    from gaoxin.analysis.disclosure import protect
    from gaoxin.services.errors import InputError

    if zone_column not in contributions.columns:
        raise InputError(f"贡献数据缺少园区列 {zone_column} / the contributions lack the zone column {zone_column!r}")
    zones = audience_zones(store, access, snapshot)
    provinces = zone_provinces(store, snapshot)
    zone_ids = contributions[zone_column].astype(str)
    groups = {f"{ACCOUNT_COLUMN}{i}": zone_ids.isin(g).map({True: "account", False: None})
              for i, g in enumerate(account_coalitions(store, snapshot))}
    c = contributions.assign(**{PROVINCE_COLUMN: zone_ids.map(provinces)}, **groups)
    visible = None if zones is None else zone_ids.isin(zones).to_numpy()
    return protect(c, tables, rules=load_rules(rules), visible=visible, contributor=contributor,
                   coalitions=(zone_column, PROVINCE_COLUMN, *groups))
