"""The read side shared by both repositories (fake and stored): every query answered by the image."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from typing import Any

from jingwu_population.adapters.image import PopulationImage, id_of
from jingwu_population.application.ports import (
    Aggregate,
    AuditQuery,
    Change,
    Found,
    HouseQuery,
    HouseSummary,
    InspectionQuery,
    MapFeature,
    MapQuery,
    PlaceQuery,
    RecordQuery,
    ResidentQuery,
)
from jingwu_population.domain.audit import AuditEntry
from jingwu_population.domain.counts import PublishedZonePopulation, ZoneTally
from jingwu_population.domain.information import InformationRecord
from jingwu_population.domain.ledger import ImportStatus, LedgerImport
from jingwu_population.domain.people import House, Resident
from jingwu_population.domain.places import Inspection, Place
from jingwu_population.domain.territory import (
    HandoverChunk,
    Redivision,
    RedivisionStatus,
    Station,
    Village,
    Zone,
)
from jingwu_population.domain.visits import Visit


class ImageQueries:
    def __init__(self, image: PopulationImage | None = None) -> None:
        self.image = image or PopulationImage()

    def prepared(self, change: Change) -> list[Aggregate] | None:
        """The writes at version + 1, or None when one is stale (the version check of ``commit``)."""
        stored: list[Aggregate] = []
        head = self.image.audit_head()
        next_sequence = (head.sequence if head else 0) + 1
        for write in change.writes:
            current = self.image.store[type(write)].get(id_of(write))
            if (current.version if current is not None else 0) != write.version:
                return None
            if current is None and write.version != 0:
                return None
            if isinstance(write, AuditEntry) and current is None:
                if write.sequence != next_sequence:
                    return None  # the chain's head moved: the entries must be chained again
                next_sequence += 1

            bumped: Any = dataclasses.replace(write, version=write.version + 1)
            stored.append(bumped)
        return stored

    # houses
    async def house(self, house_id: str) -> House | None:
        return self.image.houses.get(house_id)

    async def house_at(self, address: str) -> House | None:
        return self.image.house_at(address)

    async def house_summary(self, house_id: str) -> HouseSummary | None:
        house = self.image.houses.get(house_id)
        return self.image.summary(house) if house else None

    async def houses(self, query: HouseQuery) -> Found[HouseSummary]:
        return self.image.houses_page(query)

    async def houses_in_zones(self, zone_codes: Sequence[str]) -> list[House]:
        found: list[House] = []
        for code in zone_codes:
            keys = self.image._houses_by_zone.get(code)
            if keys is not None:
                found += (self.image.houses[k] for k in keys.after(""))
        return found

    async def map_features(self, query: MapQuery) -> Found[MapFeature]:
        zone = self.image.get(Zone, query.zone_code) if query.zone_code else None
        boundary = zone.boundary if zone is not None and zone.boundary and zone.boundary.rings else None
        return self.image.map_page(query, boundary)

    # residents
    async def resident(self, resident_id: str) -> Resident | None:
        return self.image.residents.get(resident_id)

    async def resident_by_identity(self, id_number: str) -> Resident | None:
        return self.image.by_identity(id_number)

    async def residents(self, query: ResidentQuery) -> Found[Resident]:
        return self.image.residents_page(query)

    async def registered_living_elsewhere(self, house_id: str) -> list[Resident]:
        return self.image.registered_elsewhere(house_id)

    async def residents_with_reviews_due(self, on: date) -> list[Resident]:
        return self.image.reviews_due(on)

    async def living_in(self, house_id: str) -> list[Resident]:
        return self.image.living_in(house_id)

    # places
    async def place(self, place_id: str) -> Place | None:
        return self.image.places.get(place_id)

    async def places(self, query: PlaceQuery) -> Found[Place]:
        return self.image.places_page(query)

    async def inspection(self, inspection_id: str) -> Inspection | None:
        return self.image.get(Inspection, inspection_id)

    async def inspections(self, query: InspectionQuery) -> Found[Inspection]:
        return self.image.inspections_page(query)

    # information, visits
    async def record(self, record_id: str) -> InformationRecord | None:
        return self.image.get(InformationRecord, record_id)

    async def records(self, query: RecordQuery) -> Found[InformationRecord]:
        return self.image.records_page(query)

    async def visit(self, visit_id: str) -> Visit | None:
        return self.image.get(Visit, visit_id)

    async def visits_of(self, officer_id: str, week_start: date) -> list[Visit]:
        return self.image.visits_of(officer_id, week_start)

    # territory
    async def zone(self, zone_code: str) -> Zone | None:
        return self.image.get(Zone, zone_code)

    async def zones(self) -> list[Zone]:
        return sorted(self.image.all(Zone), key=lambda z: z.zone_code)

    async def village(self, village_id: str) -> Village | None:
        return self.image.get(Village, village_id)

    async def villages(self) -> dict[str, Village]:
        return {v.village_id: v for v in self.image.all(Village)}

    async def station(self, station_id: str) -> Station | None:
        return self.image.get(Station, station_id)

    async def redivision(self, redivision_id: str) -> Redivision | None:
        return self.image.get(Redivision, redivision_id)

    async def redivisions_applying(self) -> list[Redivision]:
        return sorted(
            (r for r in self.image.all(Redivision) if r.status is RedivisionStatus.APPLYING),
            key=lambda r: r.redivision_id,
        )

    async def handover_chunks(self, redivision_id: str) -> list[HandoverChunk]:
        return sorted(
            (c for c in self.image.all(HandoverChunk) if c.redivision_id == redivision_id),
            key=lambda c: c.index,
        )

    # counts
    async def tally(self, zone_code: str) -> ZoneTally:
        return self.image.tally(zone_code)

    async def tallies(self) -> dict[str, ZoneTally]:
        return {z: self.image.tally(z) for z in self.image.tallied_zones()}

    async def published(self, zone_code: str) -> PublishedZonePopulation | None:
        return self.image.get(PublishedZonePopulation, zone_code)

    # audit
    async def audit_head(self) -> AuditEntry | None:
        return self.image.audit_head()

    async def audit_entries(self, query: AuditQuery) -> Found[AuditEntry]:
        return self.image.audit_page(query)

    # imports
    async def ledger_import(self, import_id: str) -> LedgerImport | None:
        return self.image.get(LedgerImport, import_id)

    async def imports_committing(self) -> list[LedgerImport]:
        return sorted(
            (i for i in self.image.all(LedgerImport) if i.status is ImportStatus.COMMITTING),
            key=lambda i: i.import_id,
        )

    def collides(self, created: Sequence[Aggregate]) -> bool:
        """Whether any of an import's new aggregates exists already (created meanwhile)."""
        return any(id_of(a) in self.image.store[type(a)] for a in created)
