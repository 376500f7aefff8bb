"""Units of analysis: what one row of an indicator result describes.

The formula language is the same for every unit; the unit decides the grouping
of enterprise rows, the partition along which ``lag`` walks back in years, and
whether zone-fact inputs can create a row.  A unit is a small frozen value so it
can be part of the plan-cache key.  No Ibis here (cheap to import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INDUSTRY_NODE = "industry_node"


@dataclass(frozen=True)
class Unit:
    """``keys`` identify a row (``year`` last); ``carry`` are columns fixed by the keys and kept.

    ``industry_digits`` set means the unit groups by an industry node: today the
    first ``industry_digits`` characters of the GB/T 4754 code (2 = 门类下的大类,
    division).  A later chain-node mapping replaces only how that node column is
    derived (:func:`gaoxin.indicators.query.industry_node`).
    """

    name: str
    keys: tuple[str, ...]
    carry: tuple[str, ...] = ()
    industry_digits: int | None = None

    def __post_init__(self) -> None:
        if not self.keys or self.keys[-1] != "year":
            raise ValueError(f"unit {self.name}: keys must end with 'year', got {self.keys}")
        if self.industry_digits is not None and not 1 <= self.industry_digits <= 4:
            raise ValueError("industry node prefix length must be 1–4 digits (GB/T 4754 codes have 4)")
        if (self.industry_digits is not None) != (INDUSTRY_NODE in self.keys):
            raise ValueError(f"unit {self.name}: '{INDUSTRY_NODE}' key and industry_digits go together")

    @property
    def columns(self) -> tuple[str, ...]:
        """Key columns of the result, then the carried ones (the result's leading columns)."""
        return (*self.keys, *self.carry)

    @property
    def partition(self) -> tuple[str, ...]:
        """Keys other than year: lags look back along year within these."""
        return self.keys[:-1]

    @property
    def group_by(self) -> tuple[str, ...]:
        return (*self.keys, *self.carry)

    @property
    def has_zone(self) -> bool:
        """Whether ``fact()`` and ``zone()`` can be joined (the unit carries zone_id)."""
        return "zone_id" in self.columns

    @property
    def zone_rows(self) -> bool:
        """Zone × year: a zone-year with facts but no enterprise rows still appears."""
        return self.keys == ("zone_id", "year")


ZONE_YEAR = Unit("zone-year", ("zone_id", "year"))
# (credit_code, year) is the store key of enterprise_year, so zone_id is unique per row.
ENTERPRISE_YEAR = Unit("enterprise-year", ("credit_code", "year"), carry=("zone_id",))


def industry_zone_year(digits: int = 2) -> Unit:
    """Industry node × zone × year, the node being the ``digits``-long GB/T 4754 prefix."""
    return Unit(f"industry{digits}-zone-year", ("zone_id", INDUSTRY_NODE, "year"), industry_digits=digits)


def parse_unit(text: str | Unit) -> Unit:
    """``zone-year`` | ``enterprise-year`` | ``industryN-zone-year`` (N = prefix digits, default 2)."""
    if isinstance(text, Unit):
        return text
    if text == ZONE_YEAR.name:
        return ZONE_YEAR
    if text == ENTERPRISE_YEAR.name:
        return ENTERPRISE_YEAR
    m = re.fullmatch(r"industry(\d?)-zone-year", text)
    if m:
        return industry_zone_year(int(m.group(1) or 2))
    raise ValueError(f"unknown unit {text!r}: use zone-year, enterprise-year or industry2-zone-year")
