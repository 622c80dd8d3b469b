"""Resident identity numbers (公民身份号码, GB 11643-1999) and the masking of personal data (R-POP-6).
Pure: no I/O.

An identity number is 18 characters: a 6-digit region code (GB/T 2260: province, city, county), the
8-digit birth date (YYYYMMDD), a 3-digit sequence (odd for men, even for women) and a check character
computed with ISO 7064 MOD 11-2 (``0``–``9`` or ``X``). ``check_identity_number`` reports every problem
as its own field violation, so a clerk sees at once that both the date and the check digit are wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from jingwu_platform.errors import Validator

# ISO 7064 MOD 11-2 weights of the first 17 characters and the check character for each remainder.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# GB/T 2260 province-level codes; 71 Taiwan, 81 Hong Kong, 82 Macao, 83 Taiwan residents' permits.
PROVINCES = frozenset(
    {
        11, 12, 13, 14, 15,
        21, 22, 23,
        31, 32, 33, 34, 35, 36, 37,
        41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54,
        61, 62, 63, 64, 65,
        71, 81, 82, 83,
    }
)  # fmt: skip
# No identity number carries a birth date before the 1890s (the register began in 1984).
EARLIEST_BIRTH = date(1890, 1, 1)
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_character(first_17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def normalise_identity_number(text: str) -> str:
    """What a clerk typed, as stored: spaces dropped, full-width digits and a lower-case x fixed."""
    folded = text.translate(_FULL_WIDTH).replace(" ", "").replace("\u3000", "")
    return folded.upper()


_FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")


def identity_number_problems(number: str, *, today: date) -> list[str]:
    """GB 11643: length and characters, region prefix, a real birth date (not in the future), and the
    check character; one description per problem, none for a valid number."""
    if not _SHAPE.match(number):
        return [f"must be 18 characters, 17 digits then a digit or X, got {len(number)} characters"]
    problems = []
    region = number[:6]
    province, city, county = int(region[:2]), int(region[2:4]), int(region[4:6])
    if province not in PROVINCES:
        problems.append(f"region prefix {region}: {region[:2]} is not a province code (GB/T 2260)")
    elif city == 0 or county == 0:
        problems.append(f"region prefix {region} names a province or city, not a county (GB/T 2260)")
    born = birth_date_of(number)
    if born is None:
        problems.append(f"birth date {number[6:14]} is not a real date")
    elif born > today:
        problems.append(f"birth date {born.isoformat()} is in the future")
    elif born < EARLIEST_BIRTH:
        problems.append(f"birth date {born.isoformat()} is before {EARLIEST_BIRTH.year}")
    expected = check_character(number[:17])
    if number[17] != expected:
        problems.append(f"check character is {number[17]}, ISO 7064 MOD 11-2 gives {expected}")
    return problems


def check_identity_number(v: Validator, field: str, number: str, *, today: date) -> bool:
    """Each problem of ``identity_number_problems`` as a separate violation of ``field``."""
    problems = identity_number_problems(number, today=today)
    for problem in problems:
        v.add(field, problem)
    return not problems


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_male(number: str) -> bool:
    """GB 11643: the sequence's last digit is odd for men, even for women."""
    return int(number[16]) % 2 == 1


def is_valid_identity_number(number: str, *, today: date) -> bool:
    return not identity_number_problems(number, today=today)


@dataclass(frozen=True)
class IdentityParts:
    region: str
    birth_date: date
    male: bool


def identity_parts(number: str) -> IdentityParts | None:
    born = birth_date_of(number) if _SHAPE.match(number) else None
    if born is None:
        return None
    return IdentityParts(number[:6], born, is_male(number))


# --- masking (R-POP-6) ------------------------------------------------------------------------------


def mask_identity_number(number: str) -> str:
    """``340302********1234``: the region and the last four stay, the birth date and sequence go."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """``138****5678``."""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
