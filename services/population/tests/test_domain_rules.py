"""Pure rules, one test per rule id: R-POP-3 due dates, R-POP-4 stages, R-POP-5 golden hours,
R-POP-6 privacy and the audit chain, R-POP-7 geography, R-ORG-3 where a house goes, R-PER-4 counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from jingwu_platform.auth import Caller, Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.errors import PermissionDenied, ValidationFailed
from jingwu_population.domain.audit import UnmaskedRead, chained, tampered, verify_chain
from jingwu_population.domain.counts import PublishedZonePopulation, ZoneTally, needs_publishing
from jingwu_population.domain.geo import (
    BoundingBox,
    Circle,
    GeoPoint,
    Polygon,
    cell_of,
    cells_covering,
    distance_m,
)
from jingwu_population.domain.people import Category
from jingwu_population.domain.places import Place, PlaceKind
from jingwu_population.domain.privacy import AccessRequest, disclosure_for, require_export
from jingwu_population.domain.territory import Village, Zone, destination_zone
from jingwu_population.domain.visits import in_golden_hours

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
GOLDEN = ((time(12, 0), time(13, 0)), (time(17, 0), time(19, 0)))


def place(registered: date, last: date | None = None) -> Place:
    return Place(
        "p",
        PlaceKind.KEY_UNIT,
        "银行",
        "路1号",
        "",
        GeoPoint(117, 33),
        "01020201",
        "",
        "",
        "",
        registered,
        last,
    )


def test_r_pop_3_due_by_the_end_of_the_month_after_the_last_inspection() -> None:
    assert place(date(2026, 3, 15)).due_date() == date(2026, 3, 31)
    assert place(date(2026, 1, 1), date(2026, 1, 31)).due_date() == date(2026, 2, 28)
    assert place(date(2026, 1, 1), date(2026, 1, 31)).due_date(interval_months=3) == date(2026, 4, 30)
    assert place(date(2026, 1, 1), date(2026, 2, 3)).overdue_on(date(2026, 4, 1))
    assert not place(date(2026, 1, 1), date(2026, 2, 3)).overdue_on(date(2026, 3, 31))


def test_r_pop_5_golden_hours_noon_evening_and_weekends() -> None:
    def local(day: int, hour: int, minute: int = 0) -> datetime:
        """A time on a day of March 2026 in the district (UTC+8)."""
        return datetime(2026, 3, day, hour, minute, tzinfo=DISTRICT_ZONE)

    assert in_golden_hours(local(2, 12, 30), GOLDEN)  # Monday noon
    assert not in_golden_hours(local(2, 10), GOLDEN)
    assert in_golden_hours(local(7, 10), GOLDEN)  # Saturday
    assert in_golden_hours(local(3, 10), GOLDEN, holidays=[date(2026, 3, 3)])


def test_r_pop_6_unmask_needs_the_role_and_a_purpose_and_key_groups_follow_the_role() -> None:
    officer = Caller("o", "01", frozenset({Role.OFFICER}))
    admin = Caller("a", "01", frozenset({Role.DISTRICT_ADMIN}))
    reader = Caller("r", "01", frozenset({Role.PII_READER}))
    with pytest.raises(PermissionDenied, match="pii_reader"):
        disclosure_for(officer, AccessRequest(True, "核查"))
    with pytest.raises(ValidationFailed):
        disclosure_for(reader, AccessRequest(True, ""))
    assert disclosure_for(reader, AccessRequest(True, "核查")).identity
    assert disclosure_for(officer, AccessRequest()).key_groups
    assert not disclosure_for(admin, AccessRequest()).key_groups
    with pytest.raises(PermissionDenied, match="auditor"):
        require_export(admin, AccessRequest(True, "普查"))


def read(n: int) -> UnmaskedRead:
    return UnmaskedRead(
        "r", ("pii_reader",), "GetResident", "核查", "", (f"res-{n}",), (), ("id_number",), AT
    )


def test_r_pop_6_the_chain_detects_an_edit_a_removal_and_a_reorder() -> None:
    key = b"k"
    entries = chained(key, None, [read(n) for n in range(5)])
    assert verify_chain(key, entries).intact
    edited = [*entries[:2], tampered(entries[2], purpose="改"), *entries[3:]]
    assert verify_chain(key, edited).first_broken == 3
    removed = [*entries[:1], *entries[2:]]
    assert (verify_chain(key, removed).first_broken, verify_chain(key, removed).problem) == (
        2,
        "entry 2 is missing",
    )
    more = chained(key, entries[-1], [read(9)])
    assert more[0].sequence == 6 and verify_chain(key, [*entries, *more]).intact
    assert not verify_chain(b"other key", entries).intact  # forging needs the key


def test_r_pop_7_areas_and_cells() -> None:
    box = BoundingBox(116.965, 33.635, 116.985, 33.645)
    assert set(cells_covering(box)) == {
        "11696:3363",
        "11697:3363",
        "11698:3363",
        "11696:3364",
        "11697:3364",
        "11698:3364",
    }
    assert cell_of(GeoPoint(116.9701, 33.6401)) == "11697:3364"
    ring = (GeoPoint(0, 0), GeoPoint(2, 0), GeoPoint(2, 2), GeoPoint(0, 2), GeoPoint(0, 0))
    hole = (
        GeoPoint(0.5, 0.5),
        GeoPoint(1.5, 0.5),
        GeoPoint(1.5, 1.5),
        GeoPoint(0.5, 1.5),
        GeoPoint(0.5, 0.5),
    )
    donut = Polygon((ring, hole))
    assert (
        donut.contains(GeoPoint(0.2, 0.2))
        and not donut.contains(GeoPoint(1, 1))
        and not donut.contains(GeoPoint(3, 1))
    )
    assert 1100 < distance_m(GeoPoint(117, 33), GeoPoint(117, 33.01)) < 1120
    circle = Circle(GeoPoint(117, 33), 500)
    assert circle.contains(GeoPoint(117, 33.004)) and not circle.contains(GeoPoint(117, 33.005))


def test_r_org_3_a_house_goes_by_village_then_community_then_boundary_then_first_zone() -> None:
    villages = {"nat": Village("nat", "前庄", "adm", "Z0", "s")}
    square = Polygon(((GeoPoint(0, 0), GeoPoint(1, 0), GeoPoint(1, 1), GeoPoint(0, 1), GeoPoint(0, 0)),))
    zones = (Zone("Z1", "一", "s"), Zone("Z2", "二", "s", boundary=square))
    common = {
        "villages": villages,
        "village_to_zone": {"adm": "Z1", "v9": "Z2"},
        "new_zones": zones,
        "to_zone_codes": ("Z3", "Z1"),
    }
    assert destination_zone(village_id="v9", location=GeoPoint(5, 5), **common) == "Z2"  # type: ignore[arg-type]
    assert destination_zone(village_id="nat", location=GeoPoint(5, 5), **common) == "Z1"  # type: ignore[arg-type]
    assert destination_zone(village_id="", location=GeoPoint(0.5, 0.5), **common) == "Z2"  # type: ignore[arg-type]
    assert destination_zone(village_id="", location=GeoPoint(9, 9), **common) == "Z2"  # type: ignore[arg-type]  # nearest
    bare = {**common, "new_zones": (Zone("Z1", "一", "s"),)}
    assert destination_zone(village_id="", location=GeoPoint(9, 9), **bare) == "Z1"  # type: ignore[arg-type]


def test_r_per_4_a_zone_is_published_again_only_when_its_figures_change() -> None:
    tally = ZoneTally("01020201", 10, {Category.REGISTERED: 10}, {}, 3, 0, 0)
    assert needs_publishing(tally, None)
    sent = PublishedZonePopulation("01020201", tally, AT)
    assert not needs_publishing(tally, sent)
    assert needs_publishing(ZoneTally("01020201", 11, {Category.REGISTERED: 11}, {}, 3, 0, 0), sent)
