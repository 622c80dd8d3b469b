"""Standard addresses (标准地址, R-POP-1): the normaliser that makes one house one address. Pure.

A standard address runs from the largest unit to the smallest: (province) city → district → street
(街道/镇/乡) → community or village (社区/村) → road and door number (路/街 …号) → building (栋) → unit
(单元) → room (室). Ledgers and clerks write the same address many ways: full-width digits, spaces,
Chinese numerals (三栋二单元), synonyms (幢, 号楼, 座 for 栋; 户 for 室), dashes (3-2-301). The
normaliser folds all of them into one canonical text, so the house keyed by it is found again
(``address_key``), whatever the spelling.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache

# Chinese numerals up to 9,999 (building, unit and room numbers).
_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "[零〇一二两三四五六七八九十百千]+"
_SPACE = re.compile(r"[\s\u3000,，、;；.。·]+")
_SYNONYMS = (
    (re.compile(r"(\d+)(?:幢|号楼|座|栋楼)"), r"\1栋"),
    (re.compile(r"(\d+)(?:户|号房|房)$"), r"\1室"),
    (re.compile(r"(\d+)单元(\d+)$"), r"\1单元\2室"),
)
# 3-2-301 after a door number: building 3, unit 2, room 301.
_DASHED = re.compile(r"号(\d+)-(\d+)-(\d+)$")
_DASHED_PAIR = re.compile(r"号(\d+)-(\d+)$")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")


def chinese_number(text: str) -> int:
    """三 → 3, 十二 → 12, 二十 → 20, 三百零一 → 301, 一〇三 → 103 (digit by digit)."""
    if all(c in _DIGITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + _DIGITS[c]
        return value
    total, current = 0, 0
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            total += (current or 1) * _UNITS[c]
            current = 0
    return total + current


_NUMBERED = re.compile(f"({_NUMERAL})(栋|幢|号楼|座|单元|室|户|层|号)")


def _numerals_to_digits(text: str) -> str:
    return _NUMBERED.sub(lambda m: f"{chinese_number(m.group(1))}{m.group(2)}", text)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    folded = _SPACE.sub("", folded)
    folded = folded.replace("—", "-").replace("－", "-")
    folded = _numerals_to_digits(folded)
    folded = _LEADING_ZEROS.sub("", folded)
    folded = _DASHED.sub(r"号\1栋\2单元\3室", folded)
    folded = _DASHED_PAIR.sub(r"号\1栋\2室", folded)
    for pattern, replacement in _SYNONYMS:
        folded = pattern.sub(replacement, folded)
    return folded


@lru_cache(maxsize=65_536)
def normalise_address(text: str) -> str:
    """The canonical text of an address: NFKC (full-width → half-width), no spaces or separators,
    Arabic numbers for buildings, units and rooms, one word per kind of part. Idempotent: the folding
    is repeated until nothing changes (removing a space can let NFKC compose what it separated)."""
    folded = _fold(text)
    for _ in range(4):
        again = _fold(folded)
        if again == folded:
            break
        folded = again
    return folded


@dataclass(frozen=True)
class AddressParts:
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    community: str = ""
    road: str = ""
    door_number: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""


# One pattern per part, tried in order at the current position; names hold no digits and no suffix
# of a later part.
_NAME = r"[^\d\-]{1,16}?"
_PARTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("province", re.compile(rf"(北京市|天津市|上海市|重庆市|{_NAME}(?:省|自治区|特别行政区))")),
    ("city", re.compile(rf"({_NAME}(?:自治州|地区|盟|(?<!市)市))")),
    ("district", re.compile(rf"({_NAME}(?:(?<!社|小|园|校|景|城)区|(?<!社)县|旗|(?<!市)市))")),
    ("street", re.compile(rf"({_NAME}(?:街道|镇|乡))")),
    ("community", re.compile(rf"({_NAME}(?:社区|居委会|村委会|村|小区))")),
    # A road, or (in villages) a lane or natural village named without a suffix before the door number.
    ("road", re.compile(rf"({_NAME}(?:大道|路|街|巷|道)|{_NAME}(?=\d+号))")),
    ("door_number", re.compile(r"(\d+号)")),
    ("building", re.compile(r"(\d+)栋")),
    ("unit", re.compile(r"(\d+)单元")),
    ("room", re.compile(r"(\d+)室")),
)


@lru_cache(maxsize=65_536)
def parse_address(text: str) -> AddressParts:
    """The parts of a normalised address; what cannot be placed stays in the last part found."""
    rest = normalise_address(text)
    found: dict[str, str] = {}
    for name, pattern in _PARTS:
        match = pattern.match(rest)
        if match:
            found[name] = match.group(1)
            rest = rest[match.end() :]
    if rest:
        last = next((f.name for f in reversed(fields(AddressParts)) if f.name in found), "road")
        found[last] = found.get(last, "") + rest
    return AddressParts(**found)


_SUFFIX = {"building": "栋", "unit": "单元", "room": "室"}


def format_address(parts: AddressParts) -> str:
    return "".join(
        getattr(parts, f.name) + (_SUFFIX.get(f.name, "") if getattr(parts, f.name) else "")
        for f in fields(AddressParts)
    )


def address_key(text: str) -> str:
    """The identity of an address: a house is found again under any spelling of it."""
    return normalise_address(text)
