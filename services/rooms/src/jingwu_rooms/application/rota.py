"""Use cases of the duty rota (R-ROOM-6): a room is staffed every day; where it has two or more police
officers, one of them is on duty in the room each working day. One calendar per room, versioned."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from jingwu.rooms.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_rooms.adapters.proto_mapping import gaps_to_proto, rota_to_proto
from jingwu_rooms.application.ports import PostingRepository, RoomRepository, RotaRepository
from jingwu_rooms.domain.rota import GapKind, Rota, RotaGap, check_period, rota_gaps, validate_rota

log = logging.getLogger(__name__)


class RotaApplication:
    def __init__(
        self, kit: UseCaseKit, rotas: RotaRepository, rooms: RoomRepository, postings: PostingRepository
    ) -> None:
        self._kit = kit
        self._rotas = rotas
        self._rooms = rooms
        self._postings = postings
        # R-ROOM-6 (seed 003): "2个或2个以上责任区民警的社区，每个工作日应有一名社区民警轮流在警务室接待群众".
        self._min_officers = kit.policy.work.room_duty_min_officers

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
        gaps are what the station must fill). Holidays are the district calendar's plus any the request
        names for this period."""
        validate_rota(start, end, days, holidays)
        assert start is not None and end is not None
        room = await self._rooms.get(room_id)
        if room is None:
            raise NotFound("room", room_id)
        room.require_live("set the duty rota of")
        officers = await self._police_officer_ids(room_id)
        new_days = {day: officer.strip() for day, officer in days if day is not None}
        new_holidays = sorted({*self._kit.policy.work.holidays, *(d for d in holidays if d is not None)})

        async def attempt() -> tuple[Rota, list[RotaGap]] | None:
            stored = await self._rotas.get(room_id)
            rota = (stored or Rota(room_id)).replace_period(start, end, new_days, new_holidays)
            gaps = rota_gaps(rota, start, end, officers, self._min_officers)
            event = events_pb2.DutyRotaSet(
                district_code=self._kit.district,
                rota=rota_to_proto(rota, start, end),
                uncovered_days=[local_date_to_proto(g.day) for g in gaps if g.kind is GapKind.UNCOVERED],
                occur_time=self._kit.events.occur_time(),
                gaps=gaps_to_proto(gaps),
            )
            events = [self._kit.events(event, room_id)]
            if stored is None:
                return (rota, gaps) if await self._rotas.add(rota, events) else None
            saved = await self._rotas.save(rota, events)
            return (saved, gaps) if saved is not None else None

        log.info("duty rota set", extra={"room_id": room_id, "by": caller.subject})
        return await retry_on_conflict(attempt, f"rota of room {room_id}")

    async def rota_gaps(self, room_id: str, start: date | None, end: date | None) -> list[RotaGap]:
        v = Validator()
        check_period(v, "period", start, end)
        v.raise_if_any()
        assert start is not None and end is not None
        if await self._rooms.get(room_id) is None:
            raise NotFound("room", room_id)
        rota = await self._rotas.get(room_id) or Rota(room_id)
        return rota_gaps(rota, start, end, await self._police_officer_ids(room_id), self._min_officers)
