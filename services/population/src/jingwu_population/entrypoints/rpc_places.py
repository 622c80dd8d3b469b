"""gRPC methods of places and inspections (R-POP-3), information records (R-POP-4), familiarisation visits
(R-POP-5), the map and zone counts (R-POP-7, R-PER-4), findings, re-division hand-overs (R-ORG-3) and
ledger imports."""
# ruff: noqa: N802 - gRPC method names are PascalCase

from __future__ import annotations

from datetime import UTC

from jingwu.population.v1 import population_pb2 as pb
from jingwu_platform.auth import current_caller
from jingwu_platform.errors import NotFound
from jingwu_platform.grpc_server import Context
from jingwu_platform.paging import page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.adapters.proto_mapping import (
    COLOUR,
    FINDING_KIND,
    INFO_CATEGORY,
    KEY_GROUP,
    PLACE_KIND,
    RESULT,
    STAGE,
    bbox_from_proto,
    circle_from_proto,
    feature_to_proto,
    finding_to_proto,
    handover_to_proto,
    import_to_proto,
    inspection_to_proto,
    local_date,
    place_to_proto,
    point_from_proto,
    polygon_from_proto,
    progress_to_proto,
    record_to_proto,
    visit_to_proto,
    zone_population_to_proto,
)
from jingwu_population.application.audit import AuditApplication
from jingwu_population.application.counts import MapApplication, ZonePopulationApplication
from jingwu_population.application.findings import FindingsApplication
from jingwu_population.application.imports import ImportApplication
from jingwu_population.application.information import InformationApplication, RecordDraft
from jingwu_population.application.places import InspectionDraft, PlaceApplication, PlaceDraft
from jingwu_population.application.ports import InspectionQuery, MapQuery, PlaceQuery, RecordQuery
from jingwu_population.application.territory import TerritoryApplication
from jingwu_population.application.visits import VisitApplication
from jingwu_population.domain.geo import Area
from jingwu_population.domain.places import PlaceKind
from jingwu_population.domain.privacy import AccessRequest

SERVICE = "/jingwu.population.v1.PopulationService/"


