"""The map's GeoJSON from the contract messages (R-POP-7, R-ROOM-4, R-POP-3, R-PAT-3)."""

from __future__ import annotations

from datetime import date

from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.population.v1 import population_pb2
from jingwu.rooms.v1 import rooms_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_console import geojson
from jingwu_platform.outline import convex_hull


def _ring(*points: tuple[float, float]) -> common_pb2.LinearRing:
    return common_pb2.LinearRing(points=[common_pb2.GeoPoint(longitude=x, latitude=y) for x, y in points])


def _square(x: float, y: float, size: float = 1.0) -> common_pb2.Polygon:
    return common_pb2.Polygon(rings=[_ring((x, y), (x + size, y), (x + size, y + size), (x, y + size))])


def test_zones_become_closed_polygons_with_their_codes_and_a_label_point() -> None:
    zones = [
        rooms_pb2.Zone(zone_code="03010101", name="东关社区", boundary=_square(0, 0, 2)),
        rooms_pb2.Zone(zone_code="03010102", name="retired", boundary=_square(5, 5), retired=True),
        rooms_pb2.Zone(zone_code="03010103", name="no boundary"),
    ]
    features = geojson.zone_features(zones)
    assert [f["id"] for f in features] == ["03010101"]  # retired and boundary-less zones are not drawn
    ring = features[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] == [0.0, 0.0]  # RFC 7946: closed, even when the contract's ring is not
    assert len(ring) == 5
    assert features[0]["properties"]["label_point"] == [1.0, 1.0]
    assert geojson.bbox_of(features) == [0.0, 0.0, 2.0, 2.0]


def test_an_already_closed_ring_is_not_closed_twice() -> None:
    polygon = common_pb2.Polygon(rings=[_ring((0, 0), (1, 0), (1, 1), (0, 0))])
    assert geojson.rings(polygon) == [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]


def test_rooms_by_kind_with_the_room_without_an_officer_flagged_r_room_4() -> None:
    here = common_pb2.GeoPoint(longitude=117.0, latitude=33.6)
    rooms = [
        rooms_pb2.Room(
            room_id="r1",
            name="东关警务室",
            kind=rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE,
            status=rooms_pb2.ROOM_STATUS_ACTIVE,
            location=here,
            officers=[
                rooms_pb2.RoomOfficer(officer_id="o1", police_officer=True),
                rooms_pb2.RoomOfficer(officer_id="a1", police_officer=False),
            ],
        ),
        rooms_pb2.Room(
            room_id="r2", kind=rooms_pb2.ROOM_KIND_MOBILE, status=rooms_pb2.ROOM_STATUS_ACTIVE, location=here
        ),
        rooms_pb2.Room(room_id="r3", status=rooms_pb2.ROOM_STATUS_CLOSED, location=here),
        rooms_pb2.Room(room_id="r4", status=rooms_pb2.ROOM_STATUS_ACTIVE),  # no location: not drawn
    ]
    gaps = [rooms_pb2.CoverageGap(finding="room_without_officer", room_id="r2")]
    features = {f["id"]: f["properties"] for f in geojson.room_features(rooms, gaps)}
    assert set(features) == {"r1", "r2"}
    assert features["r1"]["kind_label"] == "居家式社区警务室"
    assert (features["r1"]["officer_count"], features["r1"]["auxiliary_count"]) == (1, 1)
    assert features["r1"]["gap"] is False and features["r2"]["gap"] is True


def test_a_must_build_village_without_a_room_is_a_gap_with_its_reasons() -> None:
    at = common_pb2.GeoPoint(longitude=117.1, latitude=33.7)
    villages = [
        rooms_pb2.Village(village_id="v1", name="张庄", location=at, former_township_seat=True),
        rooms_pb2.Village(village_id="v2", name="李庄", location=at),
    ]
    gaps = [
        rooms_pb2.CoverageGap(
            finding="must_build_village_without_room", village_id="v1", reasons=["former_township_seat"]
        )
    ]
    props = {f["id"]: f["properties"] for f in geojson.village_features(villages, gaps)}
    assert props["v1"]["gap"] is True and props["v1"]["must_build"] == ["former_township_seat"]
    assert props["v2"]["gap"] is False and props["v2"]["must_build"] == []


def test_places_due_for_inspection_flag_the_overdue_ones_r_pop_3() -> None:
    at = common_pb2.GeoPoint(longitude=117.0, latitude=33.6)
    places = [
        population_pb2.Place(
            place_id="p1",
            name="网吧",
            location=at,
            contact_phone="13900001111",
            inspection_due_date=common_pb2.LocalDate(year=2026, month=3, day=1),
        ),
        population_pb2.Place(
            place_id="p2", location=at, inspection_due_date=common_pb2.LocalDate(year=2026, month=3, day=20)
        ),
    ]
    props = {f["id"]: f["properties"] for f in geojson.place_features(places, date(2026, 3, 10))}
    assert props["p1"]["overdue"] is True and props["p1"]["days_overdue"] == 9
    assert props["p2"]["overdue"] is False
    assert all("contact" not in key for p in props.values() for key in p)  # no personal data on the map


