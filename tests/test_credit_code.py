"""统一社会信用代码 check (GB 32100-2015) against the public codes in shared/domain.md."""

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaoxin.ingest.credit_code import (
    ALPHABET,
    WEIGHTS,
    check_char,
    is_valid,
    make_codes,
    org_code_check_char,
    sql_is_valid,
    valid_mask,
    why_invalid,
)

PUBLIC = ["91440300192317458F", "91350900587527783P"]  # 比亚迪, 宁德时代


def corruptions(code: str) -> list[str]:
    """Every code differing from ``code`` in exactly one character (within the alphabet)."""
    return [code[:i] + ch + code[i + 1 :] for i in range(18) for ch in ALPHABET if ch != code[i]]


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", PUBLIC)
def test_public_codes_valid(code):
    assert is_valid(code)
    assert why_invalid(code) is None
    assert check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", PUBLIC)
def test_every_single_character_corruption_is_invalid(code):
    bad = corruptions(code)
    assert len(bad) == 18 * 30
    # the check is a weighted sum mod 31 with weights coprime to 31: any single substitution changes it
    assert not any(is_valid(b) for b in bad)
    assert not valid_mask(bad).any()


@pytest.mark.parametrize("code", PUBLIC)
def test_inner_org_code_check(code):
    # positions 9-17 are the GB 11714 organisation code with its own check character
    assert org_code_check_char(code[8:16]) == code[16]


def test_reasons():
    assert "length" in why_invalid("9144030019231745")
    assert "not allowed" in why_invalid("91440300192317458I")
    assert "'F'" in why_invalid("91440300192317458E")
    assert why_invalid("") == "missing"


def test_vectorised_and_sql_agree_with_scalar():
    rng = np.random.default_rng(0)
    good = list(make_codes(rng, np.array(["440300", "110108", "320500"] * 50)))
    bad = [c[:17] + ALPHABET[(ALPHABET.index(c[17]) + 1) % 31] for c in good]
    junk = ["", "abc", "91440300192317458f", "９1440300192317458F", None, "O" * 18]
    codes = good + bad + junk
    scalar = np.array([is_valid(c) for c in codes])
    assert scalar[: len(good)].all() and not scalar[len(good) :].any()
    np.testing.assert_array_equal(valid_mask(codes), scalar)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, c VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(codes)))
    sql = con.execute(f"SELECT coalesce({sql_is_valid('c')}, false) FROM t ORDER BY i").fetchall()
    np.testing.assert_array_equal(np.array([r[0] for r in sql]), scalar)


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_check_char_makes_any_body_valid(body):
    assert is_valid(body + check_char(body))
