"""Postings (R-PER-3, R-PER-12): posting an officer, ending a posting, the history with tenure. A posting
to a village's liaison or auxiliary slot is an assignment (application/village_slots.py, R-PER-5..7)."""

from __future__ import annotations

from datetime import date

from jingwu_platform.auth import Caller
from jingwu_platform.errors import FieldViolation, NotFound, RuleViolation, ValidationFailed, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.application.ports import (
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    RoomViewRepository,
    StaffingChecks,
    StationViewRepository,
    VillageRepository,
    ZoneViewRepository,
)
from jingwu_personnel.application.posting_ledger import Ending, PostingLedger
from jingwu_personnel.application.village_slots import VillageSlots
from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.officers import Officer, OfficerRole
from jingwu_personnel.domain.postings import (
    Posting,
    PostingDraft,
    Tenure,
    check_end_allowed,
    check_role_fits,
    full_time_postings_moved,
    posting_id_for,
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
from jingwu_personnel.domain.villages import Slot


class PostingApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        postings: PostingRepository,
        officers: OfficerRepository,
        villages: VillageRepository,
        rooms: RoomViewRepository,
        zones: ZoneViewRepository,
        stations: StationViewRepository,
        staffing: StaffingChecks,
    ) -> None:
        self._kit = kit
        self._postings = postings
        self._officers = officers
        self._rooms = rooms
        self._zones = zones
        self._stations = stations
        self._staffing = staffing
        self._ledger = PostingLedger(kit, postings, villages)
        self._slots = VillageSlots(
            kit, villages=villages, postings=postings, officers=officers, staffing=staffing
        )

    async def _officer(self, officer_id: str) -> Officer:
        officer = await self._officers.get(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        return officer

    async def get(self, posting_id: str) -> Posting:
        posting = await self._postings.get(posting_id)
        if posting is None:
            raise NotFound("posting", posting_id)
        return posting

    # --- PostOfficer ----------------------------------------------------------------------------------

    async def _place(self, draft: PostingDraft, officer: Officer) -> tuple[str, str, Setting | None]:
        """Station, zone and rural/urban setting of a posting, from its room, zone or village."""
        station_id, zone_code, setting = draft.station_id, draft.zone_code, None
        if draft.room_id:
            room = await self._rooms.get(draft.room_id)
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
            setting = room_setting(room, await self._stations.get(room.station_id))
        if zone_code:
            zone = await self._zones.get(zone_code)
            if zone is not None and zone.retired:
                raise RuleViolation(
                    "R-ORG-3", f"zones/{zone_code}", "the zone was dissolved by a re-division"
                )
            station_id = station_id or (zone.station_id if zone else "")
            if setting is None and zone is not None:
                setting = station_setting(await self._stations.get(zone.station_id))
        if draft.village_id:
            village = (await self._slots.assignment(draft.village_id)).village
            station_id = station_id or village.station_id
            setting = setting or village_setting(village)
        return station_id or officer.station_id, zone_code, setting

    async def post(self, draft: PostingDraft, *, caller: Caller, request_id: str) -> Posting:
        """R-PER-12: a new posting, history untouched; R-PER-3: moving a full-time room officer needs an
        approval and ends his room posting; village posts go through the R-PER-5..7 assignment rules.
        Repeating a request_id (or posting him where he already is) returns the posting, unchanged."""
        kit = self._kit
        draft = validate_posting(draft, district=kit.district, today=kit.today())
        assert draft.role is not None and draft.start_date is not None
        officer = await self._officer(draft.officer_id)
        check_role_fits(officer, draft.role)
        slot = Slot.of(draft.role)
        if draft.village_id and slot is Slot.LIAISON:
            _, posting = await self._slots.assign_liaison(
                draft.village_id, officer.officer_id, draft.start_date, caller=caller
            )
            return posting
        if draft.village_id and slot is Slot.AUXILIARY:
            _, posting = await self._slots.assign_auxiliary(
                draft.village_id, officer.officer_id, draft.start_date, None, caller=caller
            )
            return posting
        station_id, zone_code, setting = await self._place(draft, officer)
        start = draft.start_date
        new = Posting(
            posting_id=posting_id_for(start, kit.ids.for_request("posting", request_id)),
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
            audit=Audit.created(caller.subject, kit.now()),
        )
        if request_id and (stored := await self._postings.get(new.posting_id)) is not None:
            return stored  # the same request again
        open_postings = await self._postings.select(
            PostingQuery(officer_id=officer.officer_id, current_only=True)
        )
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
        if not await self._ledger.start(new):
            return await self.get(new.posting_id)  # a concurrent repeat of this request
        where = draft.room_id or zone_code or draft.village_id or f"station {station_id}"
        for posting in moved:
            ending = Ending(
                start,
                f"moved to {where} (R-PER-3)",
                caller.subject,
                approval_reference=draft.approval_reference,
            )
            await self._ledger.end(posting.posting_id, ending)
        await self._staffing.evaluate_structural("OfficerPosted")
        return new

    # --- EndPosting -----------------------------------------------------------------------------------

    async def end(
        self,
        posting_id: str,
        *,
        end_date: date | None,
        end_date_invalid: bool,
        reason: str,
        approval_reference: str,
        successor_officer_id: str,
        caller: Caller,
    ) -> tuple[Posting, Posting | None]:
        """R-PER-12: the posting ends (its history stays); R-PER-3: a full-time room officer's needs an
        approval; R-PER-5: naming a successor for a village posting assigns him in the same step."""
        kit = self._kit
        v = Validator()
        v.check(bool(posting_id.strip()), "posting_id", "is required")
        v.check(not end_date_invalid, "end_date", "must be a valid calendar date")
        if end_date is not None:
            v.check(end_date <= kit.today(), "end_date", "cannot be in the future")
        v.raise_if_any()
        posting = await self.get(posting_id)
        if not posting.open:
            raise RuleViolation("R-PER-12", f"postings/{posting_id}", "the posting has already ended")
        check_end_allowed(posting, approval_reference)
        day = end_date or kit.today()
        reason = reason.strip() or "posting ended"
        successor: Posting | None = None
        if successor_officer_id:
            slot = Slot.of(posting.role) if posting.village_id else None
            if slot is None:
                raise ValidationFailed(
                    [
                        FieldViolation(
                            "successor_officer_id",
                            "only liaison officer and resident auxiliary postings name a successor (R-PER-5)",
                        )
                    ]
                )
            if slot is Slot.LIAISON:
                _, successor = await self._slots.assign_liaison(
                    posting.village_id,
                    successor_officer_id,
                    day,
                    caller=caller,
                    reason=reason,
                    evaluate=False,
                )
            else:
                _, successor = await self._slots.assign_auxiliary(
                    posting.village_id,
                    successor_officer_id,
                    day,
                    None,
                    caller=caller,
                    reason=reason,
                    evaluate=False,
                )
        ending = Ending(
            day,
            reason,
            caller.subject,
            approval_reference=approval_reference,
            successor_officer_id=successor_officer_id,
        )
        await self._ledger.end(posting_id, ending)
        await self._staffing.evaluate_structural("PostingEnded")
        return await self.get(posting_id), successor

    # --- queries --------------------------------------------------------------------------------------

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
        """Newest first."""
        limit = page_limit(page_size)
        postings = await self._postings.select(
            PostingQuery(
                station_id=station_id,
                room_id=room_id,
                zone_code=zone_code,
                village_id=village_id,
                role=role,
                current_only=current_only,
                newest_first=True,
                before_id=page_token,
                limit=limit,
            )
        )
        return postings, next_page_token(postings, limit, key=lambda p: p.posting_id)

    async def current(self, officer_id: str) -> list[Posting]:
        return await self._postings.select(PostingQuery(officer_id=officer_id, current_only=True))

    async def history(self, officer_id: str) -> tuple[list[Posting], Tenure]:
        """R-PER-12: every posting, oldest first, with rural/urban tenure and leadership eligibility."""
        await self._officer(officer_id)
        postings = sorted(
            await self._postings.select(PostingQuery(officer_id=officer_id)),
            key=lambda p: (p.start_date, p.posting_id),
        )
        return postings, tenure(postings, today=self._kit.today(), work=self._kit.policy.work)
