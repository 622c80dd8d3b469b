"""Assigning a village's liaison officer (R-PER-5, R-PER-6) or resident auxiliary (R-PER-5, R-PER-7):
the command behind AssignLiaisonOfficer / AssignResidentAuxiliary, and behind PostOfficer and EndPosting
when they concern a village's slot.

It spans three documents, written in an order that a repeat completes whatever a crash left half done
(the new posting's id derives from the village, the officer and the day):
1. the new posting (OfficerPosted); a repeat finds it there;
2. the village, read-decide-write: the slot's holder replaced at once, so the village is never blank
   (LiaisonAssigned / AuxiliaryAssigned);
3. every other open posting of the slot in the village ends, naming the successor (PostingEnded).
"""

from __future__ import annotations

from datetime import date

from google.protobuf.message import Message
from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_personnel.application.ports import (
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    StaffingChecks,
    VillageQuery,
    VillageRepository,
)
from jingwu_personnel.application.posting_ledger import Ending, PostingLedger
from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.officers import Officer
from jingwu_personnel.domain.postings import Posting, posting_id_for
from jingwu_personnel.domain.territory import village_setting
from jingwu_personnel.domain.villages import (
    Holder,
    Slot,
    VillageAssignment,
    check_assignable,
    check_liaison_officer,
    check_not_overstaying,
    check_resident_auxiliary,
    rotation_due,
)


def check_succession(village_id: str, holder_posting: Posting, day: date) -> None:
    """R-PER-12: the history runs forwards: a successor starts on or after his predecessor did."""
    if day < holder_posting.start_date:
        raise RuleViolation(
            "R-PER-12",
            f"villages/{village_id}",
            f"the successor cannot start ({day}) before the current holder did ({holder_posting.start_date})",
        )


