"""R-PER-12 (history and tenure), R-PER-3 (full-time room officers), R-ROOM-2/R-ORG-3 (moves). No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import (
    Posting,
    PostingDraft,
    check_end_allowed,
    full_time_postings_moved,
    tenure,
    validate_posting,
    years_in_days,
)
from jingwu_personnel.domain.redivision import plan_redivision
from jingwu_personnel.domain.territory import RoomStatus, RoomView, Setting, VillageView, ZoneView
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.policy import DistrictPolicy, WorkStandard

AT = datetime(2026, 11, 2, tzinfo=UTC)
WORK = DistrictPolicy().work


def posting(pid: str = "p1", **changes: object) -> Posting:
    values: dict[str, object] = {
        "posting_id": pid,
        "officer_id": "o1",
        "role": OfficerRole.COMMUNITY_OFFICER,
        "start_date": date(2024, 1, 1),
        "room_id": "room-a",
        "setting": Setting.RURAL,
    }
    values.update(changes)
    return Posting(**values)  # type: ignore[arg-type]


def test_rural_tenure_at_1_99_years_is_not_enough_and_at_2_years_is() -> None:
    # R-PER-12: ≥ 2 years in a rural room (policy.work.promotion_rural_room_years), a year = 365 days.
    required = years_in_days(WORK.promotion_rural_room_years)
    start = date(2024, 3, 1)
    short = tenure([posting(start_date=start)], today=start + timedelta(days=int(1.99 * 365)), work=WORK)
    assert short.rural_days < required and not short.eligible_for_station_leadership
    enough = tenure([posting(start_date=start)], today=start + timedelta(days=required), work=WORK)
    assert enough.rural_days == required and enough.eligible_for_station_leadership


def test_two_calendar_years_always_count_as_two_years() -> None:
    # 2025-01-01 .. 2027-01-01 has no leap day: still two years.
    closed = posting(start_date=date(2025, 1, 1), end_date=date(2027, 1, 1))
    assert tenure([closed], today=date(2027, 6, 1), work=WORK).eligible_for_station_leadership


def test_urban_needs_three_years_and_settings_do_not_add_up() -> None:
    # R-PER-12: 2 years urban + 1.5 years rural is neither threshold.
    urban = posting("u", setting=Setting.URBAN, start_date=date(2021, 1, 1), end_date=date(2023, 1, 1))
    rural = posting("r", start_date=date(2023, 1, 1), end_date=date(2024, 7, 1))
    result = tenure([urban, rural], today=date(2026, 1, 1), work=WORK)
    assert (result.urban_days, result.rural_days) == (730, 547)
    assert not result.eligible_for_station_leadership
    longer = posting("u", setting=Setting.URBAN, start_date=date(2020, 1, 1), end_date=date(2023, 1, 1))
    assert tenure([longer], today=date(2026, 1, 1), work=WORK).eligible_for_station_leadership


def test_thresholds_are_district_policy() -> None:
    strict = WorkStandard(promotion_rural_room_years=3.0)
    two_years = posting(start_date=date(2023, 1, 1), end_date=date(2025, 1, 2))
    assert tenure([two_years], today=date(2026, 1, 1), work=WORK).eligible_for_station_leadership
    assert not tenure([two_years], today=date(2026, 1, 1), work=strict).eligible_for_station_leadership


def test_parallel_postings_and_moves_count_once() -> None:
    # A room merge ends one posting and starts its successor the same day: no gap, no double count.
    before = posting("a", start_date=date(2024, 1, 1), end_date=date(2025, 1, 1))
    after = posting("b", start_date=date(2025, 1, 1))
    parallel = posting("c", start_date=date(2024, 6, 1), end_date=date(2024, 9, 1), room_id="room-x")
    station = posting("d", setting=None, start_date=date(2020, 1, 1))  # station duty counts nowhere
    result = tenure([before, after, parallel, station], today=date(2026, 1, 1), work=WORK)
    assert result.rural_days == (date(2026, 1, 1) - date(2024, 1, 1)).days
    assert result.urban_days == 0


def test_posting_request_validation() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_posting(
            PostingDraft(
                officer_id="",
                role=None,
                zone_code="06020301",
                full_time=True,
                start_date=date(2026, 12, 1),
            ),
            district="01",
            today=date(2026, 11, 2),
        )
    fields = {v.field for v in exc.value.violations}
    assert fields == {"officer_id", "role", "zone_code", "full_time", "start_date"}
    ok = validate_posting(
        PostingDraft(officer_id="o1", role=OfficerRole.POLICE, station_id="st"),
        district="01",
        today=date(2026, 11, 2),
    )
    assert ok.start_date == date(2026, 11, 2)


def test_moving_a_full_time_room_officer_needs_an_approval() -> None:
    # R-PER-3: not moved arbitrarily.
    full_time = posting(full_time=True)
    elsewhere = PostingDraft(officer_id="o1", role=OfficerRole.COMMUNITY_OFFICER, room_id="room-b")
    with pytest.raises(RuleViolation) as exc:
        full_time_postings_moved([full_time], elsewhere)
    assert exc.value.rule_id == "R-PER-3"
    station_duty = PostingDraft(officer_id="o1", role=OfficerRole.POLICE, station_id="st")
    with pytest.raises(RuleViolation):
        full_time_postings_moved([full_time], station_duty)
    approved = PostingDraft(
        officer_id="o1",
        role=OfficerRole.COMMUNITY_OFFICER,
        room_id="room-b",
        approval_reference="埇公〔2026〕7号",
    )
    assert full_time_postings_moved([full_time], approved) == [full_time]
    # A village in his area (liaison) or the same room is no move.
    village = PostingDraft(officer_id="o1", role=OfficerRole.POLICE, village_id="v1")
    assert full_time_postings_moved([full_time], village) == []
    assert full_time_postings_moved([posting(full_time=False)], elsewhere) == []


def test_ending_a_full_time_posting_needs_an_approval() -> None:
    with pytest.raises(RuleViolation) as exc:
        check_end_allowed(posting(full_time=True), " ")
    assert exc.value.rule_id == "R-PER-3"
    check_end_allowed(posting(full_time=True), "埇公〔2026〕8号")
    check_end_allowed(posting(full_time=False), "")


def test_a_posting_ends_once_and_not_before_it_started() -> None:
    p = posting()
    ended = p.end(date(2025, 1, 1), reason="moved", at=AT, by="lead")
    assert not ended.open and p.open
    with pytest.raises(RuleViolation):
        ended.end(date(2025, 2, 1), reason="again", at=AT, by="lead")
    with pytest.raises(RuleViolation):
        p.end(date(2023, 12, 31), reason="before", at=AT, by="lead")


def test_redivision_places_every_posting_or_reports_it() -> None:
    # R-ORG-3: hand-over list first, then the posting's village, its room's village, the old zone's
    # communities, a single new zone; nothing is guessed.
    zones = {"01020301": ZoneView("01020301", community_ids=("c1", "c2"))}
    rooms = {"room-a": RoomView("room-a", None, RoomStatus.ACTIVE, village_id="c2")}
    villages = {"nat-1": VillageView("nat-1", administrative=False, parent_village_id="c1")}
    postings = [
        posting("by-handover", zone_code="01020301", room_id=""),
        posting("by-village", zone_code="01020301", room_id="", village_id="nat-1"),
        posting("by-room", zone_code="01020301"),
        posting("lost", zone_code="01020301", room_id=""),
        posting("other-zone", zone_code="01020399"),
    ]
    plan = plan_redivision(
        postings,
        from_zones=frozenset({"01020301"}),
        to_zones=["01020311", "01020312"],
        community_to_zone={"c1": "01020311", "c2": "01020312"},
        handover={"by-handover": "01020312"},
        zones=zones,
        rooms=rooms,
        villages=villages,
    )
    assert plan.moves == {"by-handover": "01020312", "by-village": "01020311", "by-room": "01020312"}
    assert plan.unmapped == ("lost",)
    merged = plan_redivision(
        [posting("lost", zone_code="01020301", room_id="")],
        from_zones=frozenset({"01020301", "01020302"}),
        to_zones=["01020310"],
        community_to_zone={},
        handover={},
        zones={},
        rooms={},
        villages={},
    )
    assert merged.moves == {"lost": "01020310"} and merged.unmapped == ()
