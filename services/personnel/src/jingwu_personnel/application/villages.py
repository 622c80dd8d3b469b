"""Village assignments as read models and the selection aids: profile (R-PER-6/7 traits) and ranking."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_personnel.adapters.proto_mapping import profile_to_proto
from jingwu_personnel.application.base import MANAGERS, Deps, require_role
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.villages import (
    Candidate,
    CandidateFacts,
    VillageAssignment,
    VillageProfile,
    check_assignable,
    rank_auxiliary_candidates,
    rank_liaison_candidates,
    validate_profile,
)

DEFAULT_CANDIDATES = 10
MAX_CANDIDATES = 100


class VillageService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def get(self, village_id: str) -> VillageAssignment:
        assignment = await self._d.store.get_assignment(village_id)
        if assignment is None:
            raise NotFound("village", village_id)
        return assignment

    async def list_assignments(
        self,
        *,
        station_id: str,
        zone_code: str,
        incomplete_only: bool,
        rotation_due_by: date | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[VillageAssignment], str]:
        limit = page_limit(page_size)
        found = await self._d.store.list_assignments(
            station_id=station_id,
            zone_code=zone_code,
            incomplete_only=incomplete_only,
            rotation_due_by=rotation_due_by,
            after_id=page_token,
            limit=limit,
        )
        return found, next_page_token(found, limit, key=lambda a: a.village_id)

    async def set_profile(self, profile: VillageProfile, *, caller: Caller) -> VillageProfile:
        require_role(caller, MANAGERS, "recording a village profile")
        d = self._d
        profile = validate_profile(profile)
        await self.get(profile.village_id)
        profile = replace(profile, updated_by=caller.subject, updated_at=d.now())
        event = d.event(
            events_pb2.VillageProfileSet(
                district_code=d.district, village_profile=profile_to_proto(profile), occur_time=d.occur_time()
            ),
            key=profile.village_id,
        )
        await d.store.set_profile(profile, [event])
        d.relay.notify()
        return profile

    async def rank(self, village_id: str, role: OfficerRole | None, max_candidates: int) -> list[Candidate]:
        """R-PER-6 (liaison officers) or R-PER-7 (resident auxiliaries), best first, each with its reasons."""
        v = Validator()
        v.check(bool(village_id.strip()), "village_id", "is required")
        v.check(
            role in (OfficerRole.VILLAGE_LIAISON_OFFICER, OfficerRole.RESIDENT_AUXILIARY),
            "role",
            "OFFICER_ROLE_VILLAGE_LIAISON_OFFICER or OFFICER_ROLE_RESIDENT_AUXILIARY",
        )
        v.check(0 <= max_candidates <= MAX_CANDIDATES, "max_candidates", f"must be 0..{MAX_CANDIDATES}")
        v.raise_if_any()
        d = self._d
        assignment = await self.get(village_id)
        check_assignable(assignment)
        officers = await d.store.officers_by_id()
        villages = await d.store.village_views()
        village_postings = await d.store.postings_where({"village_id": {"$ne": ""}})
        current: dict[str, set[str]] = {}
        past: dict[str, set[str]] = {}
        last_here: dict[str, date] = {}
        for posting in village_postings:
            if posting.open and posting.role is role:
                current.setdefault(posting.officer_id, set()).add(posting.village_id)
            if not posting.open:
                past.setdefault(posting.officer_id, set()).add(posting.village_id)
                if posting.village_id == village_id and posting.role is OfficerRole.RESIDENT_AUXILIARY:
                    assert posting.end_date is not None
                    last_here[posting.officer_id] = max(
                        posting.end_date, last_here.get(posting.officer_id, posting.end_date)
                    )
        facts = [
            CandidateFacts(
                officer=o,
                current_village_count=len(current.get(o.officer_id, ())),
                past_village_ids=frozenset(past.get(o.officer_id, ())),
                last_served_here=last_here.get(o.officer_id),
            )
            for o in officers.values()
        ]
        limit = max_candidates or DEFAULT_CANDIDATES
        if role is OfficerRole.VILLAGE_LIAISON_OFFICER:
            return rank_liaison_candidates(facts, assignment, villages, weights=d.preferences, limit=limit)
        return rank_auxiliary_candidates(
            facts,
            assignment,
            villages,
            today=d.today(),
            work=d.policy.work,
            weights=d.preferences,
            limit=limit,
        )
