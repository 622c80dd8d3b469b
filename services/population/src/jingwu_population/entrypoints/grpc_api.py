"""gRPC entry point of the population service: who may call what (declared here, checked by the
platform's district-scope interceptor), and the servicer assembled from its two halves."""

from __future__ import annotations

import asyncio

from jingwu.population.v1 import population_pb2, population_pb2_grpc
from jingwu_platform.auth import Role
from jingwu_platform.authz import READ, AccessPolicy, allow
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.application.audit import AuditApplication
from jingwu_population.application.counts import MapApplication, ZonePopulationApplication
from jingwu_population.application.findings import FindingsApplication
from jingwu_population.application.houses import HouseApplication
from jingwu_population.application.imports import ImportApplication
from jingwu_population.application.information import InformationApplication
from jingwu_population.application.places import PlaceApplication
from jingwu_population.application.residents import ResidentApplication
from jingwu_population.application.territory import TerritoryApplication
from jingwu_population.application.visits import VisitApplication
from jingwu_population.entrypoints.rpc_people import PeopleRpcs
from jingwu_population.entrypoints.rpc_places import PlaceRpcs

# Reads are open to every caller of the district: what personal data a response shows is decided per
# call (domain.privacy, R-POP-6) and audited. Officers, their supervisors and district administrators
# keep the ledger; key-group tags and inspections are officers' and supervisors' work; imports are
# district administrators' and supervisors'; the audit trail and bulk export are auditors' only.
_KEEPERS = (Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN)
_FIELD = (Role.OFFICER, Role.SUPERVISOR)
_IMPORTERS = (Role.DISTRICT_ADMIN, Role.SUPERVISOR)
ACCESS = AccessPolicy(
    population_pb2.DESCRIPTOR.services_by_name["PopulationService"],
    {
        "RegisterHouse": allow(*_KEEPERS, idempotency_key="request_id"),
        "GetHouse": READ,
        "ListHouses": READ,
        "UpdateHouse": allow(*_KEEPERS),
        "MoveInResident": allow(*_KEEPERS, idempotency_key="request_id"),
        "MoveOutResident": allow(*_KEEPERS),
        "UpdateResident": allow(*_KEEPERS),
        "ChangeResidentCategory": allow(*_FIELD),
        "GetResident": READ,
        "ListResidents": READ,
        "SearchResidents": READ,
        "RegisterPlace": allow(*_KEEPERS, idempotency_key="request_id"),
        "GetPlace": READ,
        "ListPlaces": READ,
        "RecordPlaceInspection": allow(*_FIELD, idempotency_key="request_id"),
        "ListPlaceInspections": READ,
        "CollectInformation": allow(*_FIELD, Role.SERVICE, idempotency_key="request_id"),
        "AdvanceInformation": allow(*_FIELD),
        "GetInformationRecord": READ,
        "ListInformationRecords": READ,
        "RecordFamiliarisationVisit": allow(Role.OFFICER, idempotency_key="request_id"),
        "GetFamiliarisationProgress": READ,
        "QueryMap": READ,
        "GetZonePopulation": READ,
        "ListZonePopulations": READ,
        "ListUnmaskedReads": allow(Role.AUDITOR),
        "VerifyUnmaskedReadChain": allow(Role.AUDITOR),
        "ExportResidents": allow(Role.AUDITOR),
        "ListPopulationFindings": READ,
        "GetZoneHandover": READ,
        "StartLedgerImport": allow(*_IMPORTERS, idempotency_key="file_sha256"),
        "UploadLedgerRows": allow(*_IMPORTERS),
        "CommitLedgerImport": allow(*_IMPORTERS),
        "GetLedgerImport": READ,
    },
)
SERVICE_NAME = ACCESS.full_name


class PopulationServicer(PeopleRpcs, PlaceRpcs, population_pb2_grpc.PopulationServiceServicer):
    def __init__(
        self,
        *,
        kit: UseCaseKit,
        loaded: asyncio.Event,
        houses: HouseApplication,
        residents: ResidentApplication,
        places: PlaceApplication,
        information: InformationApplication,
        visits: VisitApplication,
        map_queries: MapApplication,
        counts: ZonePopulationApplication,
        findings: FindingsApplication,
        territory: TerritoryApplication,
        imports: ImportApplication,
        audit: AuditApplication,
    ) -> None:
        self._kit = kit
        self._loaded = loaded
        self._houses = houses
        self._residents = residents
        self._places = places
        self._information = information
        self._visits = visits
        self._map = map_queries
        self._counts = counts
        self._findings = findings
        self._territory = territory
        self._imports = imports
        self._audit = audit

    async def _ready(self) -> None:
        """Calls wait while the district's population is loaded at start (seconds)."""
        if not self._loaded.is_set():
            await self._loaded.wait()
