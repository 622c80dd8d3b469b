"""What changes staffing → ``TerritoryChangeApplication``, a batch at a time (a ``BatchConsumer``: one
poll of many records, one inbox read, one staffing evaluation, one inbox write, one commit): the
registry's territory events (jingwu.<district>.rooms.v1), the zones' measured population
(jingwu.<district>.population.v1) and personnel's own events that change who serves where
(jingwu.<district>.personnel.v1: officers registered, updated, deactivated, posted, postings ended,
villages assigned — application/staffing.py ``ChecksByEvents``). Its own findings' events are skipped.
The population topic also brings familiarisation visits (R-POP-5), kept for assessment in bulk
(application/assessment_inputs.py) — that topic carries bulk imports too, which a batch skips cheaply.

Each record's payload is checked for what it must carry and translated (adapters/registry_mapping.py)
into a change; a payload without what it must carry, or a change a rule refuses (R-ORG-3: a
re-division that would orphan a posting), is rejected for the dead-letter topic with the reason, and
the rest of the batch goes on. The batch is applied in the order the events happened: the records of
each partition keep their order (a key's events stay in order), merged across partitions by event time.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from google.protobuf.message import Message
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.batch import BatchHandler, Delivery, Rejection
from jingwu_platform.calendar import local_date
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.proto_values import local_date_from_proto

from jingwu_personnel.adapters.proto_mapping import from_timestamp
from jingwu_personnel.adapters.registry_mapping import (
    redivision_from_proto,
    room_view_from_proto,
    station_view_from_proto,
    village_view_from_proto,
    zone_view_from_proto,
)
from jingwu_personnel.application.assessment_inputs import AssessmentInputApplication
from jingwu_personnel.application.posting_moves import RegistryEvent
from jingwu_personnel.application.territory_changes import (
    RoomClosed,
    RoomOpened,
    RoomPlanned,
    RoomsMerged,
    StationCreated,
    TerritoryChange,
    TerritoryChangeApplication,
    VillageRegistered,
    ZoneCreated,
    ZonePopulationChanged,
    ZonesRedivided,
)
from jingwu_personnel.domain.assessment_inputs import FamiliarisationWeek
from jingwu_personnel.domain.findings import STATION_KINDS, STRUCTURAL_KINDS, FindingKind


def registry_event(event: Event, payload: Any) -> RegistryEvent:
    """The event as moved postings cite it; its day is the one the registry says it happened (the
    envelope time when the payload has none)."""
    at = from_timestamp(payload, "occur_time") or event.time
    return RegistryEvent(event.event_id, event.event_type, local_date(at))


def _room_opened(event: Event, payload: room_events.RoomOpened) -> TerritoryChange:
    if not payload.room.room_id:
        raise EventRejected("RoomOpened without room.room_id")
    return RoomOpened(room_view_from_proto(payload.room))


def _room_planned(event: Event, payload: room_events.RoomPlanned) -> TerritoryChange:
    if not payload.room.room_id:
        raise EventRejected("RoomPlanned without room.room_id")
    return RoomPlanned(room_view_from_proto(payload.room))


def _rooms_merged(event: Event, payload: room_events.RoomsMerged) -> TerritoryChange:
    survivor_id = payload.surviving_room_id
    merged = tuple(r for r in payload.merged_room_ids if r and r != survivor_id)
    if not survivor_id or not merged:
        raise EventRejected("RoomsMerged needs surviving_room_id and merged_room_ids")
    return RoomsMerged(registry_event(event, payload), survivor_id, merged)


def _room_closed(event: Event, payload: room_events.RoomClosed) -> TerritoryChange:
    if not payload.room_id:
        raise EventRejected("RoomClosed without room_id")
    return RoomClosed(registry_event(event, payload), payload.room_id, payload.reason)


def _station_created(event: Event, payload: room_events.StationCreated) -> TerritoryChange:
    if not payload.station.station_id:
        raise EventRejected("StationCreated without station.station_id")
    return StationCreated(station_view_from_proto(payload.station))


def _village_registered(event: Event, payload: room_events.VillageRegistered) -> TerritoryChange:
    if not payload.village.village_id:
        raise EventRejected("VillageRegistered without village.village_id")
    return VillageRegistered(village_view_from_proto(payload.village))


def _zone_created(event: Event, payload: room_events.ZoneCreated) -> TerritoryChange:
    if not payload.zone.zone_code:
        raise EventRejected("ZoneCreated without zone.zone_code")
    return ZoneCreated(zone_view_from_proto(payload.zone))


def _zones_redivided(event: Event, payload: room_events.ZonesRedivided) -> TerritoryChange:
    if not payload.from_zone_codes or not payload.to_zone_codes:
        raise EventRejected("ZonesRedivided needs from_zone_codes and to_zone_codes")
    return ZonesRedivided(registry_event(event, payload), redivision_from_proto(payload))


def _zone_population_changed(
    event: Event, payload: population_events.ZonePopulationChanged
) -> TerritoryChange:
    snapshot = payload.zone_population
    if not snapshot.zone_code:
        raise EventRejected("ZonePopulationChanged without zone_population.zone_code")
    as_of = from_timestamp(snapshot, "as_of_time") or event.time
    return ZonePopulationChanged(snapshot.zone_code, snapshot.actual_population, as_of)


Translate = Callable[[Event, Any], TerritoryChange]
TRANSLATIONS: dict[type[Message], Translate] = {
    room_events.RoomOpened: _room_opened,
    room_events.RoomPlanned: _room_planned,
    room_events.RoomsMerged: _rooms_merged,
    room_events.RoomClosed: _room_closed,
    room_events.StationCreated: _station_created,
    room_events.VillageRegistered: _village_registered,
    room_events.ZoneCreated: _zone_created,
    room_events.ZonesRedivided: _zones_redivided,
    population_events.ZonePopulationChanged: _zone_population_changed,
}


# Personnel's own events and the rules they bear on: what the commands that wrote them used to ask for
# right after their write (a new person changes station headcounts and shares only, R-PER-4).
OWN_EVENT_KINDS: dict[type[Message], frozenset[FindingKind]] = {
    personnel_events.OfficerRegistered: STATION_KINDS,
    personnel_events.OfficerUpdated: STRUCTURAL_KINDS,
    personnel_events.OfficerDeactivated: STRUCTURAL_KINDS,
    personnel_events.OfficerPosted: STRUCTURAL_KINDS,
    personnel_events.PostingEnded: STRUCTURAL_KINDS,
    personnel_events.LiaisonAssigned: STRUCTURAL_KINDS,
    personnel_events.AuxiliaryAssigned: STRUCTURAL_KINDS,
}


def in_event_order(deliveries: Sequence[Delivery[Any]]) -> list[Delivery[Any]]:
    """The batch as the events happened: each partition's records in offset order (so each key's in
    order), merged across partitions by event time (ties: the order given)."""
    partitions: dict[tuple[object, object], list[Delivery[Any]]] = {}
    for delivery in deliveries:
        record = delivery.record
        partitions.setdefault(
            (getattr(record, "topic", None), getattr(record, "partition", None)), []
        ).append(delivery)
    return list(heapq.merge(*partitions.values(), key=lambda d: d.event.time))


def familiarisation_week(payload: population_events.FamiliarisationVisitRecorded) -> FamiliarisationWeek:
    """The week's progress after the visit (R-POP-5)."""
    progress = payload.progress
    officer_id = progress.officer_id or payload.visit.officer_id
    start = local_date_from_proto(progress.week_start) if progress.HasField("week_start") else None
    if not officer_id or start is None:
        raise EventRejected(
            "FamiliarisationVisitRecorded without progress.officer_id and progress.week_start"
        )
    return FamiliarisationWeek.of(officer_id, start, progress.households_visited, progress.target_households)


