"""Disclosure control for a signed-in user (issue #10 §3, issue #11 §2): who sees which aggregate cells.

Every enterprise-derived magnitude a surface shows — an API response, a page, an export, a report — passes
:func:`protect_for` with the user's :class:`~gaoxin.services.access.Access`. It builds the audience from the one
scoping function (:func:`~gaoxin.services.access.enterprise_zones`): ``admin``/``national`` see every cell,
``province``/``zone`` additionally the cells made only of their own zones' firms, ``bank``/``viewer`` the
public pattern. The attacker coalitions are always the zones and the provinces of the contributions, so
the public pattern (the same for every audience) already holds against every zone and province user
(docs/disclosure.md). Scores and ranks never come here.
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

__all__ = ["COUNT", "PROVINCE_COLUMN", "TOTAL", "Protected", "Table", "audience_zones", "is_suppressed",
           "protect_for", "ratio", "share"]

PROVINCE_COLUMN = "_province"


def audience_zones(store: Store, access: Access, snapshot: int | None = None) -> frozenset[str] | None:
    """The zones whose firms ``access`` may see (None = all): exactly the scoping function's answer."""
    return enterprise_zones(store, access, snapshot)


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
    c = contributions.assign(**{PROVINCE_COLUMN: contributions[zone_column].astype(str).map(provinces)})
    visible = None if zones is None else c[zone_column].astype(str).isin(zones).to_numpy()
    return protect(c, tables, rules=load_rules(rules), visible=visible, contributor=contributor,
                   coalitions=(zone_column, PROVINCE_COLUMN))
