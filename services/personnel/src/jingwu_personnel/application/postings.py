"""Postings (R-PER-3, R-PER-12) and village assignments (R-PER-5..7): the commands that change who is
posted where. Each step is one document write with its events; a command's steps are ordered so that
repeating it (ids are derived from its inputs) completes whatever a crash left half done."""

from __future__ import annotations

import uuid
from datetime import date

from google.protobuf.message import Message
from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import FieldViolation, NotFound, RuleViolation, ValidationFailed, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.proto_values import local_date_to_proto

from jingwu_personnel.adapters.proto_mapping import posting_to_proto
from jingwu_personnel.application.base import MANAGERS, Deps, posting_id, require_role
from jingwu_personnel.application.staffing import StaffingService
from jingwu_personnel.domain.officers import Officer, OfficerRole
from jingwu_personnel.domain.postings import (
    Posting,
    PostingDraft,
    Tenure,
    check_end_allowed,
    check_role_fits,
    full_time_postings_moved,
    tenure,
    validate_posting,
)
from jingwu_personnel.domain.territory import (
    RoomStatus,
    Setting,
    room_setting,
    station_setting,
    village_setting,
)
from jingwu_personnel.domain.villages import (
    VillageAssignment,
    check_assignable,
    check_liaison_officer,
    check_not_overstaying,
    check_resident_auxiliary,
    rotation_due,
)

LIAISON, AUXILIARY = "liaison", "auxiliary"  # the two slots of a village assignment
_SLOTS = {OfficerRole.VILLAGE_LIAISON_OFFICER: LIAISON, OfficerRole.RESIDENT_AUXILIARY: AUXILIARY}