class StaffingInputs:
    """The batch handler of everything that changes what the staffing rules see (and of the
    familiarisation visits that come on the same topic).

    Paced: a batch starts at least ``pace_s`` after the previous one started, and at least
    ``REST_FACTOR`` times as long after the previous one ended as that one took. A district-wide
    evaluation reads the whole district, and the service has one store connection (ADR 0018): back
    to back, evaluations would hold it while commands wait; paced by their own cost, they take at most
    about a quarter of it, however long one takes on the store of the day, and a burst of events is
    judged in a few large batches rather than many small ones. Whatever arrives meanwhile is judged
    together in the next batch, and a lone event after a quiet spell is judged at once.
    """

    REST_FACTOR = 3.0

    def __init__(
        self,
        territory: TerritoryChangeApplication,
        inputs: AssessmentInputApplication | None = None,
        *,
        pace_s: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._territory = territory
        self._inputs = inputs
        self._pace_s = pace_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._last_start: float | None = None
        self._last_end = 0.0

    async def _paced(self) -> None:
        now = self._monotonic()
        if self._last_start is not None:
            took = self._last_end - self._last_start
            ready_at = max(self._last_start + self._pace_s, self._last_end + self.REST_FACTOR * took)
            if now < ready_at:
                await self._sleep(ready_at - now)
        self._last_start = self._monotonic()

    async def handle(self, deliveries: Sequence[Delivery[Any]]) -> list[Rejection]:
        await self._paced()
        try:
            return await self._handle(deliveries)
        finally:
            self._last_end = self._monotonic()

    async def _handle(self, deliveries: Sequence[Delivery[Any]]) -> list[Rejection]:
        rejections: list[Rejection] = []
        changes: list[TerritoryChange] = []
        sources: list[Delivery[Any]] = []
        own: Counter[str] = Counter()
        kinds: frozenset[FindingKind] = frozenset()
        weeks: list[FamiliarisationWeek] = []
        for delivery in in_event_order(deliveries):
            message_type = type(delivery.payload)
            if message_type is population_events.FamiliarisationVisitRecorded:
                try:
                    weeks.append(familiarisation_week(delivery.payload))
                except EventRejected as rejected:
                    rejections.append(Rejection(delivery, str(rejected)))
                continue
            if message_type in OWN_EVENT_KINDS:
                kinds |= OWN_EVENT_KINDS[message_type]
                own[message_type.DESCRIPTOR.name] += 1
                continue
            translate = TRANSLATIONS[message_type]
            try:
                changes.append(translate(delivery.event, delivery.payload))
            except EventRejected as rejected:
                rejections.append(Rejection(delivery, str(rejected)))
                continue
            sources.append(delivery)
        for refusal in await self._territory.apply(changes, also=own, kinds=kinds):
            rejections.append(Rejection(sources[refusal.position], str(refusal.violation)))
        if weeks and self._inputs is not None:
            await self._inputs.familiarised(weeks)
        return rejections

    def handler(self) -> BatchHandler[Any]:
        familiarisation = (population_events.FamiliarisationVisitRecorded,) if self._inputs else ()
        return BatchHandler((*TRANSLATIONS, *OWN_EVENT_KINDS, *familiarisation), self.handle)