def test_density_per_zone_and_houses_without_personal_data() -> None:
    counts = geojson.density(
        [population_pb2.ZonePopulation(zone_code="03010101", actual_population=7300, house_count=2100)]
    )
    assert counts["03010101"]["actual_population"] == 7300
    houses = geojson.house_features(
        [
            population_pb2.MapFeature(
                kind=population_pb2.MAP_FEATURE_KIND_HOUSE,
                id="h1",
                label="东关路1号",
                location=common_pb2.GeoPoint(longitude=117.0, latitude=33.6),
                resident_count=4,
            ),
            population_pb2.MapFeature(kind=population_pb2.MAP_FEATURE_KIND_PLACE, id="p1"),
        ]
    )
    assert [h["id"] for h in houses] == ["h1"] and houses[0]["properties"]["resident_count"] == 4


def test_rings_and_checkpoints_r_pat_3() -> None:
    rings = geojson.ring_features(
        [
            patrol_pb2.PreventionRing(
                ring_id="g1", name="城区内圈", level=patrol_pb2.RING_LEVEL_INNER, boundary=_square(0, 0)
            )
        ]
    )
    assert rings[0]["properties"]["level_label"] == "内圈"
    points = geojson.checkpoint_features(
        [
            patrol_pb2.Checkpoint(
                checkpoint_id="c1",
                name="北关卡口",
                location=common_pb2.GeoPoint(longitude=1, latitude=2),
                active=True,
            ),
            patrol_pb2.Checkpoint(checkpoint_id="c2"),  # no location
        ]
    )
    assert [p["geometry"]["coordinates"] for p in points] == [[1.0, 2.0]]


def test_a_fix_and_a_position_for_the_live_map() -> None:
    fix = telemetry_pb2.LocationFix(
        device_id="d1",
        device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
        position=common_pb2.GeoPoint(longitude=117.01, latitude=33.61),
        speed_kmh=41.26,
    )
    fix.fix_time.FromJsonString("2026-03-01T02:03:04Z")
    assert geojson.fix_json(fix) == {
        "device_id": "d1",
        "kind": "DEVICE_KIND_VEHICLE_TERMINAL",
        "lon": 117.01,
        "lat": 33.61,
        "speed_kmh": 41.3,
        "heading_deg": 0.0,
        "time": "2026-03-01T02:03:04Z",
    }
    position = geojson.position_json(
        telemetry_pb2.DevicePosition(device_id="d1", vehicle_id="v1", current_zone_code="03010101", fix=fix)
    )
    assert (
        position["vehicle_id"] == "v1" and position["zone_code"] == "03010101" and position["lon"] == 117.01
    )


def test_a_zone_without_a_recorded_boundary_is_drawn_around_its_villages_and_rooms() -> None:
    at = [(117.00, 33.60), (117.02, 33.60), (117.01, 33.62)]
    villages = [
        rooms_pb2.Village(
            village_id=f"v{i}", zone_code="03010101", location=common_pb2.GeoPoint(longitude=x, latitude=y)
        )
        for i, (x, y) in enumerate(at)
    ]
    room = rooms_pb2.Room(
        room_id="r1", zone_codes=["03010102"], location=common_pb2.GeoPoint(longitude=117.1, latitude=33.7)
    )
    features = {
        f["id"]: f
        for f in geojson.zone_features(
            [
                rooms_pb2.Zone(zone_code="03010101"),
                rooms_pb2.Zone(zone_code="03010102"),
                rooms_pb2.Zone(zone_code="03010103"),
            ],
            villages,
            [room],
        )
    }
    assert set(features) == {"03010101", "03010102"}  # 03010103 has nothing located: not drawn
    assert features["03010101"]["properties"]["approximate"] is True
    ring = features["03010101"]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    # Every village lies inside, with the margin (600 m ≈ 0.0054° of latitude) around them.
    assert min(xs) < 117.00 - 0.005 and max(xs) > 117.02 + 0.005
    assert min(ys) < 33.60 - 0.005 and max(ys) > 33.62 + 0.005
    assert max(ys) - 33.62 < 0.007
    # A single room still gives its zone an outline around it.
    assert len(features["03010102"]["geometry"]["coordinates"][0]) > 8


def test_the_convex_hull_drops_inner_points() -> None:
    hull = convex_hull([(0, 0), (2, 0), (2, 2), (0, 2), (1, 1), (1, 0)])
    assert sorted(hull) == [(0, 0), (0, 2), (2, 0), (2, 2)]