class PostingService:
    def __init__(self, deps: Deps, staffing: StaffingService) -> None:
        self._d = deps
        self._staffing = staffing

    # --- helpers ------------------------------------------------------------------------------------

    async def officer(self, officer_id: str) -> Officer:
        officer = await self._d.store.get_officer(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        return officer

    async def assignment(self, village_id: str) -> VillageAssignment:
        assignment = await self._d.store.get_assignment(village_id)
        if assignment is None:
            raise NotFound("village", village_id)
        return assignment

    def _check_date(self, v: Validator, field: str, value: date | None, invalid: bool) -> None:
        v.check(not invalid, field, "must be a valid calendar date")
        if value is not None:
            v.check(value <= self._d.today(), field, "cannot be in the future")

    async def add(self, posting: Posting) -> bool:
        d = self._d
        event = d.event(
            events_pb2.OfficerPosted(
                district_code=d.district, posting=posting_to_proto(posting), occur_time=d.occur_time()
            ),
            key=posting.officer_id,
        )
        return await d.store.add_posting(posting, [event])

    async def close(
        self,
        posting: Posting,
        day: date,
        reason: str,
        caller: Caller | None,
        *,
        approval_reference: str = "",
        successor_officer_id: str = "",
        by: str = "",
        release_village: bool = True,
    ) -> Posting | None:
        """End an open posting (event PostingEnded); a village whose liaison or auxiliary held it is left
        without one, which the next evaluation reports (R-PER-5). None if it had already ended."""
        d = self._d
        ended = posting.end(
            day,
            reason=reason,
            at=d.now(),
            by=by or (caller.subject if caller else "system:personnel"),
            approval_reference=approval_reference,
            successor_officer_id=successor_officer_id,
        )
        event = d.event(
            events_pb2.PostingEnded(
                district_code=d.district, posting=posting_to_proto(ended), occur_time=d.occur_time()
            ),
            key=posting.officer_id,
        )
        if not await d.store.end_posting(ended, [event]):
            return None
        slot = _SLOTS.get(posting.role)
        if release_village and slot is not None and posting.village_id:
            await d.store.set_holder(posting.village_id, slot, posting.posting_id, None, [])
        d.relay.notify()
        return ended

    async def hand_village_slot(self, old: Posting, new: Posting) -> None:
        """A village posting moved by the registry (re-division): the village keeps its holder, now
        under the new posting."""
        slot = _SLOTS.get(old.role)
        if slot is None or not old.village_id:
            return
        assignment = await self._d.store.get_assignment(old.village_id)
        if assignment is None:
            return
        since = assignment.liaison_since if slot == LIAISON else assignment.auxiliary_since
        holder: dict[str, str] = {
            "officer_id": new.officer_id,
            "posting_id": new.posting_id,
            "since": (since or new.start_date).isoformat(),
        }
        if slot == AUXILIARY and assignment.auxiliary_rotation_due is not None:
            holder["rotation_due"] = assignment.auxiliary_rotation_due.isoformat()
        await self._d.store.set_holder(old.village_id, slot, old.posting_id, holder, [])

    # --- PostOfficer / EndPosting -------------------------------------------------------------------

    async def _place(self, draft: PostingDraft, officer: Officer) -> tuple[str, str, Setting | None]:
        """Station, zone and rural/urban setting of a posting, from its room, zone or village."""
        d = self._d
        station_id, zone_code, setting = draft.station_id, draft.zone_code, None
        if draft.room_id:
            room = await d.store.get_room(draft.room_id)
            if room is None:
                raise NotFound("room", draft.room_id)
            if room.status is not RoomStatus.ACTIVE:
                raise RuleViolation(
                    "R-ROOM-2",
                    f"rooms/{room.room_id}",
                    f"officers are posted to active rooms; this one is {room.status}",
                )
            station_id = station_id or room.station_id
            if not zone_code and len(room.zone_codes) == 1:
                zone_code = room.zone_codes[0]  # a room of one zone: its officers work that zone (R-PER-4)
            setting = room_setting(room, await d.store.get_station(room.station_id))
        if zone_code:
            zone = await d.store.get_zone(zone_code)
            if zone is not None and zone.retired:
                raise RuleViolation(
                    "R-ORG-3", f"zones/{zone_code}", "the zone was dissolved by a re-division"
                )
            station_id = station_id or (zone.station_id if zone else "")
            if setting is None and zone is not None:
                setting = station_setting(await d.store.get_station(zone.station_id))
        if draft.village_id:
            village = (await self.assignment(draft.village_id)).village
            station_id = station_id or village.station_id
            setting = setting or village_setting(village)
        return station_id or officer.station_id, zone_code, setting

    async def post(self, draft: PostingDraft, *, caller: Caller, request_id: str) -> Posting:
        """R-PER-12: a new posting, history untouched; R-PER-3: moving a full-time room officer needs an
        approval and ends his room posting; village posts go through the R-PER-5..7 assignment rules."""
        require_role(caller, MANAGERS, "posting an officer")
        d = self._d
        draft = validate_posting(draft, district=d.district, today=d.today())
        assert draft.role is not None and draft.start_date is not None
        officer = await self.officer(draft.officer_id)
        check_role_fits(officer, draft.role)
        if draft.village_id and draft.role is OfficerRole.VILLAGE_LIAISON_OFFICER:
            return (
                await self.assign_liaison(
                    draft.village_id, officer.officer_id, draft.start_date, caller=caller
                )
            )[1]
        if draft.village_id and draft.role is OfficerRole.RESIDENT_AUXILIARY:
            return (
                await self.assign_auxiliary(
                    draft.village_id, officer.officer_id, draft.start_date, None, caller=caller
                )
            )[1]
        station_id, zone_code, setting = await self._place(draft, officer)
        open_postings = await d.store.open_postings(officer_id=officer.officer_id)
        resolved = PostingDraft(
            officer_id=draft.officer_id,
            role=draft.role,
            station_id=station_id,
            room_id=draft.room_id,
            zone_code=zone_code,
            village_id=draft.village_id,
        )
        for existing in open_postings:
            if existing.same_place(resolved):
                return existing  # already posted there
        moved = full_time_postings_moved(open_postings, draft)
        start = draft.start_date
        new = Posting(
            posting_id=posting_id(
                start, d.stable_id("posting", request_id) if request_id else str(uuid.uuid4())
            ),
            officer_id=officer.officer_id,
            role=draft.role,
            start_date=start,
            station_id=station_id,
            room_id=draft.room_id,
            zone_code=zone_code,
            village_id=draft.village_id,
            setting=setting,
            full_time=draft.full_time,
            approval_reference=draft.approval_reference,
            created_by=caller.subject,
            created_at=d.now(),
            updated_by=caller.subject,
            updated_at=d.now(),
        )
        if not await self.add(new):
            stored = await d.store.get_posting(new.posting_id)
            if stored is None:  # pragma: no cover - deleted in between
                raise NotFound("posting", new.posting_id)
            return stored
        where = draft.room_id or zone_code or draft.village_id or f"station {station_id}"
        for posting in moved:
            await self.close(
                posting,
                max(start, posting.start_date),
                f"moved to {where} (R-PER-3)",
                caller,
                approval_reference=draft.approval_reference,
            )
        d.relay.notify()
        await self._staffing.evaluate_structural("OfficerPosted")
        return new

    async def end(
        self,
        posting_id_: str,
        *,
        end_date: date | None,
        end_date_invalid: bool,
        reason: str,
        approval_reference: str,
        successor_officer_id: str,
        caller: Caller,
    ) -> tuple[Posting, Posting | None]:
        require_role(caller, MANAGERS, "ending a posting")
        v = Validator()
        v.check(bool(posting_id_.strip()), "posting_id", "is required")
        self._check_date(v, "end_date", end_date, end_date_invalid)
        v.raise_if_any()
        posting = await self._d.store.get_posting(posting_id_)
        if posting is None:
            raise NotFound("posting", posting_id_)
        if not posting.open:
            raise RuleViolation("R-PER-12", f"postings/{posting_id_}", "the posting has already ended")
        check_end_allowed(posting, approval_reference)
        day = end_date or self._d.today()
        reason = reason.strip() or "posting ended"
        successor: Posting | None = None
        if successor_officer_id:
            # R-PER-5: the replacement is posted in the same step, so the village is never blank.
            if posting.role is OfficerRole.VILLAGE_LIAISON_OFFICER and posting.village_id:
                _, successor = await self.assign_liaison(
                    posting.village_id,
                    successor_officer_id,
                    day,
                    caller=caller,
                    reason=reason,
                    evaluate=False,
                )
            elif posting.role is OfficerRole.RESIDENT_AUXILIARY and posting.village_id:
                _, successor = await self.assign_auxiliary(
                    posting.village_id,
                    successor_officer_id,
                    day,
                    None,
                    caller=caller,
                    reason=reason,
                    evaluate=False,
                )
            else:
                raise ValidationFailed(
                    [
                        FieldViolation(
                            "successor_officer_id",
                            "only liaison officer and resident auxiliary postings name a successor (R-PER-5)",
                        )
                    ]
                )
        current = await self._d.store.get_posting(posting_id_)
        if current is not None and current.open:
            await self.close(
                current,
                max(day, current.start_date),
                reason,
                caller,
                approval_reference=approval_reference,
                successor_officer_id=successor_officer_id,
            )
        await self._staffing.evaluate_structural("PostingEnded")
        ended = await self._d.store.get_posting(posting_id_)
        assert ended is not None
        return ended, successor

    # --- villages (R-PER-5..7) ----------------------------------------------------------------------

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
        require_role(caller, MANAGERS, "assigning a liaison officer")
        v = Validator()
        v.check(bool(village_id.strip()), "village_id", "is required")
        v.check(bool(officer_id.strip()), "officer_id", "is required")
        self._check_date(v, "start_date", start, start_invalid)
        v.raise_if_any()
        assignment = await self.assignment(village_id)
        check_assignable(assignment)
        officer = await self.officer(officer_id)
        check_liaison_officer(officer)
        return await self._assign(
            assignment,
            officer,
            LIAISON,
            start or self._d.today(),
            None,
            caller=caller,
            reason=reason,
            evaluate=evaluate,
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
        require_role(caller, MANAGERS, "assigning a resident auxiliary")
        d = self._d
        v = Validator()
        v.check(bool(village_id.strip()), "village_id", "is required")
        v.check(bool(officer_id.strip()), "officer_id", "is required")
        self._check_date(v, "start_date", start, start_invalid)
        v.check(not due_invalid, "rotation_due", "must be a valid calendar date")
        day = start or d.today()
        if due is not None:
            v.check(due > day, "rotation_due", "must be after the start date")
        v.raise_if_any()
        assignment = await self.assignment(village_id)
        check_assignable(assignment)
        officer = await self.officer(officer_id)
        check_resident_auxiliary(officer, assignment, await d.store.village_views())
        check_not_overstaying(assignment, officer_id, d.today())
        return await self._assign(
            assignment,
            officer,
            AUXILIARY,
            day,
            due or rotation_due(day, d.policy.work),
            caller=caller,
            reason=reason,
            evaluate=evaluate,
        )

    async def _assign(
        self,
        assignment: VillageAssignment,
        officer: Officer,
        slot: str,
        day: date,
        due: date | None,
        *,
        caller: Caller,
        reason: str,
        evaluate: bool,
    ) -> tuple[VillageAssignment, Posting]:
        d = self._d
        village = assignment.village
        holder_id = assignment.liaison_officer_id if slot == LIAISON else assignment.auxiliary_id
        holder_posting_id = (
            assignment.liaison_posting_id if slot == LIAISON else assignment.auxiliary_posting_id
        )
        if holder_id == officer.officer_id:
            current = await d.store.get_posting(holder_posting_id)
            if current is not None and current.open:
                return assignment, current  # already his: nothing to do
        previous = await d.store.get_posting(holder_posting_id) if holder_posting_id else None
        if previous is not None and previous.open and day < previous.start_date:
            raise RuleViolation(
                "R-PER-12",
                f"villages/{village.village_id}",
                f"the successor cannot start ({day}) before the current holder did ({previous.start_date})",
            )
        role = OfficerRole.VILLAGE_LIAISON_OFFICER if slot == LIAISON else OfficerRole.RESIDENT_AUXILIARY
        now = d.now()
        new = Posting(
            posting_id=posting_id(
                day, d.stable_id(slot, village.village_id, officer.officer_id, day.isoformat())
            ),
            officer_id=officer.officer_id,
            role=role,
            start_date=day,
            station_id=village.station_id or officer.station_id,
            zone_code=village.zone_code,
            village_id=village.village_id,
            setting=village_setting(village),
            created_by=caller.subject,
            created_at=now,
            updated_by=caller.subject,
            updated_at=now,
        )
        # 1. the posting (a repeated command finds it there), 2. the village (compare-and-set on the
        # holder we read), 3. the predecessor's posting ends with the successor named.
        await self.add(new)
        holder = {"officer_id": officer.officer_id, "posting_id": new.posting_id, "since": day.isoformat()}
        if slot == LIAISON:
            message: Message = events_pb2.LiaisonAssigned(
                district_code=d.district,
                village_id=village.village_id,
                officer_id=officer.officer_id,
                previous_officer_id=holder_id,
                posting_id=new.posting_id,
                occur_time=d.occur_time(),
            )
        else:
            assert due is not None
            holder["rotation_due"] = due.isoformat()
            message = events_pb2.AuxiliaryAssigned(
                district_code=d.district,
                village_id=village.village_id,
                officer_id=officer.officer_id,
                previous_officer_id=holder_id,
                posting_id=new.posting_id,
                rotation_due=local_date_to_proto(due),
                occur_time=d.occur_time(),
            )
        if not await d.store.set_holder(
            village.village_id, slot, holder_posting_id, holder, [d.event(message, key=village.village_id)]
        ):
            again = await self.assignment(village.village_id)
            if (
                again.liaison_posting_id if slot == LIAISON else again.auxiliary_posting_id
            ) != new.posting_id:
                await self.close(new, day, "superseded by a concurrent assignment", caller)
                raise RuleViolation(
                    "R-PER-5",
                    f"villages/{village.village_id}",
                    "the village's assignment changed meanwhile; retry",
                )
        if previous is not None and previous.open:
            await self.close(
                previous,
                day,
                reason.strip() or f"replaced by {officer.officer_id}",
                caller,
                successor_officer_id=officer.officer_id,
            )
        d.relay.notify()
        if evaluate:
            await self._staffing.evaluate_structural(
                "LiaisonAssigned" if slot == LIAISON else "AuxiliaryAssigned"
            )
        return await self.assignment(village.village_id), new

    # --- queries ------------------------------------------------------------------------------------

    async def list_postings(
        self,
        *,
        station_id: str,
        room_id: str,
        zone_code: str,
        village_id: str,
        role: OfficerRole | None,
        current_only: bool,
        page_size: int,
        page_token: str,
    ) -> tuple[list[Posting], str]:
        limit = page_limit(page_size)
        postings = await self._d.store.list_postings(
            filters={
                "station_id": station_id,
                "room_id": room_id,
                "zone_code": zone_code,
                "village_id": village_id,
                "role": role.value if role else "",
            },
            current_only=current_only,
            before_id=page_token,
            limit=limit,
        )
        return postings, next_page_token(postings, limit, key=lambda p: p.posting_id)

    async def history(self, officer_id: str) -> tuple[list[Posting], Tenure]:
        """R-PER-12: every posting, oldest first, with rural/urban tenure and leadership eligibility."""
        await self.officer(officer_id)
        postings = sorted(
            await self._d.store.postings_of(officer_id), key=lambda p: (p.start_date, p.posting_id)
        )
        return postings, tenure(postings, today=self._d.today(), work=self._d.policy.work)
