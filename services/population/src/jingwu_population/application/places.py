"""Use cases of places and their monthly inspections (R-POP-3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import local_date
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import page_limit
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.schedule import Period
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_population.adapters.image import time_key
from jingwu_population.adapters.proto_mapping import PLACE_KIND, event_place, inspection_to_proto
from jingwu_population.application.context import PopulationPolicy, actor, to_millis
from jingwu_population.application.ports import Change, InspectionQuery, PlaceQuery, Places, UnitOfWork
from jingwu_population.domain.geo import GeoPoint
from jingwu_population.domain.places import (
    Inspection,
    InspectionResult,
    Place,
    PlaceKind,
    inspected,
    overdue_places,
)
from jingwu_population.domain.registration import check_phone


@dataclass(frozen=True)
class PlaceDraft:
    kind: PlaceKind | None
    name: str
    address: str
    house_id: str
    location: GeoPoint
    zone_code: str
    village_id: str
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class InspectionDraft:
    place_id: str
    inspected_at: datetime | None
    result: InspectionResult | None
    hazards: tuple[str, ...]
    rectification_due: date | None
    notes: str
    location: GeoPoint | None


class PlaceApplication:
    def __init__(self, kit: UseCaseKit, policy: PopulationPolicy, store: UnitOfWork, places: Places) -> None:
        self._kit = kit
        self._policy = policy
        self._store = store
        self._places = places

    @property
    def interval(self) -> int:
        return self._policy.inspection_interval_months

    async def register(self, draft: PlaceDraft, request_id: str, caller: Caller) -> Place:
        v = Validator()
        v.check(draft.kind is not None, "kind", "is required (R-POP-3)")
        check_required(v, "name", draft.name)
        check_required(v, "address", draft.address, max_length=200)
        check_geo_point(v, "location", draft.location.longitude, draft.location.latitude)
        check_zone_code(v, "zone_code", draft.zone_code, self._kit.district)
        check_phone(v, "contact_phone", draft.contact_phone)
        v.raise_if_any()
        assert draft.kind is not None
        place_id = self._kit.ids.for_request("place", request_id)
        existing = await self._places.place(place_id)
        if existing is not None:
            return existing
        now = self._kit.now()
        place = Place(
            place_id=place_id,
            kind=draft.kind,
            name=draft.name.strip(),
            address=draft.address.strip(),
            house_id=draft.house_id,
            location=draft.location,
            zone_code=draft.zone_code,
            village_id=draft.village_id,
            contact_name=draft.contact_name.strip(),
            contact_phone=draft.contact_phone.strip(),
            registered_on=self._kit.today(),
            created_by=actor(caller),
            created_at=now,
            updated_by=actor(caller),
            updated_at=now,
        )
        event = self._kit.events(
            events.PlaceRegistered(
                district_code=self._kit.district,
                place=event_place(place, self.interval),
                occur_time=self._kit.events.occur_time(),
            ),
            key=place_id,
        )
        stored = await self._store.commit(Change((place,), (event,)))
        if stored is None:
            found = await self._places.place(place_id)
            assert found is not None
            return found
        result = stored[0]
        assert isinstance(result, Place)
        return result

    async def get(self, place_id: str) -> Place:
        place = await self._places.place(place_id)
        if place is None:
            raise NotFound("place", place_id)
        return place

    async def list_places(self, query: PlaceQuery) -> tuple[list[Place], str]:
        limit = page_limit(query.limit)
        found = await self._places.places(replace(query, limit=limit))
        return found.items, found.items[-1].place_id if len(found.items) == limit else ""

    async def record_inspection(
        self, draft: InspectionDraft, request_id: str, caller: Caller
    ) -> tuple[Inspection, Place]:
        """R-POP-3: an inspection result by the calling officer; a counted one moves the due date."""
        v = Validator()
        v.check(draft.result is not None, "result", "is required (R-POP-3)")
        now = self._kit.now()
        at = to_millis(draft.inspected_at or now)
        v.check(at <= now, "inspect_time", "must not be in the future")
        if draft.result is InspectionResult.HAZARDS_FOUND:
            v.check(bool(draft.hazards), "hazards", "name the hazards found")
            v.check(
                draft.rectification_due is not None,
                "rectification_due_date",
                "is required when hazards are found",
            )
        if draft.location is not None:
            check_geo_point(v, "location", draft.location.longitude, draft.location.latitude)
        v.raise_if_any()
        assert draft.result is not None
        inspection_id = self._kit.ids.for_request("inspection", request_id)

        async def attempt() -> tuple[Inspection, Place] | None:
            place = await self.get(draft.place_id)
            existing = await self._places.inspection(inspection_id)
            if existing is not None:
                return existing, place
            assert draft.result is not None
            inspection = Inspection(
                inspection_id=inspection_id,
                place_id=place.place_id,
                inspector_id=actor(caller),
                inspected_at=at,
                inspected_on=local_date(at),
                result=draft.result,
                hazards=draft.hazards,
                rectification_due=draft.rectification_due,
                notes=draft.notes,
                location=draft.location,
                zone_code=place.zone_code,
                place_kind=place.kind,
                created_at=now,
            )
            updated = inspected(place, inspection, at=now, by=actor(caller))
            event = self._kit.events(
                events.PlaceInspected(
                    district_code=self._kit.district,
                    inspection=inspection_to_proto(inspection),
                    place_kind=PLACE_KIND.to_proto(place.kind),
                    zone_code=place.zone_code,
                    next_due_date=local_date_to_proto(updated.due_date(self.interval)),
                    occur_time=self._kit.events.occur_time(),
                ),
                key=place.place_id,
            )
            stored = await self._store.commit(Change((inspection, updated), (event,)))
            if stored is None:
                return None
            first, second = stored
            assert isinstance(first, Inspection) and isinstance(second, Place)
            return first, second

        return await retry_on_conflict(attempt, f"place {draft.place_id}")

    async def inspections(self, query: InspectionQuery) -> tuple[list[Inspection], str]:
        limit = page_limit(query.limit)
        found = await self._places.inspections(replace(query, limit=limit))
        last = found.items[-1] if len(found.items) == limit else None
        return found.items, time_key(last.inspected_at, last.inspection_id) if last else ""

    async def mark_overdue_inspections(self, period: Period) -> int:
        """R-POP-3 on the monthly schedule (for the month that just ended): every place not inspected
        by its due date raises PlaceInspectionOverdue once per due date. Returns how many."""
        on = period.end + timedelta(days=1)  # the first day after the period: its due dates passed
        raised = 0
        places = [p async for p in self._all_places()]
        for place in overdue_places(places, on=on, interval_months=self.interval):
            due = place.due_date(self.interval)
            flagged = replace(place, overdue_raised_for=due)
            event = self._kit.events(
                events.PlaceInspectionOverdue(
                    district_code=self._kit.district,
                    place_id=place.place_id,
                    place_kind=PLACE_KIND.to_proto(place.kind),
                    zone_code=place.zone_code,
                    due_date=local_date_to_proto(due),
                    occur_time=self._kit.events.occur_time(),
                ),
                key=place.place_id,
            )
            if await self._store.commit(Change((flagged,), (event,))) is not None:
                raised += 1
        return raised

    async def _all_places(self) -> AsyncIterator[Place]:
        after = ""
        while True:
            page = await self._places.places(PlaceQuery(after=after, limit=500))
            for place in page.items:
                yield place
            if len(page.items) < 500:
                return
            after = page.items[-1].place_id
