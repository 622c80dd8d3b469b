"""Patrol vehicles (R-PAT-1): register, reassign, read, and the coverage of zones by GPS vehicles — on
demand, and daily as findings (a zone without one)."""

from __future__ import annotations

from collections.abc import Sequence

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.schedule import Period
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_patrol.adapters.proto_mapping import vehicle_to_proto
from jingwu_patrol.application.ports import FindingRepository, VehicleQuery, VehicleRepository
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import vehicles as rules
from jingwu_patrol.domain.findings import FindingKind, PatrolFinding, finding_id
from jingwu_patrol.domain.vehicles import Coverage, PatrolVehicle, VehicleStatus


class VehicleApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        vehicles: VehicleRepository,
        findings: FindingRepository,
        territory: TerritoryApplication,
    ) -> None:
        self._kit = kit
        self._vehicles = vehicles
        self._findings = findings
        self._territory = territory

    async def register(
        self,
        *,
        plate: str,
        zone_code: str,
        device_id: str,
        room_id: str,
        officer_ids: Sequence[str],
        caller: Caller,
        request_id: str,
    ) -> PatrolVehicle:
        vehicle_id = self._kit.ids.for_request("vehicle", request_id)
        existing = await self._vehicles.get(vehicle_id)
        if existing is not None:
            return existing  # a retried request answers the first registration
        vehicle = rules.register(
            vehicle_id=vehicle_id,
            plate=plate,
            zone_code=zone_code,
            device_id=device_id.strip(),
            room_id=room_id.strip(),
            officer_ids=officer_ids,
            district=self._kit.district,
            zones=await self._territory.district_map(),
            devices=await self._territory.devices(),
            rooms=await self._territory.mobile_rooms(),
            by=caller.subject,
            at=self._kit.now(),
        )
        event = events_pb2.PatrolVehicleRegistered(
            district_code=self._kit.district,
            vehicle=vehicle_to_proto(vehicle),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._vehicles.add(vehicle, [self._kit.events(event, vehicle_id)]):
            stored = await self._vehicles.get(vehicle_id)
            assert stored is not None
            return stored
        return vehicle

    async def reassign(
        self,
        vehicle_id: str,
        *,
        zone_code: str,
        device_id: str,
        status: VehicleStatus | None,
        officer_ids: Sequence[str],
        reason: str,
        caller: Caller,
    ) -> PatrolVehicle:
        zones = await self._territory.district_map()
        devices = await self._territory.devices()

        async def attempt() -> PatrolVehicle | None:
            vehicle = await self.get(vehicle_id)
            changed = rules.reassign(
                vehicle,
                zone_code=zone_code,
                device_id=device_id.strip(),
                status=status,
                officer_ids=officer_ids,
                reason=reason,
                district=self._kit.district,
                zones=zones,
                devices=devices,
                by=caller.subject,
                at=self._kit.now(),
            )
            event = events_pb2.PatrolVehicleAssigned(
                district_code=self._kit.district,
                vehicle=vehicle_to_proto(changed),
                previous_zone_code=vehicle.zone_code,
                reason=reason.strip(),
                occur_time=self._kit.events.occur_time(),
            )
            return await self._vehicles.save(changed, [self._kit.events(event, vehicle_id)])

        return await retry_on_conflict(attempt, f"vehicle {vehicle_id}")

    async def get(self, vehicle_id: str) -> PatrolVehicle:
        vehicle = await self._vehicles.get(vehicle_id) if vehicle_id else None
        if vehicle is None:
            raise NotFound("patrol vehicle", vehicle_id)
        return vehicle

    async def list_vehicles(
        self,
        *,
        zone_code: str,
        station_id: str,
        status: VehicleStatus | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[PatrolVehicle], str]:
        limit = page_limit(page_size)
        found = await self._vehicles.select(
            VehicleQuery(
                zone_code=zone_code, station_id=station_id, status=status, after_id=page_token, limit=limit
            )
        )
        return found, next_page_token(found, limit, lambda v: v.vehicle_id)

    async def coverage(self, station_id: str = "") -> Coverage:
        """R-PAT-1: zones (of a station, or the district) with and without a GPS patrol vehicle."""
        zones = [z for z in await self._territory.zones() if not station_id or z.station_id == station_id]
        vehicles = await self._vehicles.select(VehicleQuery(status=VehicleStatus.IN_SERVICE))
        return rules.coverage(zones, vehicles, await self._territory.devices())

    async def check_coverage(self, period: Period) -> int:
        """The daily schedule: each zone without a GPS vehicle that day is a finding (R-PAT-1), once."""
        zones = {z.zone_code: z for z in await self._territory.zones()}
        found = await self.coverage()
        raised = 0
        for zone_code in found.uncovered:
            zone = zones[zone_code]
            finding = PatrolFinding(
                finding_id=finding_id(FindingKind.ZONE_WITHOUT_VEHICLE, zone_code, period.start),
                kind=FindingKind.ZONE_WITHOUT_VEHICLE,
                day=period.start,
                raised_at=self._kit.now(),
                zone_code=zone_code,
                detail=f"警务区 {zone.name or zone_code} 没有在用且绑定 GPS 终端的巡逻车 (R-PAT-1)",
            )
            event = events_pb2.ZoneWithoutPatrolVehicle(
                district_code=self._kit.district,
                zone_code=zone_code,
                station_id=zone.station_id,
                date=local_date_to_proto(period.start),
                occur_time=self._kit.events.occur_time(),
            )
            if await self._findings.insert(finding, [self._kit.events(event, zone_code)]):
                raised += 1
        return raised
