"""统一社会信用代码 (unified social credit code) check, GB 32100-2015.

Three forms of the same rule: a scalar check for messages, a vectorised numpy
check for bulk data, and a DuckDB SQL expression so ingest validates millions
of rows inside the database without a Python loop.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols; I O Z S V never appear
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True if ``code`` is 18 symbols of the alphabet with a correct check character."""
    if not isinstance(code, str) or len(code) != 18 or any(ch not in _VALUE for ch in code):
        return False
    return check_char(code[:17]) == code[17]


def why_invalid(code: str) -> str | None:
    """None if valid, else a short English reason (used in rejection messages)."""
    if not isinstance(code, str) or not code:
        return "missing"
    if len(code) != 18:
        return f"length {len(code)}, expected 18"
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        return f"character '{bad[0]}' not allowed"
    if check_char(code[:17]) != code[17]:
        return f"check character should be '{check_char(code[:17])}'"
    return None


_LUT = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(ALPHABET):
    _LUT[ord(_ch)] = _i


def valid_mask(codes) -> np.ndarray:
    """Vectorised check of an array-like of strings; returns a boolean array."""
    arr = np.asarray(codes, dtype=object)
    out = np.zeros(arr.shape[0], dtype=bool)
    ok_len = np.fromiter((isinstance(c, str) and len(c) == 18 for c in arr), bool, arr.shape[0])
    if not ok_len.any():
        return out
    sub = arr[ok_len].astype("U18")
    u32 = sub.view(np.uint32).reshape(-1, 18)
    ascii_ok = (u32 < 256).all(axis=1)
    vals = _LUT[np.where(u32 < 256, u32, 0)]
    sym_ok = ascii_ok & (vals >= 0).all(axis=1)
    total = (vals[:, :17] * np.asarray(WEIGHTS)).sum(axis=1)
    expected = (31 - total % 31) % 31
    out[np.flatnonzero(ok_len)] = sym_ok & (expected == vals[:, 17])
    return out


def sql_is_valid(col: str) -> str:
    """A DuckDB boolean expression that is true iff column ``col`` is a valid code."""
    terms = " + ".join(
        f"(strpos('{ALPHABET}', substr({col}, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(WEIGHTS)
    )
    return (
        f"(length({col}) = 18 AND regexp_full_match({col}, '[{ALPHABET}]{{18}}') "
        f"AND substr('{ALPHABET}', ((31 - (({terms}) % 31)) % 31) + 1, 1) = substr({col}, 18, 1))"
    )


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character for the 8-character organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(first8, weights, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_codes(rng: np.random.Generator, area_codes: np.ndarray) -> np.ndarray:
    """Valid synthetic codes for enterprises (登记管理部门 9, 机构类别 1) in the given areas.

    ``area_codes`` are 6-digit GB/T 2260 strings. The organisation-code body is
    random digits with its GB 11714 check character, then the GB 32100 check.
    """
    n = len(area_codes)
    bodies = rng.integers(0, 10, size=(n, 8))
    out = np.empty(n, dtype=object)
    for i in range(n):  # only for synthetic data; cost is negligible next to writing files
        body = "".join(map(str, bodies[i]))
        first17 = "91" + area_codes[i] + body + org_code_check_char(body)
        out[i] = first17 + check_char(first17)
    return out
