"""Pure rules of deployment: incidents validated (R-PAT-2, R-NOT-5) — an incident outside the district
is refused; hot spots ranked by case density per weekly slot with decay, each saying why (R-PAT-2);
the interception order's choice of checkpoint and mobile room (R-PAT-3, R-ROOM-5); vehicle coverage
(R-PAT-1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.hotspots import HotSpot, HotSpotKind, RankingWindow, rank
from jingwu_patrol.domain.incidents import Incident, IncidentCategory, IncidentLimits, IncidentReport, accept
from jingwu_patrol.domain.prevention import Checkpoint, CheckpointKind, choose_interception
from jingwu_patrol.domain.territory import DeviceKind, DeviceView, DistrictMap, MobileRoomView
from jingwu_patrol.domain.vehicles import PatrolVehicle, VehicleStatus, coverage
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.testing import violations_of

from .samples import DISTRICT, NOW, ZONE_A, ZONE_B, at_m, local, zones

MAP = DistrictMap(zones())


def report(**changes: object) -> IncidentReport:
    values: dict[str, object] = {
        "source_system": "command_centre",
        "source_incident_id": "110-0001",
        "occur_time": NOW - timedelta(hours=2),
        "location": at_m(300, 300),
        "category": IncidentCategory.THEFT,
        "address": "汴河路 12 号",
    }
    values.update(changes)
    return IncidentReport(**values)  # type: ignore[arg-type]


def accepted(r: IncidentReport) -> Incident:
    return accept(
        r, incident_id="i-1", district=DISTRICT, zones=MAP, now=NOW, channel="grpc", limits=IncidentLimits()
    )


def test_a_valid_incident_is_placed_in_its_zone() -> None:
    incident = accepted(report(location=at_m(2500, 300)))
    assert incident.zone_code == ZONE_B
    assert incident.order_key == "20260303T230000000000Z-i-1"  # the occur time in UTC, then the id


def test_an_incident_outside_the_district_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        accepted(report(location=at_m(9000, 9000)))
    assert "outside district 01" in violations_of(refused.value)["location"]


def test_every_bad_field_of_an_incident_is_named() -> None:
    bad = report(
        source_system="Command Centre",
        source_incident_id=" ",
        occur_time=NOW + timedelta(hours=1),
        location=None,
        category=None,
        summary="x" * 1001,
    )
    with pytest.raises(ValidationFailed) as refused:
        accept(
            bad,
            incident_id="",
            district=DISTRICT,
            zones=MAP,
            now=NOW,
            channel="kafka",
            limits=IncidentLimits(),
            prefix="report.",
        )
    assert set(violations_of(refused.value)) == {
        "report.source_system",
        "report.source_incident_id",
        "report.occur_time",
        "report.location",
        "report.category",
        "report.summary",
    }
    with pytest.raises(ValidationFailed) as old:
        accepted(report(occur_time=NOW - timedelta(days=500)))
    assert "older than" in violations_of(old.value)["occur_time"]


def _incident(
    n: int, at: datetime, where: GeoPoint, category: IncidentCategory = IncidentCategory.THEFT
) -> Incident:
    return Incident(
        f"i-{n}",
        "command_centre",
        f"s-{n}",
        at,
        where,
        category,
        ZONE_A,
        NOW,
        "grpc",
        "汴河路",
        "",
        f"k-{n}",
    )


MARKET = HotSpot("hs-market", "汴河菜市场", HotSpotKind.PLACE, ZONE_A, location=at_m(500, 500), radius_m=100)
WINDOW = RankingWindow(date(2026, 3, 3), 4, timedelta(days=7))


def test_hot_spots_rank_by_decayed_cases_per_hour_of_the_week_and_say_why() -> None:
    tuesday = date(2026, 3, 3)
    incidents = [
        # Three thefts at the market on Tuesdays 19:xx: this week, a week ago, two weeks ago.
        _incident(1, local(tuesday, 19, 10), at_m(510, 490)),
        _incident(2, local(tuesday - timedelta(days=7), 19, 40), at_m(480, 520)),
        _incident(3, local(tuesday - timedelta(days=14), 19, 5), at_m(500, 500), IncidentCategory.FRAUD),
        # Two at the market on Monday mornings, two and three weeks ago: older, they weigh less.
        _incident(4, local(tuesday - timedelta(days=15), 9, 0), at_m(500, 500)),
        _incident(5, local(tuesday - timedelta(days=22), 9, 30), at_m(500, 500)),
        # Two in a street no hot spot covers, Tuesday 19:xx: a candidate cell.
        _incident(6, local(tuesday, 19, 20), at_m(1500, 1500)),
        _incident(7, local(tuesday - timedelta(days=7), 19, 50), at_m(1520, 1510)),
        # One alone: not enough for a slot of its own; one outside the window.
        _incident(8, local(tuesday, 3, 0), at_m(1500, 1500)),
        _incident(9, local(tuesday - timedelta(days=40), 19, 0), at_m(500, 500)),
    ]
    found, counted = rank(incidents, [MARKET], WINDOW, cell_size_m=300, min_cases=2, limit=10)
    assert counted == 8
    first, second, third = found
    assert (first.hotspot_id, first.hour_of_week, first.case_count) == ("hs-market", 1 * 24 + 19, 3)
    # Ages from the window's end (Wednesday 00:00): 4 h 50 min, 7 d 4 h 20 min, 14 d 4 h 55 min.
    ages = (4 + 50 / 60) / 24, 7 + (4 + 20 / 60) / 24, 14 + (4 + 55 / 60) / 24
    assert first.score == pytest.approx(sum(0.5 ** (age / 7) for age in ages), abs=0.001)
    assert first.categories == ((IncidentCategory.THEFT, 2), (IncidentCategory.FRAUD, 1))
    assert first.total_case_count == 5 and first.rank == 1
    assert "周二 19:00–20:00" in first.reason and "3 起" in first.reason and "盗窃 2" in first.reason
    assert "2026-02-04–2026-03-03" in first.reason
    assert second.cell_id.startswith("cell-300-") and second.hotspot_id == "" and second.case_count == 2
    assert second.name == "汴河路一带" and second.kind is HotSpotKind.AREA and second.area.rings
    assert (third.hotspot_id, third.hour_of_week) == ("hs-market", 9)
    assert third.score < second.score  # two cases, but weeks older
    assert second.density > 0 and first.slot.weekdays == (2,)


def test_a_zone_filter_and_a_category_filter_narrow_the_ranking() -> None:
    tuesday = date(2026, 3, 3)
    incidents = [
        _incident(n, local(tuesday, 19, n), at_m(500, 500), IncidentCategory.FRAUD) for n in range(3)
    ]
    assert rank(incidents, [MARKET], WINDOW, categories=frozenset({IncidentCategory.THEFT}))[0] == []
    assert len(rank(incidents, [MARKET], WINDOW, zone_code=ZONE_A)[0]) == 1
    assert rank(incidents, [MARKET], WINDOW, zone_code=ZONE_B)[0] == []


ROOM_NEAR = MobileRoomView("room-near", active=True, location=at_m(1000, 0))
ROOM_FAR = MobileRoomView("room-far", active=True, location=at_m(5000, 5000))
ROOM_CLOSED = MobileRoomView("room-closed", active=False, location=at_m(0, 0))
CHECKPOINTS = [
    Checkpoint("cp-west", "西卡口", CheckpointKind.CHECKPOINT, at_m(0, 0)),
    Checkpoint("cp-east", "东卡口", CheckpointKind.CHECKPOINT, at_m(4000, 4000)),
    Checkpoint("cp-shut", "停用卡口", CheckpointKind.CHECKPOINT, at_m(100, 100), active=False),
]


def test_an_interception_mans_the_checkpoint_nearest_the_place_with_the_nearest_active_mobile_room() -> None:
    choice = choose_interception(
        location=at_m(300, 200),
        checkpoint_id="",
        checkpoints=CHECKPOINTS,
        rooms=[ROOM_NEAR, ROOM_FAR, ROOM_CLOSED],
        positions={},
    )
    assert choice.checkpoint.checkpoint_id == "cp-west"  # the inactive one, nearer, is passed over
    assert choice.room.room_id == "room-near"
    assert choice.distance_m == pytest.approx(1000, rel=0.01)


def test_a_recent_gps_position_beats_where_the_registry_believes_the_room_is() -> None:
    choice = choose_interception(
        location=at_m(300, 200),
        checkpoint_id="",
        checkpoints=CHECKPOINTS,
        rooms=[ROOM_NEAR, ROOM_FAR],
        positions={"room-far": at_m(200, 0)},  # the far room's vehicle is actually right there
    )
    assert choice.room.room_id == "room-far"


def test_an_interception_without_a_room_or_checkpoint_is_refused_with_the_rule() -> None:
    with pytest.raises(RuleViolation, match="R-ROOM-5"):
        choose_interception(
            location=at_m(0, 0), checkpoint_id="", checkpoints=CHECKPOINTS, rooms=[ROOM_CLOSED], positions={}
        )
    with pytest.raises(RuleViolation, match="R-PAT-3"):
        choose_interception(
            location=at_m(0, 0), checkpoint_id="", checkpoints=[], rooms=[ROOM_NEAR], positions={}
        )
    with pytest.raises(ValidationFailed) as refused:
        choose_interception(
            location=None, checkpoint_id="", checkpoints=CHECKPOINTS, rooms=[ROOM_NEAR], positions={}
        )
    assert set(violations_of(refused.value)) == {"location"}
    with pytest.raises(ValidationFailed) as unknown:
        choose_interception(
            location=None, checkpoint_id="cp-none", checkpoints=CHECKPOINTS, rooms=[ROOM_NEAR], positions={}
        )
    assert set(violations_of(unknown.value)) == {"checkpoint_id"}


def test_a_zone_without_an_in_service_gps_vehicle_is_uncovered() -> None:
    vehicles = [
        PatrolVehicle("v-1", "皖L·J0001", ZONE_A, device_id="d-1"),
        PatrolVehicle("v-2", "皖L·J0002", ZONE_B, device_id="d-2"),
        PatrolVehicle("v-3", "皖L·J0003", ZONE_B, status=VehicleStatus.MAINTENANCE, device_id="d-3"),
    ]
    devices = {"d-2": DeviceView("d-2", DeviceKind.VEHICLE_TERMINAL, enabled=False)}
    found = coverage(zones(), vehicles, devices)
    assert found.covered == (ZONE_A,) and found.uncovered == (ZONE_B,)
    assert coverage(zones(), vehicles, {}).uncovered == ()
