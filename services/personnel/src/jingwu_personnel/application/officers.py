"""Officers (R-PER-1): register, read with masking and audit (R-POP-6), update, deactivate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import NotFound, RuleViolation, Validator
from jingwu_platform.paging import next_page_token, page_limit

from jingwu_personnel.adapters.proto_mapping import event_officer
from jingwu_personnel.application.base import MANAGERS, Deps, require_role
from jingwu_personnel.application.postings import PostingService
from jingwu_personnel.application.staffing import StaffingService
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
from jingwu_personnel.domain.staffing import STATION_KINDS


class OfficerService:
    def __init__(self, deps: Deps, postings: PostingService, staffing: StaffingService) -> None:
        self._d = deps
        self._postings = postings
        self._staffing = staffing

    async def register(self, draft: OfficerDraft, *, caller: Caller, request_id: str) -> Officer:
        require_role(caller, MANAGERS, "registering an officer")
        d = self._d
        officer_id = d.stable_id("officer", request_id) if request_id else str(uuid.uuid4())
        officer = register_officer(draft, officer_id=officer_id, at=d.now(), by=caller.subject)
        event = d.event(
            events_pb2.OfficerRegistered(
                district_code=d.district, officer=event_officer(officer), occur_time=d.occur_time()
            ),
            key=officer_id,
        )
        if not await d.store.add_officer(officer, [event]):
            return await self._get(officer_id)  # the same request again
        d.relay.notify()
        # A new person changes station headcounts and shares only (R-PER-4); postings come later.
        await self._staffing.evaluate_structural("OfficerRegistered", STATION_KINDS)
        return officer

    async def _get(self, officer_id: str) -> Officer:
        officer = await self._d.store.get_officer(officer_id)
        if officer is None:
            raise NotFound("officer", officer_id)
        return officer

    async def get(self, officer_id: str, *, caller: Caller, method: str) -> tuple[Officer, list[Posting]]:
        officer = await self._get(officer_id)
        shown = await self.present([officer], caller=caller, method=method)
        return shown[0], await self._d.store.open_postings(officer_id=officer_id)

    async def present(self, officers: Sequence[Officer], *, caller: Caller, method: str) -> list[Officer]:
        """R-POP-6: identity and phone numbers masked unless the caller may read them, and every
        unmasked read audited (an event on the personnel topic, never carrying the numbers)."""
        if not caller.has(Role.PII_READER):
            return [masked(o) for o in officers]
        revealed = sorted({f for o in officers for f in unmasked_fields(o)})
        if revealed:
            d = self._d
            read_id = str(uuid.uuid4())
            officer_ids = [o.officer_id for o in officers if unmasked_fields(o)]
            roles = sorted(r.value for r in caller.roles)
            event = d.event(
                events_pb2.OfficerDataReadUnmasked(
                    district_code=d.district,
                    read_id=read_id,
                    reader_id=caller.subject,
                    reader_roles=roles,
                    method=method,
                    officer_ids=officer_ids,
                    fields=revealed,
                    occur_time=d.occur_time(),
                ),
                key=caller.subject,
            )
            # The audit record is written before the data leaves: no unaudited read.
            await d.store.add_unmasked_read(
                read_id,
                {
                    "reader_id": caller.subject,
                    "reader_roles": roles,
                    "method": method,
                    "officer_ids": officer_ids,
                    "fields": revealed,
                    "read_time": d.now(),
                },
                [event],
            )
            d.relay.notify()
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
        officer_ids: list[str] | None = None
        if room_id or village_id:
            postings = await self._d.store.open_postings(room_id=room_id, village_id=village_id)
            officer_ids = sorted({p.officer_id for p in postings})
        limit = page_limit(page_size)
        officers = await self._d.store.list_officers(
            station_id=station_id,
            role=role.value if role else "",
            branch=branch.value if branch else "",
            status=status.value if status else "",
            officer_ids=officer_ids,
            after_id=page_token,
            limit=limit,
        )
        token = next_page_token(officers, limit, key=lambda o: o.officer_id)
        return await self.present(officers, caller=caller, method=method), token

    async def update(
        self, officer_id: str, draft: OfficerDraft, paths: Sequence[str], *, caller: Caller
    ) -> Officer:
        require_role(caller, MANAGERS, "updating an officer")
        d = self._d
        for _ in range(3):  # optimistic: another update in between makes us re-read and re-apply
            current = await self._get(officer_id)
            updated, changed = update_officer(current, draft, tuple(paths), at=d.now(), by=caller.subject)
            if not changed:
                return current
            event = d.event(
                events_pb2.OfficerUpdated(
                    district_code=d.district,
                    officer=event_officer(updated),
                    changed_fields=list(changed),
                    occur_time=d.occur_time(),
                ),
                key=officer_id,
            )
            if await d.store.replace_officer(updated, current, [event]):
                d.relay.notify()
                await self._staffing.evaluate_structural("OfficerUpdated")
                return updated
        raise RuleViolation("R-PER-1", f"officers/{officer_id}", "the officer changed concurrently; retry")

    async def deactivate(
        self, officer_id: str, *, effective: date | None, effective_invalid: bool, reason: str, caller: Caller
    ) -> tuple[Officer, list[Posting]]:
        """Off the force: every open posting ends; villages he served become blank (R-PER-5 finding)."""
        require_role(caller, MANAGERS, "deactivating an officer")
        d = self._d
        v = Validator()
        v.check(not effective_invalid, "effective_date", "must be a valid calendar date")
        v.check(bool(reason.strip()), "reason", "is required")
        if effective is not None:
            v.check(effective <= d.today(), "effective_date", "cannot be in the future")
        v.raise_if_any()
        officer = await self._get(officer_id)
        if not officer.active:
            return officer, []
        day = effective or d.today()
        ended = []
        for posting in await d.store.open_postings(officer_id=officer_id):
            done = await self._postings.close(
                posting, max(day, posting.start_date), f"deactivated: {reason}", caller
            )
            if done is not None:
                ended.append(done)
        event = d.event(
            events_pb2.OfficerDeactivated(
                district_code=d.district,
                officer_id=officer_id,
                ended_posting_ids=[p.posting_id for p in ended],
                reason=reason,
                occur_time=d.occur_time(),
            ),
            key=officer_id,
        )
        inactive = officer.deactivate(d.now(), caller.subject)
        while not await d.store.replace_officer(inactive, officer, [event]):
            officer = await self._get(officer_id)  # a profile update came in between: apply to it
            if not officer.active:
                break
            inactive = officer.deactivate(d.now(), caller.subject)
        d.relay.notify()
        await self._staffing.evaluate_structural("OfficerDeactivated")
        return inactive, ended
