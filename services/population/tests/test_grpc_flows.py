"""Whole flows on the real stack: a crash in the middle of an import leaves nothing half-imported and the
import resumes; a re-division in the room registry moves houses and residents with a hand-over list
(R-ORG-3); zone counts reach personnel, whose R-PER-4 ratio uses them; visits are published for the
assessment (R-POP-5 → R-PER-11)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import grpc
import pytest
from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu.population.v1 import events_pb2
from jingwu.population.v1 import population_pb2 as pb
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc
from jingwu_personnel.entrypoints.main import build_runtime as personnel_runtime
from jingwu_platform.auth import Role
from jingwu_platform.events import decode_payload, parse_record
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.policy import DistrictPolicy, StaffingStandard
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import read_topic, refused, token_for, wait_until
from jingwu_population.adapters.store import SEGMENT_PREFIX, StoredPopulation
from jingwu_rooms.entrypoints.main import build as rooms_build

from conftest import started

from .conftest import Population, import_rows, rows_for, zone

pytestmark = pytest.mark.integration


# The registry's declared workload: 1 resident. Personnel must use the measured figure instead.
WORKLOAD = rooms_pb2.ZoneWorkload(actual_population=1, area_km2=1.2, security_complexity=2)


class Crash(Exception):
    """What a process dying at that point looks like to the code after it: nothing more happens."""


async def test_a_crash_in_the_middle_of_an_import_leaves_nothing_half_imported(
    population: Population,
) -> None:
    admin = population.stub(Role.DISTRICT_ADMIN)
    store = population.process.store
    store.segment_batch = 10
    written: list[int] = []

    async def crash_after_two_batches(count: int) -> None:
        written.append(count)
        if len(written) == 2:
            raise Crash("the process died while writing the import")

    store.after_segment_batch = crash_after_two_batches
    error = await refused(
        import_rows(admin, rows_for(population.district, 45), hashlib.sha256(b"c").hexdigest())
    )
    assert error.code() == grpc.StatusCode.INTERNAL and written == [10, 20]
    # Nothing is visible, neither in the running process nor in one rebuilt from the store.
    assert (await admin.ListResidents(pb.ListResidentsRequest())).residents == []
    rebuilt = StoredPopulation(store._db, OutboxRegistry())
    await rebuilt.load()
    assert rebuilt.image.residents == {} and rebuilt.image.houses == {}
    (pending,) = await rebuilt.imports_committing()
    segment = store._db[f"{SEGMENT_PREFIX}{pending.import_id}"]
    assert await segment.count_documents({}) == 2  # the two packed batches written, not listed
    # The restarted service finishes the import (resume at start), once, completely.
    store.after_segment_batch = None
    await population.process.imports.resume()
    done = (await admin.GetLedgerImport(pb.GetLedgerImportRequest(import_id=pending.import_id))).ledger_import
    assert done.status == pb.LEDGER_IMPORT_STATUS_COMMITTED and done.residents_created == 45
    assert (
        len(
            (
                await admin.ListResidents(pb.ListResidentsRequest(page=common_pb2.PageRequest(page_size=100)))
            ).residents
        )
        == 45
    )
    again = StoredPopulation(store._db, OutboxRegistry())
    await again.load()
    assert len(again.image.residents) == 45 and len(await again.segment_names()) == 1
    assert await segment.count_documents({}) == 6  # dropped and rewritten: 15 houses + 45 residents


async def test_a_redivision_moves_houses_and_residents_with_a_handover_list(
    population: Population, settings_for: Callable[..., ServiceSettings], auth_secret: str
) -> None:
    district = population.district
    rooms_runtime, _ = rooms_build(settings_for("rooms", district))
    async with started(rooms_runtime) as rooms_port:
        channel = open_channel(
            f"127.0.0.1:{rooms_port}", token_for(auth_secret, district, Role.DISTRICT_ADMIN)
        )
        population.channels.append(channel)
        rooms = rooms_pb2_grpc.RoomRegistryServiceStub(channel)
        await rooms.CreateStation(
            rooms_pb2.CreateStationRequest(
                station_id="st-1",
                name="汴河派出所",
                kind=rooms_pb2.STATION_KIND_URBAN,
                operating_model=rooms_pb2.OPERATING_MODEL_ZONE,
                location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
            )
        )
        old = zone(district, 1)
        await rooms.CreateZone(
            rooms_pb2.CreateZoneRequest(
                workload=WORKLOAD, zone_code=old, community_name="汴河社区", station_id="st-1"
            )
        )
        for village in ("vil-a", "vil-b"):
            await rooms.RegisterVillage(
                rooms_pb2.RegisterVillageRequest(
                    village_id=village,
                    name=f"{village}社区",
                    level=rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE,
                    zone_code=old,
                    station_id="st-1",
                    urban_community=True,
                    location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
                )
            )
        admin = population.stub(Role.DISTRICT_ADMIN)
        rows = rows_for(district, 18, zones=1)
        for n, row in enumerate(rows):
            row.cells["社区村编码"] = "vil-a" if (n // 3) % 2 == 0 else "vil-b"
        await import_rows(admin, rows, hashlib.sha256(b"r").hexdigest())
        await wait_until(lambda: population.process.consumer.processed >= 4, what="territory consumed")
        new_a, new_b = f"{district}020301", f"{district}020401"
        result = await rooms.RedivideZones(
            rooms_pb2.RedivideZonesRequest(
                from_zone_codes=[old],
                to_zones=[
                    rooms_pb2.CreateZoneRequest(
                        workload=WORKLOAD,
                        zone_code=new_a,
                        community_name="vil-a社区",
                        station_id="st-1",
                        community_ids=["vil-a"],
                    ),
                    rooms_pb2.CreateZoneRequest(
                        workload=WORKLOAD,
                        zone_code=new_b,
                        community_name="vil-b社区",
                        station_id="st-1",
                        community_ids=["vil-b"],
                    ),
                ],
                reason="按工作量重新划分",
            )
        )

        async def moved() -> bool:
            try:
                reply = await admin.GetZoneHandover(
                    pb.GetZoneHandoverRequest(redivision_id=result.redivision_id)
                )
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return False  # the event is not consumed yet
                raise
            return reply.zone_handover.complete

        await wait_until(moved, what="re-division applied")
        handover = (
            await admin.GetZoneHandover(
                pb.GetZoneHandoverRequest(
                    redivision_id=result.redivision_id, page=common_pb2.PageRequest(page_size=500)
                )
            )
        ).zone_handover
        assert (handover.houses_moved, handover.residents_moved) == (6, 18)
        assert {(e.record_type, e.to_zone_code) for e in handover.entries} == {
            ("house", new_a),
            ("house", new_b),
            ("resident", new_a),
            ("resident", new_b),
        }
        assert len(handover.entries) == 24
        counts = {
            z.zone_code: z.actual_population
            for z in (await admin.ListZonePopulations(pb.ListZonePopulationsRequest())).zone_populations
        }
        assert (counts[new_a], counts[new_b], counts.get(old, 0)) == (9, 9, 0)  # nothing orphaned
        assert (await admin.ListResidents(pb.ListResidentsRequest(zone_code=old))).residents == []


async def test_zone_counts_reach_personnel_and_r_per_4_uses_them(
    population: Population,
    settings_for: Callable[..., ServiceSettings],
    auth_secret: str,
    kafka_bootstrap: str,
) -> None:
    district = population.district
    # A small ratio so a few residents exceed what the zone's (no) community officers cover.
    policy = DistrictPolicy(staffing=StaffingStandard(urban_residents_per_community_officer=2))
    rooms_runtime, _ = rooms_build(settings_for("rooms", district))
    personnel, _ = personnel_runtime(settings_for("personnel", district), policy)
    async with started(rooms_runtime) as rooms_port, started(personnel) as personnel_port:
        admin_token = token_for(auth_secret, district, Role.DISTRICT_ADMIN)
        rooms_channel = open_channel(f"127.0.0.1:{rooms_port}", admin_token)
        personnel_channel = open_channel(f"127.0.0.1:{personnel_port}", admin_token)
        population.channels += [rooms_channel, personnel_channel]
        rooms = rooms_pb2_grpc.RoomRegistryServiceStub(rooms_channel)
        staff = personnel_pb2_grpc.PersonnelServiceStub(personnel_channel)
        await rooms.CreateStation(
            rooms_pb2.CreateStationRequest(
                station_id="st-1",
                name="汴河派出所",
                kind=rooms_pb2.STATION_KIND_URBAN,
                operating_model=rooms_pb2.OPERATING_MODEL_ZONE,
                location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
            )
        )
        await rooms.CreateZone(
            rooms_pb2.CreateZoneRequest(
                workload=WORKLOAD, zone_code=zone(district, 1), community_name="汴河社区", station_id="st-1"
            )
        )

        async def ratio_findings() -> list[per.StaffingFinding]:
            reply = await staff.ListStaffingFindings(
                per.ListStaffingFindingsRequest(kind=per.STAFFING_FINDING_KIND_POPULATION_RATIO_EXCEEDED)
            )
            return [f for f in reply.staffing_findings if f.zone_code == zone(district, 1)]

        await import_rows(
            population.stub(Role.DISTRICT_ADMIN),
            rows_for(district, 9, zones=1),
            hashlib.sha256(b"p").hexdigest(),
        )
        await population.process.counts.publish_changed(force=True)

        async def personnel_counted() -> bool:
            found = await ratio_findings()
            return bool(found) and found[0].actual_value == 9

        await wait_until(
            personnel_counted, timeout_s=60, what="personnel's R-PER-4 on the measured population"
        )
        # The familiarisation visits an officer records are published with the week's progress.
        house = (await population.stub(Role.OFFICER).ListHouses(pb.ListHousesRequest())).houses[0]
        await population.stub(Role.OFFICER, subject="officer-3").RecordFamiliarisationVisit(
            pb.RecordFamiliarisationVisitRequest(house_id=house.house_id, request_id="v-1")
        )
        records = await read_topic(
            kafka_bootstrap,
            f"jingwu.{district}.population.v1",
            until=lambda rs: any(
                r.headers.get("ce_type", "").endswith("FamiliarisationVisitRecorded") for r in rs
            ),
        )
        record = next(r for r in records if r.headers["ce_type"].endswith("FamiliarisationVisitRecorded"))
        visit = decode_payload(
            parse_record(list(record.headers.items()), record.value, record.key),
            events_pb2.FamiliarisationVisitRecorded,
        )
        assert (
            visit.visit.officer_id,
            visit.progress.households_visited,
            visit.progress.target_households,
        ) == ("officer-3", 1, 30)
        assert record.key == b"officer-3"