class PlaceRpcs:
    _kit: UseCaseKit
    _places: PlaceApplication
    _information: InformationApplication
    _visits: VisitApplication
    _map: MapApplication
    _counts: ZonePopulationApplication
    _findings: FindingsApplication
    _territory: TerritoryApplication
    _imports: ImportApplication
    _audit: AuditApplication

    async def _ready(self) -> None:
        raise NotImplementedError

    async def RegisterPlace(
        self, request: pb.RegisterPlaceRequest, context: Context
    ) -> pb.RegisterPlaceResponse:
        await self._ready()
        place = await self._places.register(
            PlaceDraft(
                kind=PLACE_KIND.from_proto(request.kind),
                name=request.name,
                address=request.address,
                house_id=request.house_id,
                location=point_from_proto(request.location),
                zone_code=request.zone_code,
                village_id=request.village_id,
                contact_name=request.contact_name,
                contact_phone=request.contact_phone,
            ),
            request.request_id,
            current_caller(),
        )
        return pb.RegisterPlaceResponse(place=place_to_proto(place, interval_months=self._places.interval))

    async def GetPlace(self, request: pb.GetPlaceRequest, context: Context) -> pb.GetPlaceResponse:
        await self._ready()
        caller = current_caller()
        disclosure = self._audit.disclosure(
            caller,
            AccessRequest(request.access.unmask, request.access.purpose, request.access.case_reference),
        )
        place = await self._places.get(request.place_id)
        if disclosure.identity and place.contact_phone:
            await self._audit.record(
                caller, SERVICE + "GetPlace", disclosure, place_ids=[place.place_id], fields=["contact_phone"]
            )
        return pb.GetPlaceResponse(place=place_to_proto(place, disclosure, self._places.interval))

    async def ListPlaces(self, request: pb.ListPlacesRequest, context: Context) -> pb.ListPlacesResponse:
        await self._ready()
        places, token = await self._places.list_places(
            PlaceQuery(
                kind=PLACE_KIND.from_proto(request.kind),
                zone_code=request.zone_code,
                due_by=local_date(request.inspection_due_by)
                if request.HasField("inspection_due_by")
                else None,
                after=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        response = pb.ListPlacesResponse(
            places=[place_to_proto(p, interval_months=self._places.interval) for p in places]
        )
        response.page.next_page_token = token
        return response

    async def RecordPlaceInspection(
        self, request: pb.RecordPlaceInspectionRequest, context: Context
    ) -> pb.RecordPlaceInspectionResponse:
        await self._ready()
        inspection, place = await self._places.record_inspection(
            InspectionDraft(
                place_id=request.place_id,
                inspected_at=request.inspect_time.ToDatetime(tzinfo=UTC)
                if request.HasField("inspect_time")
                else None,
                result=RESULT.from_proto(request.result),
                hazards=tuple(request.hazards),
                rectification_due=local_date(request.rectification_due_date)
                if request.HasField("rectification_due_date")
                else None,
                notes=request.notes,
                location=point_from_proto(request.location) if request.HasField("location") else None,
            ),
            request.request_id,
            current_caller(),
        )
        return pb.RecordPlaceInspectionResponse(
            place_inspection=inspection_to_proto(inspection),
            place=place_to_proto(place, interval_months=self._places.interval),
        )

    async def ListPlaceInspections(
        self, request: pb.ListPlaceInspectionsRequest, context: Context
    ) -> pb.ListPlaceInspectionsResponse:
        await self._ready()
        inspections, token = await self._places.inspections(
            InspectionQuery(
                place_id=request.place_id,
                zone_code=request.zone_code,
                start=local_date(request.period.start) if request.period.start.year else None,
                end=local_date(request.period.end) if request.period.end.year else None,
                result=RESULT.from_proto(request.result),
                before=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        response = pb.ListPlaceInspectionsResponse(
            place_inspections=[inspection_to_proto(i) for i in inspections]
        )
        response.page.next_page_token = token
        return response

    async def CollectInformation(
        self, request: pb.CollectInformationRequest, context: Context
    ) -> pb.CollectInformationResponse:
        await self._ready()
        record = await self._information.collect(
            RecordDraft(
                colour=COLOUR.from_proto(request.colour),
                category=INFO_CATEGORY.from_proto(request.category),
                zone_code=request.zone_code,
                house_id=request.house_id,
                resident_id=request.resident_id,
                place_id=request.place_id,
                title=request.title,
                content=request.content,
                source=request.source,
            ),
            request.request_id,
            current_caller(),
        )
        return pb.CollectInformationResponse(information_record=record_to_proto(record))

    async def AdvanceInformation(
        self, request: pb.AdvanceInformationRequest, context: Context
    ) -> pb.AdvanceInformationResponse:
        await self._ready()
        record = await self._information.advance(
            request.record_id,
            STAGE.from_proto(request.to_stage),
            request.note,
            COLOUR.from_proto(request.colour),
            INFO_CATEGORY.from_proto(request.category),
            tuple(request.used_by),
            current_caller(),
        )
        return pb.AdvanceInformationResponse(information_record=record_to_proto(record))

    async def GetInformationRecord(
        self, request: pb.GetInformationRecordRequest, context: Context
    ) -> pb.GetInformationRecordResponse:
        await self._ready()
        return pb.GetInformationRecordResponse(
            information_record=record_to_proto(await self._information.get(request.record_id))
        )

    async def ListInformationRecords(
        self, request: pb.ListInformationRecordsRequest, context: Context
    ) -> pb.ListInformationRecordsResponse:
        await self._ready()
        records, token = await self._information.list_records(
            RecordQuery(
                colour=COLOUR.from_proto(request.colour),
                category=INFO_CATEGORY.from_proto(request.category),
                stage=STAGE.from_proto(request.stage),
                zone_code=request.zone_code,
                house_id=request.house_id,
                resident_id=request.resident_id,
                place_id=request.place_id,
                collector_id=request.collector_id,
                before=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        response = pb.ListInformationRecordsResponse(
            information_records=[record_to_proto(r) for r in records]
        )
        response.page.next_page_token = token
        return response

    async def RecordFamiliarisationVisit(
        self, request: pb.RecordFamiliarisationVisitRequest, context: Context
    ) -> pb.RecordFamiliarisationVisitResponse:
        await self._ready()
        visit, _ = await self._visits.record(
            request.house_id,
            request.visit_time.ToDatetime(tzinfo=UTC) if request.HasField("visit_time") else None,
            tuple(request.met_resident_ids),
            request.notes,
            request.request_id,
            current_caller(),
        )
        return pb.RecordFamiliarisationVisitResponse(familiarisation_visit=visit_to_proto(visit))

    async def GetFamiliarisationProgress(
        self, request: pb.GetFamiliarisationProgressRequest, context: Context
    ) -> pb.GetFamiliarisationProgressResponse:
        await self._ready()
        day = local_date(request.week_of) if request.HasField("week_of") else None
        officer = request.officer_id or current_caller().subject
        progress = await self._visits.progress(officer, day or self._kit.today())
        return pb.GetFamiliarisationProgressResponse(familiarisation_progress=progress_to_proto(progress))

    async def QueryMap(self, request: pb.QueryMapRequest, context: Context) -> pb.QueryMapResponse:
        await self._ready()
        which = request.WhichOneof("area")
        area: Area | None = None
        if which == "bbox":
            area = bbox_from_proto(request.bbox)
        elif which == "polygon":
            area = polygon_from_proto(request.polygon)
        elif which == "circle":
            area = circle_from_proto(request.circle)
        kinds = set(request.kinds)
        found, token = await self._map.query(
            MapQuery(
                area=area,
                zone_code=request.zone_code if which == "zone_code" else "",
                houses=not kinds or pb.MAP_FEATURE_KIND_HOUSE in kinds,
                places=not kinds or pb.MAP_FEATURE_KIND_PLACE in kinds,
                key_groups=frozenset(g for g in (KEY_GROUP.from_proto(k) for k in request.key_groups) if g),
                place_kinds=frozenset(
                    k
                    for k in (PLACE_KIND.from_proto(p) for p in request.place_kinds)
                    if isinstance(k, PlaceKind)
                ),
                after=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        response = pb.QueryMapResponse(
            features=[feature_to_proto(f, self._places.interval) for f in found.items]
        )
        response.page.next_page_token = token
        return response

    async def GetZonePopulation(
        self, request: pb.GetZonePopulationRequest, context: Context
    ) -> pb.GetZonePopulationResponse:
        await self._ready()
        tally = await self._counts.zone(request.zone_code)
        return pb.GetZonePopulationResponse(
            zone_population=zone_population_to_proto(tally, self._visits._kit.now())
        )

    async def ListZonePopulations(
        self, request: pb.ListZonePopulationsRequest, context: Context
    ) -> pb.ListZonePopulationsResponse:
        await self._ready()
        tallies, token = await self._counts.zones(
            list(request.zone_codes), request.page.page_token, request.page.page_size
        )
        now = self._kit.now()
        response = pb.ListZonePopulationsResponse(
            zone_populations=[zone_population_to_proto(t, now) for t in tallies]
        )
        response.page.next_page_token = token
        return response

    async def ListPopulationFindings(
        self, request: pb.ListPopulationFindingsRequest, context: Context
    ) -> pb.ListPopulationFindingsResponse:
        await self._ready()
        findings, token = await self._findings.findings(
            FINDING_KIND.from_proto(request.kind),
            request.zone_code,
            local_date(request.as_of) if request.HasField("as_of") else None,
            request.page.page_token,
            request.page.page_size,
        )
        response = pb.ListPopulationFindingsResponse(findings=[finding_to_proto(f) for f in findings])
        response.page.next_page_token = token
        return response

    async def GetZoneHandover(
        self, request: pb.GetZoneHandoverRequest, context: Context
    ) -> pb.GetZoneHandoverResponse:
        await self._ready()
        after = int(request.page.page_token) if request.page.page_token.isdigit() else 0
        redivision, entries, next_after = await self._territory.handover(
            request.redivision_id, after, page_limit(request.page.page_size)
        )
        if redivision is None:
            raise NotFound("re-division", request.redivision_id)
        response = pb.GetZoneHandoverResponse(zone_handover=handover_to_proto(redivision, entries))
        response.page.next_page_token = str(next_after) if next_after else ""
        return response

    async def StartLedgerImport(
        self, request: pb.StartLedgerImportRequest, context: Context
    ) -> pb.StartLedgerImportResponse:
        await self._ready()
        ledger = await self._imports.start(
            request.file_name,
            request.file_sha256,
            request.rows_expected,
            request.chunks_expected,
            current_caller(),
        )
        return pb.StartLedgerImportResponse(ledger_import=import_to_proto(ledger))

    async def UploadLedgerRows(
        self, request: pb.UploadLedgerRowsRequest, context: Context
    ) -> pb.UploadLedgerRowsResponse:
        await self._ready()
        rows = [(r.row_number, dict(r.cells)) for r in request.rows]
        ledger = await self._imports.upload(request.import_id, request.chunk_index, rows)
        return pb.UploadLedgerRowsResponse(ledger_import=import_to_proto(ledger))

    async def CommitLedgerImport(
        self, request: pb.CommitLedgerImportRequest, context: Context
    ) -> pb.CommitLedgerImportResponse:
        await self._ready()
        ledger = await self._imports.commit(request.import_id, current_caller())
        return pb.CommitLedgerImportResponse(ledger_import=import_to_proto(ledger))

    async def GetLedgerImport(
        self, request: pb.GetLedgerImportRequest, context: Context
    ) -> pb.GetLedgerImportResponse:
        await self._ready()
        return pb.GetLedgerImportResponse(
            ledger_import=import_to_proto(await self._imports.get(request.import_id))
        )
