"""Incidents from other police systems (R-PAT-2, R-NOT-5): recorded once per sender's incident id,
over gRPC (RecordIncident) or Kafka (jingwu.<district>.patrol.incidents.v1)."""

from __future__ import annotations

from datetime import datetime

from jingwu.patrol.v1 import events_pb2
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_patrol.adapters.proto_mapping import incident_to_proto
from jingwu_patrol.application.ports import IncidentQuery, IncidentRepository
from jingwu_patrol.application.territory import TerritoryApplication
from jingwu_patrol.domain import incidents as rules
from jingwu_patrol.domain.incidents import Incident, IncidentCategory, IncidentLimits, IncidentReport


class IncidentApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        incidents: IncidentRepository,
        territory: TerritoryApplication,
        limits: IncidentLimits,
    ) -> None:
        self._kit = kit
        self._incidents = incidents
        self._territory = territory
        self._limits = limits

    def incident_id(self, report: IncidentReport) -> str:
        return self._kit.ids.stable("incident", report.source_system, report.source_incident_id.strip())

    async def record(
        self, report: IncidentReport, *, channel: str, prefix: str = ""
    ) -> tuple[Incident, bool]:
        """The incident and whether it was a duplicate (then the first record, unchanged). Invalid
        reports raise ValidationFailed with one violation per bad field (``prefix``: their parent)."""
        incident_id = (
            self.incident_id(report) if report.source_system and report.source_incident_id.strip() else ""
        )
        if incident_id:
            first = await self._incidents.get(incident_id)
            if first is not None:
                return first, True
        incident = rules.accept(
            report,
            incident_id=incident_id,
            district=self._kit.district,
            zones=await self._territory.district_map(),
            now=self._kit.now(),
            channel=channel,
            limits=self._limits,
            prefix=prefix,
        )
        event = events_pb2.IncidentRecorded(
            district_code=self._kit.district,
            incident=incident_to_proto(incident),
            occur_time=self._kit.events.occur_time(),
        )
        if not await self._incidents.insert(incident, [self._kit.events(event, incident_id)]):
            first = await self._incidents.get(incident_id)
            assert first is not None
            return first, True  # recorded concurrently by the other channel
        return incident, False

    async def list_incidents(
        self,
        *,
        zone_code: str,
        category: IncidentCategory | None,
        start: datetime | None,
        end: datetime | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Incident], str]:
        limit = page_limit(page_size)
        found = await self._incidents.select(
            IncidentQuery(zone_code, category, start, end, before_id=page_token, limit=limit)
        )
        return found, next_page_token(found, limit, lambda i: i.order_key)

    async def in_window(self, start: datetime, end: datetime, zone_code: str = "") -> list[Incident]:
        return await self._incidents.select(IncidentQuery(zone_code=zone_code, start=start, end=end))