class VillageSlots:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        villages: VillageRepository,
        postings: PostingRepository,
        officers: OfficerRepository,
        staffing: StaffingChecks,
    ) -> None:
        self._kit = kit
        self._villages = villages
        self._postings = postings
        self._officers = officers
        self._staffing = staffing
        self._ledger = PostingLedger(kit, postings, villages)

    async def assignment(self, village_id: str) -> VillageAssignment:
        assignment = await self._villages.get(village_id)
        if assignment is None:
            raise NotFound("village", village_id)
        return assignment

    async def _officer(self, officer_id: str) -> Officer:
        officer = await self._officers.get(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        return officer

    def _check_request(
        self, v: Validator, village_id: str, officer_id: str, start: date | None, start_invalid: bool
    ) -> None:
        v.check(bool(village_id.strip()), "village_id", "is required")
        v.check(bool(officer_id.strip()), "officer_id", "is required")
        v.check(not start_invalid, "start_date", "must be a valid calendar date")
        if start is not None:
            v.check(start <= self._kit.today(), "start_date", "cannot be in the future")

    async def assign_liaison(
        self,
        village_id: str,
        officer_id: str,
        start: date | None,
        *,
        caller: Caller,
        start_invalid: bool = False,
        reason: str = "",
        evaluate: bool = True,
    ) -> tuple[VillageAssignment, Posting]:
        """R-PER-5: the village's liaison officer, replacing the current one in the same step."""
        v = Validator()
        self._check_request(v, village_id, officer_id, start, start_invalid)
        v.raise_if_any()
        assignment = await self.assignment(village_id)
        check_assignable(assignment)
        officer = await self._officer(officer_id)
        check_liaison_officer(officer)
        day = start or self._kit.today()
        return await self._assign(
            assignment, officer, Slot.LIAISON, day, None, caller=caller, reason=reason, evaluate=evaluate
        )

    async def assign_auxiliary(
        self,
        village_id: str,
        officer_id: str,
        start: date | None,
        due: date | None,
        *,
        caller: Caller,
        start_invalid: bool = False,
        due_invalid: bool = False,
        reason: str = "",
        evaluate: bool = True,
    ) -> tuple[VillageAssignment, Posting]:
        """R-PER-5, R-PER-7: the village's resident auxiliary, from the same or a neighbouring township,
        never from the village itself, rotating when the district's period is up."""
        kit = self._kit
        v = Validator()
        self._check_request(v, village_id, officer_id, start, start_invalid)
        v.check(not due_invalid, "rotation_due", "must be a valid calendar date")
        day = start or kit.today()
        if due is not None:
            v.check(due > day, "rotation_due", "must be after the start date")
        v.raise_if_any()
        assignment = await self.assignment(village_id)
        check_assignable(assignment)
        officer = await self._officer(officer_id)
        views = {a.village_id: a.village for a in await self._villages.select(VillageQuery())}
        check_resident_auxiliary(officer, assignment, views)
        check_not_overstaying(assignment, officer_id, kit.today())
        due = due or rotation_due(day, kit.policy.work)
        return await self._assign(
            assignment, officer, Slot.AUXILIARY, day, due, caller=caller, reason=reason, evaluate=evaluate
        )

    def _assigned_event(
        self, village_id: str, slot: Slot, holder: Holder, previous: Holder | None
    ) -> Message:
        kit = self._kit
        previous_id = previous.officer_id if previous else ""
        if slot is Slot.LIAISON:
            return events_pb2.LiaisonAssigned(
                district_code=kit.district,
                village_id=village_id,
                officer_id=holder.officer_id,
                previous_officer_id=previous_id,
                posting_id=holder.posting_id,
                occur_time=kit.events.occur_time(),
            )
        return events_pb2.AuxiliaryAssigned(
            district_code=kit.district,
            village_id=village_id,
            officer_id=holder.officer_id,
            previous_officer_id=previous_id,
            posting_id=holder.posting_id,
            rotation_due=local_date_to_proto(holder.rotation_due),
            occur_time=kit.events.occur_time(),
        )

    async def _assign(
        self,
        assignment: VillageAssignment,
        officer: Officer,
        slot: Slot,
        day: date,
        due: date | None,
        *,
        caller: Caller,
        reason: str,
        evaluate: bool,
    ) -> tuple[VillageAssignment, Posting]:
        kit = self._kit
        village, village_id = assignment.village, assignment.village_id
        current = assignment.holder(slot)
        held = await self._postings.get(current.posting_id) if current else None
        changed = False
        if (
            current is not None
            and current.officer_id == officer.officer_id
            and held is not None
            and held.open
        ):
            new = held  # already his
        else:
            if held is not None and held.open:
                check_succession(village_id, held, day)
            new = Posting(
                posting_id=posting_id_for(
                    day, kit.ids.stable(slot.value, village_id, officer.officer_id, day.isoformat())
                ),
                officer_id=officer.officer_id,
                role=slot.role,
                start_date=day,
                station_id=village.station_id or officer.station_id,
                zone_code=village.zone_code,
                village_id=village_id,
                setting=village_setting(village),
                audit=Audit.created(caller.subject, kit.now()),
            )
            # 1. the posting
            if await self._ledger.start(new):
                changed = True
            else:
                new = await self._postings.get(new.posting_id) or new
            # 2. the village's slot
            try:
                changed = await self._take_slot(village_id, slot, new, due) or changed
            except RuleViolation:
                # The slot changed hands meanwhile to someone who started later: this posting never held it.
                superseded = Ending(day, "superseded by a concurrent assignment", caller.subject)
                await self._ledger.end(new.posting_id, superseded, release_village=False)
                raise
        # 3. nobody else holds the slot's posting here any more
        others = await self._postings.select(
            PostingQuery(village_id=village_id, role=slot.role, current_only=True)
        )
        ending = Ending(
            day,
            reason.strip() or f"replaced by {officer.officer_id}",
            caller.subject,
            successor_officer_id=officer.officer_id,
        )
        for other in others:
            if other.posting_id != new.posting_id:
                changed = (
                    await self._ledger.end(other.posting_id, ending, release_village=False) is not None
                    or changed
                )
        if evaluate and changed:
            cause = "LiaisonAssigned" if slot is Slot.LIAISON else "AuxiliaryAssigned"
            await self._staffing.evaluate_structural(cause)
        return await self.assignment(village_id), new

    async def _take_slot(self, village_id: str, slot: Slot, new: Posting, due: date | None) -> bool:
        """The village's slot goes to ``new`` (read-decide-write); False when it already had it."""
        kit = self._kit

        async def attempt() -> tuple[bool] | None:
            assignment = await self.assignment(village_id)
            previous = assignment.holder(slot)
            if previous is not None and previous.posting_id == new.posting_id:
                return (False,)  # an earlier run of this command got here
            before = await self._postings.get(previous.posting_id) if previous else None
            if before is not None and before.open:
                check_succession(village_id, before, new.start_date)
            holder = Holder(new.officer_id, new.posting_id, since=new.start_date, rotation_due=due)
            event = kit.events(self._assigned_event(village_id, slot, holder, previous), key=village_id)
            saved = await self._villages.save(assignment.assigned(slot, holder), [event])
            return None if saved is None else (True,)

        (taken,) = await retry_on_conflict(attempt, f"village {village_id}")
        return taken
