"""GB 11643 identity numbers (ISO 7064 MOD 11-2 check character, real birth date, region prefix) and
masking (R-POP-6), with property-based tests: each violated part is one problem of its own."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from jingwu_population.domain.identity import (
    CHECK_CHARACTERS,
    PROVINCES,
    WEIGHTS,
    birth_date_of,
    check_character,
    identity_number_problems,
    is_male,
    mask_identity_number,
    mask_phone,
    normalise_identity_number,
)

TODAY = date(2026, 3, 2)
provinces = st.sampled_from(sorted(PROVINCES))
regions = st.builds(
    lambda p, c, k: f"{p:02d}{c:02d}{k:02d}", provinces, st.integers(1, 99), st.integers(1, 99)
)
births = st.dates(date(1900, 1, 1), TODAY)
sequences = st.integers(0, 999)


def build(region: str, born: date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


@given(regions, births, sequences)
def test_every_well_formed_number_is_valid(region: str, born: date, sequence: int) -> None:
    number = build(region, born, sequence)
    assert identity_number_problems(number, today=TODAY) == []
    assert birth_date_of(number) == born
    assert is_male(number) == (sequence % 2 == 1)


@given(regions, births, sequences, st.integers(1, 10))
def test_a_wrong_check_character_is_exactly_one_problem(
    region: str, born: date, sequence: int, shift: int
) -> None:
    number = build(region, born, sequence)
    wrong = CHECK_CHARACTERS[(CHECK_CHARACTERS.index(number[-1]) + shift) % 11]
    problems = identity_number_problems(number[:-1] + wrong, today=TODAY)
    assert len(problems) == 1 and "ISO 7064 MOD 11-2" in problems[0]


@given(regions, births, sequences, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_changed_is_caught(
    region: str, born: date, sequence: int, position: int, delta: int
) -> None:
    """MOD 11-2 detects every single-digit error (the weights are non-zero mod 11)."""
    number = build(region, born, sequence)
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert identity_number_problems(changed, today=TODAY)


@given(births, sequences, st.integers(0, 99).filter(lambda p: p not in PROVINCES))
def test_an_unknown_province_is_one_problem(born: date, sequence: int, bad: int) -> None:
    number = build(f"{bad:02d}0101", born, sequence)  # check character recomputed: only the region is wrong
    problems = identity_number_problems(number, today=TODAY)
    assert len(problems) == 1 and "province" in problems[0]


@given(regions, sequences, st.integers(1, 3650))
def test_a_birth_date_in_the_future_is_one_problem(region: str, sequence: int, days: int) -> None:
    number = build(region, TODAY + timedelta(days=days), sequence)
    assert identity_number_problems(number, today=TODAY) == [
        f"birth date {(TODAY + timedelta(days=days)).isoformat()} is in the future"
    ]


@given(regions, sequences, st.sampled_from(["20260230", "19991301", "20250431", "19000000"]))
def test_an_impossible_date_and_a_bad_check_are_two_problems(region: str, sequence: int, day: str) -> None:
    body = f"{region}{day}{sequence:03d}"
    right = check_character(body)
    wrong = CHECK_CHARACTERS[(CHECK_CHARACTERS.index(right) + 1) % 11]
    problems = identity_number_problems(body + wrong, today=TODAY)
    assert len(problems) == 2
    assert "not a real date" in problems[0] and "check character" in problems[1]


@given(st.text(max_size=30))
def test_anything_not_shaped_like_a_number_is_one_problem(text: str) -> None:
    problems = identity_number_problems(text, today=TODAY)
    if not (
        len(text) == 18
        and text[:17].isdigit()
        and text[:17].isascii()
        and (text[17].isdigit() or text[17] == "X")
    ):
        assert len(problems) == 1


def test_the_check_character_of_a_published_example() -> None:
    # GB 11643-1999 appendix example: 11010519491231002X.
    assert check_character("11010519491231002") == "X"
    assert identity_number_problems("11010519491231002X", today=TODAY) == []
    assert len(WEIGHTS) == 17


def test_clerks_spellings_are_normalised() -> None:
    assert normalise_identity_number("３４１３０２ 19800517 123x") == "34130219800517123X"


def test_masking_keeps_region_and_last_four_only() -> None:
    """R-POP-6: masked unless the role allows."""
    assert mask_identity_number("341302198005171239") == "341302********1239"
    assert mask_phone("13800001234") == "138****1234"
