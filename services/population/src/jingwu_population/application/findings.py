"""Findings (R-POP-2 key-group reviews overdue, R-POP-3 inspections overdue) and the daily review check."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.paging import page_limit
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.schedule import Period
from jingwu_platform.usecase import UseCaseKit

from jingwu_population.adapters.proto_mapping import KEY_GROUP
from jingwu_population.application.context import PopulationPolicy
from jingwu_population.application.ports import Change, Houses, PlaceQuery, Places, Residents, UnitOfWork
from jingwu_population.domain.findings import Finding, FindingKind, inspection_findings, review_findings


class FindingsApplication:
    def __init__(  # noqa: PLR0917 - the kit, the policy and one Protocol each
        self,
        kit: UseCaseKit,
        policy: PopulationPolicy,
        store: UnitOfWork,
        houses: Houses,
        residents: Residents,
        places: Places,
    ) -> None:
        self._kit = kit
        self._policy = policy
        self._store = store
        self._houses = houses
        self._residents = residents
        self._places = places

    async def findings(
        self, kind: FindingKind | None, zone_code: str, on: date | None, after: str, limit: int
    ) -> tuple[list[Finding], str]:
        day = on or self._kit.today()
        found: list[Finding] = []
        if kind in (None, FindingKind.KEY_GROUP_REVIEW_OVERDUE):
            residents = await self._residents.residents_with_reviews_due(day)
            zones: dict[str, str] = {}
            for resident in residents:
                house = await self._houses.house(resident.house_id)
                zones[resident.house_id] = house.zone_code if house is not None else ""
            found += review_findings(residents, lambda h: zones.get(h, ""), day)
        if kind in (None, FindingKind.INSPECTION_OVERDUE):
            places = (
                await self._places.places(PlaceQuery(zone_code=zone_code, due_by=day, limit=100_000))
            ).items
            found += inspection_findings(places, day, self._policy.inspection_interval_months)
        if zone_code:
            found = [f for f in found if f.zone_code == zone_code]
        found.sort(key=lambda f: f.key)
        limit = page_limit(limit)
        rest = [f for f in found if f.key > after] if after else found
        page = rest[:limit]
        return page, page[-1].key if len(rest) > limit else ""

    async def flag_overdue_reviews(self, period: Period) -> int:
        """R-POP-2 on the daily schedule: each tag whose review date passed raises KeyGroupReviewOverdue
        once per review date."""
        raised = 0
        for resident in await self._residents.residents_with_reviews_due(period.start):
            due = [
                t
                for t in resident.tags
                if t.review_date < period.start and t.overdue_raised_for != t.review_date
            ]
            if not due:
                continue
            house = await self._houses.house(resident.house_id)
            tags = tuple(
                replace(t, overdue_raised_for=t.review_date) if t in due else t for t in resident.tags
            )
            outgoing = tuple(
                self._kit.events(
                    events.KeyGroupReviewOverdue(
                        district_code=self._kit.district,
                        resident_id=resident.resident_id,
                        zone_code=house.zone_code if house else "",
                        key_group=KEY_GROUP.to_proto(t.key_group),
                        owner_id=t.owner_id,
                        review_date=local_date_to_proto(t.review_date),
                        occur_time=self._kit.events.occur_time(),
                    ),
                    key=resident.resident_id,
                )
                for t in due
            )
            if await self._store.commit(Change((replace(resident, tags=tags),), outgoing)) is not None:
                raised += len(due)
        return raised
