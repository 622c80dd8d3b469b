"""Use cases of information records (R-POP-4): collect, advance through the cycle, read."""

from __future__ import annotations

from dataclasses import dataclass, replace

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import page_limit
from jingwu_platform.shared_kernel import check_required, check_zone_code
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_population.adapters.image import time_key
from jingwu_population.adapters.proto_mapping import COLOUR, INFO_CATEGORY, STAGE
from jingwu_population.application.context import actor
from jingwu_population.application.ports import Change, Information, RecordQuery, UnitOfWork
from jingwu_population.domain.information import (
    Colour,
    InfoCategory,
    InformationRecord,
    Stage,
    advanced,
    collected,
)


@dataclass(frozen=True)
class RecordDraft:
    colour: Colour | None
    category: InfoCategory | None
    zone_code: str
    house_id: str
    resident_id: str
    place_id: str
    title: str
    content: str
    source: str


class InformationApplication:
    def __init__(self, kit: UseCaseKit, store: UnitOfWork, records: Information) -> None:
        self._kit = kit
        self._store = store
        self._records = records

    def _event(self, record: InformationRecord, previous: Stage | None, by: str) -> tuple:  # type: ignore[type-arg]
        return self._kit.events(
            events.InformationStageChanged(
                district_code=self._kit.district,
                record_id=record.record_id,
                colour=COLOUR.to_proto(record.colour),
                category=INFO_CATEGORY.to_proto(record.category),
                previous_stage=STAGE.to_proto(previous),
                stage=STAGE.to_proto(record.stage),
                zone_code=record.zone_code,
                actor_id=by,
                occur_time=self._kit.events.occur_time(),
            ),
            key=record.record_id,
        )

    async def collect(self, draft: RecordDraft, request_id: str, caller: Caller) -> InformationRecord:
        """R-POP-4: a record starts COLLECTED, by the caller, now."""
        v = Validator()
        v.check(draft.colour is not None, "colour", "is required (R-POP-4)")
        v.check(draft.category is not None, "category", "is required (R-POP-4)")
        check_zone_code(v, "zone_code", draft.zone_code, self._kit.district)
        check_required(v, "title", draft.title, max_length=200)
        v.check(len(draft.content) <= 5000, "content", "must be at most 5,000 characters")
        v.raise_if_any()
        assert draft.colour is not None and draft.category is not None
        record_id = self._kit.ids.for_request("record", request_id)
        existing = await self._records.record(record_id)
        if existing is not None:
            return existing
        record = collected(
            record_id=record_id,
            colour=draft.colour,
            category=draft.category,
            zone_code=draft.zone_code,
            house_id=draft.house_id,
            resident_id=draft.resident_id,
            place_id=draft.place_id,
            title=draft.title.strip(),
            content=draft.content,
            source=draft.source,
            by=actor(caller),
            at=self._kit.now(),
        )
        stored = await self._store.commit(Change((record,), (self._event(record, None, actor(caller)),)))
        if stored is None:
            again = await self._records.record(record_id)
            assert again is not None
            return again
        result = stored[0]
        assert isinstance(result, InformationRecord)
        return result

    async def advance(  # noqa: PLR0917 - the request's fields
        self,
        record_id: str,
        to: Stage | None,
        note: str,
        colour: Colour | None,
        category: InfoCategory | None,
        used_by: tuple[str, ...],
        caller: Caller,
    ) -> InformationRecord:
        v = Validator()
        v.check(
            to is not None and to is not Stage.COLLECTED, "to_stage", "name the stage to move to (R-POP-4)"
        )
        v.raise_if_any()
        assert to is not None

        async def attempt() -> InformationRecord | None:
            record = await self.get(record_id)
            moved = advanced(
                record,
                to,
                by=actor(caller),
                at=self._kit.now(),
                note=note,
                colour=colour,
                category=category,
                used_by=used_by,
            )
            stored = await self._store.commit(
                Change((moved,), (self._event(moved, record.stage, actor(caller)),))
            )
            if stored is None:
                return None
            result = stored[0]
            assert isinstance(result, InformationRecord)
            return result

        return await retry_on_conflict(attempt, f"record {record_id}")

    async def get(self, record_id: str) -> InformationRecord:
        record = await self._records.record(record_id)
        if record is None:
            raise NotFound("information record", record_id)
        return record

    async def list_records(self, query: RecordQuery) -> tuple[list[InformationRecord], str]:
        limit = page_limit(query.limit)
        found = await self._records.records(replace(query, limit=limit))
        last = found.items[-1] if len(found.items) == limit else None
        return found.items, time_key(last.created_at, last.record_id) if last else ""
