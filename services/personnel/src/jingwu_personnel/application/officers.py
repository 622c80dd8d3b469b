"""Officers (R-PER-1): register, read with masking and audit (R-POP-6), update, deactivate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import NotFound, Validator
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.unmasked_reads import UnmaskedReadAudit, UnmaskedReadRepository
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.adapters.proto_mapping import event_officer
from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import (
    OfficerQuery,
    OfficerRepository,
    PostingQuery,
    PostingRepository,
    StaffingChecks,
    VillageRepository,
)
from jingwu_personnel.application.posting_ledger import Ending, PostingLedger
from jingwu_personnel.domain.findings import STATION_KINDS
from jingwu_personnel.domain.officers import (
    Branch,
    Officer,
    OfficerDraft,
    OfficerRole,
    OfficerStatus,
    masked,
    register_officer,
    unmasked_fields,
    update_officer,
)
from jingwu_personnel.domain.postings import Posting


class OfficerApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        *,
        officers: OfficerRepository,
        unmasked_reads: UnmaskedReadRepository,
        postings: PostingRepository,
        villages: VillageRepository,
        staffing: StaffingChecks,
    ) -> None:
        self._kit = kit
        self._officers = officers
        self._audit = UnmaskedReadAudit(kit, unmasked_reads, events_pb2.OfficerDataReadUnmasked)
        self._postings = postings
        self._staffing = staffing
        self._ledger = PostingLedger(kit, postings, villages)

    async def _get(self, officer_id: str) -> Officer:
        officer = await self._officers.get(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        return officer

    async def register(self, draft: OfficerDraft, *, caller: Caller, request_id: str) -> Officer:
        """R-PER-1. Repeating a request_id returns the officer it registered and publishes nothing."""
        kit = self._kit
        officer = register_officer(
            draft, officer_id=kit.ids.for_request("officer", request_id), at=kit.now(), by=caller.subject
        )
        event = kit.events(
            events_pb2.OfficerRegistered(
                district_code=kit.district, officer=event_officer(officer), occur_time=kit.events.occur_time()
            ),
            key=officer.officer_id,
        )
        if not await self._officers.add(officer, [event]):
            return await self._get(officer.officer_id)  # the same request again
        # A new person changes station headcounts and shares only (R-PER-4); postings come later.
        await self._staffing.evaluate_structural("OfficerRegistered", STATION_KINDS)
        return officer

    async def get(self, officer_id: str, *, caller: Caller, method: str) -> tuple[Officer, list[Posting]]:
        officer = await self._get(officer_id)
        shown = await self.present([officer], caller=caller, method=method)
        current = await self._postings.select(PostingQuery(officer_id=officer_id, current_only=True))
        return shown[0], current

    async def present(self, officers: Sequence[Officer], *, caller: Caller, method: str) -> list[Officer]:
        """R-POP-6: identity and phone numbers masked unless the caller may read them, and every
        unmasked read audited (a record and an event on the personnel topic, never carrying the numbers),
        written before the data leaves: no unaudited read."""
        if not caller.has(Role.PII_READER):
            return [masked(o) for o in officers]
        await self._audit.record(
            [(o.officer_id, unmasked_fields(o)) for o in officers],
            caller=caller,
            method=method,
            records_field="officer_ids",
        )
        return list(officers)

    async def list_officers(
        self,
        *,
        station_id: str,
        role: OfficerRole | None,
        branch: Branch | None,
        room_id: str,
        village_id: str,
        status: OfficerStatus | None,
        page_size: int,
        page_token: str,
        caller: Caller,
        method: str,
    ) -> tuple[list[Officer], str]:
        officer_ids: frozenset[str] | None = None
        if room_id or village_id:
            postings = await self._postings.select(
                PostingQuery(room_id=room_id, village_id=village_id, current_only=True)
            )
            officer_ids = frozenset(p.officer_id for p in postings)
        limit = page_limit(page_size)
        officers = await self._officers.select(
            OfficerQuery(
                station_id=station_id,
                role=role,
                branch=branch,
                status=status,
                officer_ids=officer_ids,
                after_id=page_token,
                limit=limit,
            )
        )
        token = next_page_token(officers, limit, key=lambda o: o.officer_id)
        return await self.present(officers, caller=caller, method=method), token

    async def update(
        self, officer_id: str, draft: OfficerDraft, paths: Sequence[str], *, caller: Caller
    ) -> Officer:
        """R-PER-1: the masked fields change (validated like a registration); an update that changes
        nothing publishes nothing."""
        kit = self._kit

        def decide(current: Officer) -> Decision[Officer]:
            updated, changed = update_officer(current, draft, tuple(paths), at=kit.now(), by=caller.subject)
            if not changed:
                return None
            message = events_pb2.OfficerUpdated(
                district_code=kit.district,
                officer=event_officer(updated),
                changed_fields=list(changed),
                occur_time=kit.events.occur_time(),
            )
            return updated, [kit.events(message, key=officer_id)]

        outcome = await change(self._officers, officer_id, decide, what=f"officer {officer_id}")
        if outcome is None:
            raise NotFound("officer", officer_id)
        if outcome.changed:
            await self._staffing.evaluate_structural("OfficerUpdated")
        return outcome.aggregate

    async def deactivate(
        self, officer_id: str, *, effective: date | None, effective_invalid: bool, reason: str, caller: Caller
    ) -> tuple[Officer, list[Posting]]:
        """Off the force: every open posting ends; villages he served become blank (an R-PER-5 finding).
        Deactivating an inactive officer changes nothing."""
        kit = self._kit
        v = Validator()
        v.check(not effective_invalid, "effective_date", "must be a valid calendar date")
        v.check(bool(reason.strip()), "reason", "is required")
        if effective is not None:
            v.check(effective <= kit.today(), "effective_date", "cannot be in the future")
        v.raise_if_any()
        officer = await self._get(officer_id)
        if not officer.active:
            return officer, []
        ending = Ending(effective or kit.today(), f"deactivated: {reason}", caller.subject)
        ended = []
        for posting in await self._postings.select(PostingQuery(officer_id=officer_id, current_only=True)):
            done = await self._ledger.end(posting.posting_id, ending)
            if done is not None:
                ended.append(done)

        def decide(current: Officer) -> Decision[Officer]:
            inactive = current.deactivate(kit.now(), caller.subject)
            if inactive is None:
                return None
            message = events_pb2.OfficerDeactivated(
                district_code=kit.district,
                officer_id=officer_id,
                ended_posting_ids=[p.posting_id for p in ended],
                reason=reason,
                occur_time=kit.events.occur_time(),
            )
            return inactive, [kit.events(message, key=officer_id)]

        outcome = await change(self._officers, officer_id, decide, what=f"officer {officer_id}")
        assert outcome is not None
        await self._staffing.evaluate_structural("OfficerDeactivated")
        return outcome.aggregate, ended
