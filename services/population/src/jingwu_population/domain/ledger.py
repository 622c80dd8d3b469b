"""Bulk import of a district's ledger (一标三实: standard address, actual house, actual population), as
those systems export it: one row per person, with the address and house columns repeated (R-POP-1).
Pure: rows in, checked drafts or row errors out.

Every problem is reported with its row, its column heading and the reason. The import is all or
nothing per file (application.imports); here the file is only read and checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.calendar import add_months
from jingwu_platform.errors import FieldViolation, ValidationFailed, Validator

from jingwu_population.domain.address import address_key
from jingwu_population.domain.geo import GeoPoint
from jingwu_population.domain.identity import normalise_identity_number
from jingwu_population.domain.people import Category, Gender, HouseKind, KeyGroup, Relation
from jingwu_population.domain.registration import (
    HouseDraft,
    ResidentDraft,
    TagDraft,
    check_house,
    check_resident,
)

# Column headings, in the order the export writes them; the field path each one checks as.
ADDRESS = "标准地址"
ADDRESS_CODE = "地址编码"
LONGITUDE = "经度"
LATITUDE = "纬度"
ZONE = "警务区编码"
VILLAGE = "社区村编码"
HOUSE_KIND = "房屋类别"
HOUSEHOLD = "户号"
RELATION = "与户主关系"
NAME = "姓名"
ID_NUMBER = "公民身份号码"
PHONE = "联系电话"
GENDER = "性别"
BIRTH_DATE = "出生日期"
CATEGORY = "人口类别"
KEY_GROUPS = "重点人群"
KEY_GROUP_REASON = "重点人群原因"
OWNER = "责任民警"
REVIEW_DATE = "复核日期"
REGISTERED_ADDRESS = "户籍地址"
SITUATION = "现状"
MOVE_IN = "入住日期"

COLUMNS = (
    ADDRESS, ADDRESS_CODE, LONGITUDE, LATITUDE, ZONE, VILLAGE, HOUSE_KIND, HOUSEHOLD, RELATION, NAME,
    ID_NUMBER, PHONE, GENDER, BIRTH_DATE, CATEGORY, KEY_GROUPS, KEY_GROUP_REASON, OWNER, REVIEW_DATE,
    REGISTERED_ADDRESS, SITUATION, MOVE_IN,
)  # fmt: skip
REQUIRED = (ADDRESS, LONGITUDE, LATITUDE, ZONE, RELATION, NAME, ID_NUMBER, CATEGORY)
# Field paths of the domain checks → the column a clerk sees.
_FIELD_COLUMN = {
    "standard_address": ADDRESS,
    "location": f"{LONGITUDE}/{LATITUDE}",
    "location.longitude": LONGITUDE,
    "location.latitude": LATITUDE,
    "zone_code": ZONE,
    "name": NAME,
    "id_number": ID_NUMBER,
    "phone": PHONE,
    "birth_date": BIRTH_DATE,
    "category": CATEGORY,
    "relation": RELATION,
    "move_in_date": MOVE_IN,
    "registered_address": REGISTERED_ADDRESS,
    "situation": SITUATION,
}

HOUSE_KINDS = {
    "住宅": HouseKind.RESIDENTIAL,
    "出租屋": HouseKind.RENTAL,
    "商铺": HouseKind.SHOP,
    "单位用房": HouseKind.UNIT_PREMISES,
}
CATEGORIES = {
    "户籍": Category.REGISTERED,
    "暂住": Category.TEMPORARY,
    "流动": Category.FLOATING,
    "寄口": Category.LODGED,
}
KEY_GROUP_NAMES = {
    "刑释解教": KeyGroup.RELEASED_PRISONER,
    "闲散青少年": KeyGroup.IDLE_YOUTH,
    "严重精神障碍": KeyGroup.SEVERE_MENTAL_DISORDER,
    "留守儿童": KeyGroup.LEFT_BEHIND_CHILD,
    "独居老人": KeyGroup.ELDERLY_ALONE,
}
RELATIONS = {
    "户主": Relation.HOUSEHOLDER,
    "配偶": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "父母": Relation.PARENT,
    "祖父母": Relation.GRANDPARENT,
    "孙子女": Relation.GRANDCHILD,
    "兄弟姐妹": Relation.SIBLING,
    "其他亲属": Relation.OTHER_RELATIVE,
    "租户": Relation.TENANT,
    "非亲属": Relation.NON_RELATIVE,
}
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
_LIST_SEPARATOR = re.compile(r"[;；,，、/]+")
# A file may hold at most this many rows; errors beyond this many are counted, not listed.
MAX_ROWS = 2_000_000
MAX_LISTED_ERRORS = 1_000
# A key group imported without a review date is reviewed this many months after the import (R-POP-2).
DEFAULT_REVIEW_MONTHS = 6


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class LedgerRecord:
    """One checked row."""

    row: int
    house: HouseDraft
    address_key: str
    household: str
    resident: ResidentDraft


@dataclass(frozen=True)
class CheckedRows:
    records: list[LedgerRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def missing_columns(headings: Iterable[str]) -> list[RowError]:
    present = set(headings)
    return [RowError(1, c, "required column is missing") for c in REQUIRED if c not in present]


def _date(v: Validator, column: str, text: str) -> date | None:
    if not text:
        return None
    cleaned = (
        text.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    )
    if re.fullmatch(r"\d{8}", cleaned):
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in cleaned.split("-")))
    except ValueError:
        v.add(column, f"is not a date (YYYY-MM-DD): {text!r}")
        return None


def _float(v: Validator, column: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        v.add(column, f"is not a number: {text!r}")
        return 0.0


def _choice(v: Validator, column: str, text: str, choices: Mapping[str, object]) -> object | None:
    if not text:
        return None
    if text not in choices:
        v.add(column, f"{text!r} is not one of {'、'.join(choices)}")
        return None
    return choices[text]


def check_row(
    row: int, cells: Mapping[str, str], *, district: str, today: date, default_owner: str
) -> tuple[LedgerRecord | None, list[RowError]]:
    """One row → its record, or its errors (each with the row and the column)."""
    cell = {k: (v or "").strip() for k, v in cells.items()}
    v = Validator()
    for column in REQUIRED:
        v.check(bool(cell.get(column)), column, "is required")
    kind = _choice(v, HOUSE_KIND, cell.get(HOUSE_KIND, ""), HOUSE_KINDS)
    category = _choice(v, CATEGORY, cell.get(CATEGORY, ""), CATEGORIES)
    relation = _choice(v, RELATION, cell.get(RELATION, ""), RELATIONS)
    gender = _choice(v, GENDER, cell.get(GENDER, ""), GENDERS)
    groups: list[KeyGroup] = []
    for name in _LIST_SEPARATOR.split(cell.get(KEY_GROUPS, "")):
        if name:
            found = _choice(v, KEY_GROUPS, name, KEY_GROUP_NAMES)
            if isinstance(found, KeyGroup):
                groups.append(found)
    longitude = _float(v, LONGITUDE, cell[LONGITUDE]) if cell.get(LONGITUDE) else 0.0
    latitude = _float(v, LATITUDE, cell[LATITUDE]) if cell.get(LATITUDE) else 0.0
    review = _date(v, REVIEW_DATE, cell.get(REVIEW_DATE, ""))
    house = HouseDraft(
        address=cell.get(ADDRESS, ""),
        location=GeoPoint(longitude, latitude),
        zone_code=cell.get(ZONE, ""),
        village_id=cell.get(VILLAGE, ""),
        kind=kind if isinstance(kind, HouseKind) else None,
        address_code=cell.get(ADDRESS_CODE, ""),
    )
    tags = tuple(
        TagDraft(
            group,
            cell.get(KEY_GROUP_REASON) or "台账导入",
            cell.get(OWNER) or default_owner,
            review or add_months(today, DEFAULT_REVIEW_MONTHS),
        )
        for group in groups
    )
    resident = ResidentDraft(
        name=cell.get(NAME, ""),
        id_number=normalise_identity_number(cell.get(ID_NUMBER, "")),
        phone=cell.get(PHONE, ""),
        gender=gender if isinstance(gender, Gender) else None,
        birth_date=_date(v, BIRTH_DATE, cell.get(BIRTH_DATE, "")),
        relation=relation if isinstance(relation, Relation) else None,
        category=category if isinstance(category, Category) else None,
        tags=tags,
        registered_address=cell.get(REGISTERED_ADDRESS, ""),
        situation=cell.get(SITUATION, ""),
        move_in_date=_date(v, MOVE_IN, cell.get(MOVE_IN, "")),
    )
    if cell.get(ADDRESS) and cell.get(ZONE) and cell.get(LONGITUDE) and cell.get(LATITUDE):
        check_house(v, house, district)
    if cell.get(NAME) and cell.get(ID_NUMBER):
        check_resident(v, resident, today=today)
    errors = [RowError(row, _column_of(f.field), f.description) for f in violations(v)]
    if errors:
        return None, _unique(errors)
    record = LedgerRecord(row, house, address_key(house.address), cell.get(HOUSEHOLD) or "1", resident)
    return record, []


def violations(v: Validator) -> tuple[FieldViolation, ...]:
    try:
        v.raise_if_any()
    except ValidationFailed as failed:
        return failed.violations
    return ()


def _column_of(path: str) -> str:
    if path.startswith("key_group_tags"):
        for part, column in (("owner", OWNER), ("review", REVIEW_DATE), ("reason", KEY_GROUP_REASON)):
            if part in path:
                return column
        return KEY_GROUPS
    return _FIELD_COLUMN.get(path, path)


def _unique(errors: list[RowError]) -> list[RowError]:
    return list(dict.fromkeys(errors))


def check_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], *, district: str, today: date, default_owner: str
) -> CheckedRows:
    """Every row, then what only the whole file shows: an identity number twice, one address given
    two locations, zones or kinds."""
    checked = CheckedRows()
    first_of_person: dict[str, int] = {}
    house_of: dict[str, LedgerRecord] = {}
    for number, cells in rows:
        record, errors = check_row(number, cells, district=district, today=today, default_owner=default_owner)
        checked.errors.extend(errors)
        if record is None:
            continue
        person = record.resident.id_number
        if person in first_of_person:
            checked.errors.append(
                RowError(number, ID_NUMBER, f"the same person is on row {first_of_person[person]}")
            )
            continue
        first_of_person[person] = number
        first = house_of.setdefault(record.address_key, record)
        if first is not record:
            conflicts = [
                column
                for column, same in (
                    (ZONE, first.house.zone_code == record.house.zone_code),
                    (LONGITUDE, abs(first.house.location.longitude - record.house.location.longitude) < 1e-6),
                    (LATITUDE, abs(first.house.location.latitude - record.house.location.latitude) < 1e-6),
                    (HOUSE_KIND, first.house.kind == record.house.kind),
                )
                if not same
            ]
            if conflicts:
                checked.errors.extend(
                    RowError(number, c, f"differs from row {first.row} for the same address")
                    for c in conflicts
                )
                continue
        checked.records.append(record)
    checked.errors.sort()
    return checked


class ImportStatus(StrEnum):
    RECEIVING = "receiving"
    COMMITTING = "committing"
    COMMITTED = "committed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class LedgerImport:
    import_id: str
    file_name: str
    file_sha256: str
    status: ImportStatus
    rows_expected: int
    chunks_expected: int
    chunks_received: int = 0
    houses_created: int = 0
    residents_created: int = 0
    rows_unchanged: int = 0
    errors: tuple[RowError, ...] = ()
    more_errors: int = 0
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
