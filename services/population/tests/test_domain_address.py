"""The standard-address normaliser (R-POP-1): idempotent on any text, and every way a clerk writes one
address gives the same canonical address (property-based)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from jingwu_population.domain.address import (
    AddressParts,
    chinese_number,
    format_address,
    normalise_address,
    parse_address,
)

NAMES = st.sampled_from(
    ["汴河", "淮海", "银河", "人民", "胜利", "环城", "拂晓", "浍水", "沱河", "工农", "埇桥", "符离"]
)
_CN = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """How a clerk writes small numbers in words: 3 → 三, 12 → 十二, 301 → 三〇一."""
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return "".join("〇" if d == "0" else _CN[int(d)] for d in str(n))


@st.composite
def addresses(draw: st.DrawFn) -> AddressParts:
    return AddressParts(
        city=draw(st.sampled_from(["", "宿州市"])),
        district=draw(st.sampled_from(["", "埇桥区"])),
        street=draw(NAMES) + draw(st.sampled_from(["街道", "镇", "乡"])),
        community=draw(NAMES) + draw(st.sampled_from(["社区", "村"])),
        road=draw(NAMES) + draw(st.sampled_from(["路", "大道", "街"])),
        door_number=f"{draw(st.integers(1, 999))}号",
        building=str(draw(st.integers(1, 40))),
        unit=str(draw(st.integers(1, 9))),
        room=str(draw(st.integers(101, 3208))),
    )


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isdigit() else c for c in text)


@given(st.text(max_size=60))
def test_normalising_is_idempotent(text: str) -> None:
    once = normalise_address(text)
    assert normalise_address(once) == once


@given(addresses())
def test_the_canonical_text_parses_back_into_its_parts(parts: AddressParts) -> None:
    text = format_address(parts)
    assert normalise_address(text) == text
    assert parse_address(text) == parts


@given(addresses(), st.data())
def test_every_spelling_of_an_address_is_the_same_address(parts: AddressParts, data: st.DataObject) -> None:
    canonical = format_address(parts)
    head = "".join([parts.city, parts.district, parts.street, parts.community, parts.road, parts.door_number])
    building = data.draw(
        st.sampled_from(
            [
                f"{parts.building}栋",
                f"{parts.building}幢",
                f"{parts.building}号楼",
                f"{chinese(int(parts.building))}栋",
            ]
        )
    )
    unit = data.draw(st.sampled_from([f"{parts.unit}单元", f"{chinese(int(parts.unit))}单元"]))
    room = data.draw(st.sampled_from([f"{parts.room}室", f"{parts.room}户", f"{int(parts.room):05d}室"]))
    spaced = data.draw(st.sampled_from(["", " ", "\u3000", "，"]))
    variant = spaced.join([head, building, unit, room])
    if data.draw(st.booleans()):
        variant = full_width(variant)
    if data.draw(st.booleans()):
        variant = f"{head}{parts.building}-{parts.unit}-{parts.room}"
    assert normalise_address(variant) == canonical


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("三", "十二", "二十", "三百零一", "一〇三", "两")] == [
        3,
        12,
        20,
        301,
        103,
        2,
    ]


def test_a_village_address_without_a_road() -> None:
    parts = parse_address("埇桥区符离镇张庄村前张庄12号")
    assert (parts.community, parts.road, parts.door_number) == ("张庄村", "前张庄", "12号")
