"""Use cases around who staffs the rooms: the projection of personnel's posting events, the coverage
report (R-ROOM-4) and the duty rota (R-ROOM-6)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime

from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.proto_values import local_date_to_proto, timestamp

from jingwu_rooms.adapters.postings_repository import MongoPostingRepository
from jingwu_rooms.adapters.proto_mapping import gaps_to_proto, posting_from_personnel, rota_to_proto
from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.adapters.rota_repository import MongoRotaRepository
from jingwu_rooms.adapters.territory_repository import MongoTerritoryRepository
from jingwu_rooms.application.rooms import EventFactory, retry_on_conflict, utc_now
from jingwu_rooms.domain.coverage import CoverageReport, coverage_report
from jingwu_rooms.domain.model import RoomStatus
from jingwu_rooms.domain.rota import GapKind, Rota, RotaGap, check_period, rota_gaps, validate_rota

log = logging.getLogger(__name__)


def _event_time(event: Event) -> datetime:
    return event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)


class StaffingApplication:
    def __init__(
        self,
        district: str,
        *,
        rooms: MongoRoomRepository,
        territory: MongoTerritoryRepository,
        postings: MongoPostingRepository,
        rotas: MongoRotaRepository,
        relay: OutboxRelay,
        policy: DistrictPolicy,
    ) -> None:
        self.district = district
        self._rooms = rooms
        self._territory = territory
        self._postings = postings
        self._rotas = rotas
        self._relay = relay
        # R-ROOM-6 (seed 003): "2个或2个以上责任区民警的社区，每个工作日应有一名社区民警轮流在警务室接待群众".
        self._min_officers = policy.work.room_duty_min_officers
        self._district_holidays = policy.work.holidays
        self._events = EventFactory(district)

    # --- personnel events (idempotent per event: upserts keyed by posting id) ----------------------------

    async def on_officer_posted(self, event: Event, payload: personnel_events.OfficerPosted) -> None:
        posting = posting_from_personnel(payload.posting)
        if not posting.posting_id or not posting.officer_id:
            raise EventRejected("OfficerPosted without posting.posting_id or posting.officer_id")
        if not posting.room_id:
            return  # a posting to a station, zone or village only: no room's staff changes
        await self._postings.posted(posting, event.event_id, _event_time(event))
        log.info(
            "room posting recorded", extra={"room_id": posting.room_id, "posting_id": posting.posting_id}
        )

    async def on_posting_ended(self, event: Event, payload: personnel_events.PostingEnded) -> None:
        posting = posting_from_personnel(payload.posting)
        if not posting.posting_id:
            raise EventRejected("PostingEnded without posting.posting_id")
        if not posting.room_id:
            return
        await self._postings.ended(posting, event.event_id, _event_time(event))

    async def on_officer_deactivated(
        self, event: Event, payload: personnel_events.OfficerDeactivated
    ) -> None:
        if not payload.officer_id:
            raise EventRejected("OfficerDeactivated without officer_id")
        await self._postings.end_by_id(
            list(payload.ended_posting_ids), payload.officer_id, event.event_id, _event_time(event)
        )

    # --- coverage (R-ROOM-4) --------------------------------------------------------------------------

    async def coverage_report(self, station_id: str) -> CoverageReport:
        villages = await self._territory.list_villages(station_id=station_id)
        query = {"status": RoomStatus.ACTIVE.value, **({"station_id": station_id} if station_id else {})}
        rooms = await self._rooms.all_matching(query)
        postings = await self._postings.current_by_room([r.room_id for r in rooms])
        return coverage_report(villages, rooms, postings)

    # --- duty rota (R-ROOM-6) -------------------------------------------------------------------------

    async def _police_officer_ids(self, room_id: str) -> set[str]:
        postings = (await self._postings.current_by_room([room_id])).get(room_id, [])
        return {p.officer_id for p in postings if p.police_officer}

    async def set_duty_rota(
        self,
        room_id: str,
        start: date | None,
        end: date | None,
        days: Sequence[tuple[date | None, str]],
        holidays: Sequence[date | None],
        *,
        caller: Caller,
    ) -> tuple[Rota, list[RotaGap]]:
        """Replace the rota within the period; answers the gaps left (a rota with gaps is stored: the
        gaps are what the station must fill)."""
        validate_rota(start, end, days, holidays)
        assert start is not None and end is not None
        room = await self._rooms.get(room_id)
        if room is None:
            raise NotFound("room", room_id)
        room.require_live("set the duty rota of")
        officers = await self._police_officer_ids(room_id)
        new_days = {day: officer.strip() for day, officer in days if day is not None}
        # The district calendar's holidays plus any the request names for this period.
        new_holidays = sorted({*self._district_holidays, *(d for d in holidays if d is not None)})

        async def attempt() -> tuple[Rota, list[RotaGap]] | None:
            rota = (await self._rotas.get(room_id)).replace_period(start, end, new_days, new_holidays)
            gaps = rota_gaps(rota, start, end, officers, self._min_officers)
            event = events_pb2.DutyRotaSet(
                district_code=self.district,
                rota=rota_to_proto(rota, start, end),
                uncovered_days=[local_date_to_proto(g.day) for g in gaps if g.kind is GapKind.UNCOVERED],
                occur_time=timestamp(utc_now()),
                gaps=gaps_to_proto(gaps),
            )
            if not await self._rotas.save(rota, self._events(event, room_id)):
                return None
            self._relay.notify()
            return rota, gaps

        log.info("duty rota set", extra={"room_id": room_id, "by": caller.subject})
        return await retry_on_conflict(attempt, f"rota of room {room_id}")

    async def rota_gaps(self, room_id: str, start: date | None, end: date | None) -> list[RotaGap]:
        v = Validator()
        check_period(v, "period", start, end)
        v.raise_if_any()
        assert start is not None and end is not None
        if await self._rooms.get(room_id) is None:
            raise NotFound("room", room_id)
        rota = await self._rotas.get(room_id)
        return rota_gaps(rota, start, end, await self._police_officer_ids(room_id), self._min_officers)
