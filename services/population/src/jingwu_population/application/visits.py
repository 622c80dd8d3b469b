"""Familiarisation visits (R-POP-5): households an officer got to know, per week, against the target."""

from __future__ import annotations

from datetime import date, datetime

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import week_of
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.adapters.proto_mapping import progress_to_proto, visit_to_proto
from jingwu_population.application.context import PopulationPolicy, actor, to_millis
from jingwu_population.application.ports import Change, Houses, Residents, UnitOfWork, Visits
from jingwu_population.domain.people import PERMANENT_CATEGORIES
from jingwu_population.domain.visits import Visit, WeekProgress, in_golden_hours, progress, week_start_of


class VisitApplication:
    def __init__(  # noqa: PLR0917 - the kit, the policy and one Protocol each
        self,
        kit: UseCaseKit,
        policy: PopulationPolicy,
        store: UnitOfWork,
        visits: Visits,
        houses: Houses,
        residents: Residents,
    ) -> None:
        self._kit = kit
        self._policy = policy
        self._store = store
        self._visits = visits
        self._houses = houses
        self._residents = residents

    async def record(  # noqa: PLR0917 - the request's fields
        self,
        house_id: str,
        visited_at: datetime | None,
        met: tuple[str, ...],
        notes: str,
        request_id: str,
        caller: Caller,
    ) -> tuple[Visit, WeekProgress]:
        """R-POP-5: the calling officer got to know a household; published with the week's progress
        (FamiliarisationVisitRecorded, consumed by personnel's assessment, R-PER-11)."""
        now = self._kit.now()
        at = to_millis(visited_at or now)
        v = Validator()
        v.check(bool(house_id), "house_id", "is required")
        v.check(at <= now, "visit_time", "must not be in the future")
        v.check(len(notes) <= 1000, "notes", "must be at most 1,000 characters")
        v.raise_if_any()
        house = await self._houses.house(house_id)
        if house is None:
            raise NotFound("house", house_id)
        living = await self._residents.living_in(house_id)
        ids = {r.resident_id for r in living}
        unknown = [i for i, m in enumerate(met) if m not in ids]
        for index in unknown:
            v.add(f"met_resident_ids[{index}]", "does not live at this house")
        v.raise_if_any()
        visit_id = self._kit.ids.for_request("visit", request_id)
        existing = await self._visits.visit(visit_id)
        if existing is not None:
            return existing, await self.progress(existing.officer_id, existing.week_start)
        officer = actor(caller)
        week = week_start_of(at)
        visit = Visit(
            visit_id=visit_id,
            officer_id=officer,
            house_id=house_id,
            zone_code=house.zone_code,
            visited_at=at,
            week_start=week,
            met_resident_ids=met,
            golden_hour=in_golden_hours(at, self._policy.golden_hours, self._kit.policy.work.holidays),
            permanent=any(r.category in PERMANENT_CATEGORIES for r in living),
            notes=notes,
        )
        before = await self._visits.visits_of(officer, week)
        after = progress(officer, week, [*before, visit], self._policy.familiarisation_target)
        event = self._kit.events(
            events.FamiliarisationVisitRecorded(
                district_code=self._kit.district,
                visit=visit_to_proto(visit),
                occur_time=self._kit.events.occur_time(),
                progress=progress_to_proto(after),
            ),
            key=officer,
        )
        stored = await self._store.commit(Change((visit,), (event,)))
        if stored is None:
            again = await self._visits.visit(visit_id)
            assert again is not None
            return again, await self.progress(officer, week)
        result = stored[0]
        assert isinstance(result, Visit)
        return result, after

    async def progress(self, officer_id: str, week_of_day: date) -> WeekProgress:
        week = week_of(week_of_day).start
        visits = await self._visits.visits_of(officer_id, week)
        return progress(officer_id, week, visits, self._policy.familiarisation_target)
