"""Realistic defects injected into synthetic enterprise rows (``generate(dirty=p)``).

Each kind mimics a mistake seen in real statistical returns, so that the
ingest stage can be exercised on it: some must be rejected (bad check digit,
blank or negative required value, duplicate key), some only warned about
(unit mix-up) and some must be repaired silently (full-width digits,
thousands separators).  The plan is computed on numbers and applied as text,
so the CSV and the xlsx writers share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaoxin.ingest.credit_code import ALPHABET

KINDS = (
    "bad_check_digit",  # last character of credit_code changed: rejected
    "unit_mixup",  # revenue written in 元 under a 千元 header (×1000): warning only
    "fullwidth_digits",  # '１２３４．５' in revenue or employees: valid after NFKC
    "blank_required",  # revenue or employees left blank: rejected
    "duplicate_row",  # the same (credit_code, year) row twice: both rejected
    "negative_value",  # negative revenue or employees: rejected
    "thousands_separator",  # '1,234.5' in revenue: valid
)

_FULLWIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")


@dataclass
class Plan:
    """Defects for one chunk of rows, by row index of the clean chunk."""

    duplicates: np.ndarray  # rows repeated right after themselves
    text: dict[str, dict[int, str | None]] = field(default_factory=dict)  # column -> row -> text
    counts: dict[str, int] = field(default_factory=dict)


def money_text(unscaled: int) -> str:
    """The text of a 1-decimal amount stored as an integer of tenths."""
    sign = "-" if unscaled < 0 else ""
    q, r = divmod(abs(int(unscaled)), 10)
    return f"{sign}{q}.{r}"


def plan(
    rng: np.random.Generator,
    p: float,
    revenue_tenths: np.ndarray,
    employees: np.ndarray,
    codes: np.ndarray,
) -> Plan:
    """Pick a fraction ``p`` of rows and one defect kind for each, kinds equally likely.

    ``revenue_tenths`` is revenue in tenths of 千元 (the written precision),
    ``employees`` integers, ``codes`` the credit codes (str).
    """
    n = len(revenue_tenths)
    hit = np.flatnonzero(rng.random(n) < p)
    kinds = rng.integers(0, len(KINDS), size=len(hit))
    # A thousands separator needs a value of at least 1000.
    k_sep, k_full = KINDS.index("thousands_separator"), KINDS.index("fullwidth_digits")
    kinds[(kinds == k_sep) & (revenue_tenths[hit] < 10_000)] = k_full
    on_revenue = rng.random(len(hit)) < 0.5  # revenue or employees, where the kind allows both
    shift = rng.integers(1, len(ALPHABET), size=len(hit))

    out = Plan(duplicates=hit[kinds == KINDS.index("duplicate_row")])
    rev: dict[int, str | None] = {}
    emp: dict[int, str | None] = {}
    code: dict[int, str | None] = {}
    for row, k, rv, sh in zip(
        hit.tolist(), kinds.tolist(), on_revenue.tolist(), shift.tolist(), strict=True
    ):
        kind = KINDS[k]
        if kind == "bad_check_digit":
            c = str(codes[row])
            code[row] = c[:17] + ALPHABET[(ALPHABET.index(c[17]) + sh) % len(ALPHABET)]
        elif kind == "unit_mixup":
            rev[row] = str(int(revenue_tenths[row]) * 100)  # 千元 -> 元
        elif kind == "fullwidth_digits":
            if rv:
                rev[row] = money_text(revenue_tenths[row]).translate(_FULLWIDTH)
            else:
                emp[row] = str(int(employees[row])).translate(_FULLWIDTH)
        elif kind == "blank_required":
            (rev if rv else emp)[row] = None
        elif kind == "negative_value":
            if rv:
                rev[row] = "-" + money_text(max(int(revenue_tenths[row]), 1))
            else:
                emp[row] = str(-max(int(employees[row]), 1))
        elif kind == "thousands_separator":
            q, r = divmod(int(revenue_tenths[row]), 10)
            rev[row] = f"{q:,}.{r}"
    out.text = {"revenue": rev, "employees": emp, "credit_code": code}
    out.counts = {kind: int((kinds == i).sum()) for i, kind in enumerate(KINDS)}
    return out
