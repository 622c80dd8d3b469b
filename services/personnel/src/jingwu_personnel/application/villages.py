"""Villages (R-PER-5..7): who serves each administrative village, assigning its liaison officer and
resident auxiliary (application/village_slots.py), its selection profile, and ranked candidates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.adapters.proto_mapping import profile_to_proto
from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import (
    OfficerQuery,
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    StaffingChecks,
    VillageQuery,
    VillageRepository,
)
from jingwu_personnel.application.village_slots import VillageSlots
from jingwu_personnel.domain.candidates import (
    Candidate,
    candidate_facts,
    rank_auxiliary_candidates,
    rank_liaison_candidates,
)
from jingwu_personnel.domain.officers import OfficerRole
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.villages import (
    VillageAssignment,
    VillageProfile,
    check_assignable,
    validate_profile,
)

DEFAULT_CANDIDATES = 10
MAX_CANDIDATES = 100


class VillageApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        villages: VillageRepository,
        officers: OfficerRepository,
        postings: PostingRepository,
        staffing: StaffingChecks,
    ) -> None:
        self._kit = kit
        self._villages = villages
        self._officers = officers
        self._postings = postings
        self._slots = VillageSlots(
            kit, villages=villages, postings=postings, officers=officers, staffing=staffing
        )

    async def get(self, village_id: str) -> VillageAssignment:
        return await self._slots.assignment(village_id)

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
        """Administrative villages (R-PER-5), in id order."""
        limit = page_limit(page_size)
        found = await self._villages.select(
            VillageQuery(
                station_id=station_id,
                zone_code=zone_code,
                assignable_only=True,
                incomplete_only=incomplete_only,
                rotation_due_by=rotation_due_by,
                after_id=page_token,
                limit=limit,
            )
        )
        return found, next_page_token(found, limit, key=lambda a: a.village_id)

    async def assign_liaison(
        self,
        village_id: str,
        officer_id: str,
        start: date | None,
        *,
        caller: Caller,
        start_invalid: bool,
        reason: str,
    ) -> tuple[VillageAssignment, Posting]:
        return await self._slots.assign_liaison(
            village_id, officer_id, start, caller=caller, start_invalid=start_invalid, reason=reason
        )

    async def assign_auxiliary(
        self,
        village_id: str,
        officer_id: str,
        start: date | None,
        due: date | None,
        *,
        caller: Caller,
        start_invalid: bool,
        due_invalid: bool,
        reason: str,
    ) -> tuple[VillageAssignment, Posting]:
        return await self._slots.assign_auxiliary(
            village_id,
            officer_id,
            start,
            due,
            caller=caller,
            start_invalid=start_invalid,
            due_invalid=due_invalid,
            reason=reason,
        )

    async def set_profile(self, profile: VillageProfile, *, caller: Caller) -> VillageProfile:
        """The traits R-PER-6 and R-PER-7 select by (township, neighbours, traffic line, crime, ...)."""
        kit = self._kit
        profile = validate_profile(profile)

        def decide(assignment: VillageAssignment) -> Decision[VillageAssignment]:
            stamped = replace(profile, updated_by=caller.subject, updated_at=kit.now())
            message = events_pb2.VillageProfileSet(
                district_code=kit.district,
                village_profile=profile_to_proto(stamped),
                occur_time=kit.events.occur_time(),
            )
            return assignment.profiled(stamped), [kit.events(message, key=profile.village_id)]

        outcome = await change(
            self._villages, profile.village_id, decide, what=f"village {profile.village_id}"
        )
        if outcome is None:
            raise NotFound("village", profile.village_id)
        assert outcome.aggregate.profile is not None
        return outcome.aggregate.profile

    async def rank(self, village_id: str, role: OfficerRole | None, max_candidates: int) -> list[Candidate]:
        """R-PER-6 (liaison officers) or R-PER-7 (resident auxiliaries), best first, each with its
        reasons and their points (``DistrictPolicy.preferences``)."""
        v = Validator()
        v.check(bool(village_id.strip()), "village_id", "is required")
        v.check(
            role in (OfficerRole.VILLAGE_LIAISON_OFFICER, OfficerRole.RESIDENT_AUXILIARY),
            "role",
            "OFFICER_ROLE_VILLAGE_LIAISON_OFFICER or OFFICER_ROLE_RESIDENT_AUXILIARY",
        )
        v.check(0 <= max_candidates <= MAX_CANDIDATES, "max_candidates", f"must be 0..{MAX_CANDIDATES}")
        v.raise_if_any()
        assert role is not None
        kit = self._kit
        assignment = await self.get(village_id)
        check_assignable(assignment)
        officers = await self._officers.select(OfficerQuery())
        villages = {a.village_id: a.village for a in await self._villages.select(VillageQuery())}
        village_postings = await self._postings.select(PostingQuery(in_a_village=True))
        facts = candidate_facts(officers, village_postings, role=role, village_id=village_id)
        limit = max_candidates or DEFAULT_CANDIDATES
        weights = kit.policy.preferences
        if role is OfficerRole.VILLAGE_LIAISON_OFFICER:
            return rank_liaison_candidates(facts, assignment, villages, weights=weights, limit=limit)
        return rank_auxiliary_candidates(
            facts, assignment, villages, today=kit.today(), work=kit.policy.work, weights=weights, limit=limit
        )
