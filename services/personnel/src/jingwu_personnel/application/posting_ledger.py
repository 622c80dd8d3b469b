"""The writes of postings every command shares (R-PER-12: a posting is never overwritten).

A posting starts (OfficerPosted) or ends (PostingEnded), each one write with its event. A village
whose liaison officer or resident auxiliary held an ended posting is left without one (R-PER-5), which
the next staffing evaluation reports; when the registry moves a village posting (a re-division), the
village keeps its holder under the successor posting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.adapters.proto_mapping import posting_to_proto
from jingwu_personnel.application.changes import Decision, change
from jingwu_personnel.application.ports import PostingRepository, VillageRepository
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.villages import Slot, VillageAssignment


@dataclass(frozen=True)
class Ending:
    """How a posting ends: the first day off the post, why, and on whose authority."""

    day: date
    reason: str
    by: str
    approval_reference: str = ""
    successor_officer_id: str = ""


class PostingLedger:
    def __init__(self, kit: UseCaseKit, postings: PostingRepository, villages: VillageRepository) -> None:
        self._kit = kit
        self._postings = postings
        self._villages = villages

    async def start(self, posting: Posting) -> bool:
        """Store a new posting with OfficerPosted; False when it exists already (a repeated command)."""
        kit = self._kit
        event = kit.events(
            events_pb2.OfficerPosted(
                district_code=kit.district,
                posting=posting_to_proto(posting),
                occur_time=kit.events.occur_time(),
            ),
            key=posting.officer_id,
        )
        return await self._postings.add(posting, [event])

    async def end(self, posting_id: str, ending: Ending, *, release_village: bool = True) -> Posting | None:
        """End an open posting (PostingEnded; never before it started). The ended posting, or None when
        it had ended already."""
        kit = self._kit

        def decide(posting: Posting) -> Decision[Posting]:
            if not posting.open:
                return None
            ended = posting.end(
                max(ending.day, posting.start_date),
                reason=ending.reason,
                at=kit.now(),
                by=ending.by,
                approval_reference=ending.approval_reference,
                successor_officer_id=ending.successor_officer_id,
            )
            message = events_pb2.PostingEnded(
                district_code=kit.district,
                posting=posting_to_proto(ended),
                occur_time=kit.events.occur_time(),
            )
            return ended, [kit.events(message, key=posting.officer_id)]

        outcome = await change(self._postings, posting_id, decide, what=f"posting {posting_id}")
        if outcome is None or not outcome.changed:
            return None
        ended = outcome.aggregate
        if release_village and ended.village_id and Slot.of(ended.role) is not None:
            await self._change_village(ended.village_id, lambda a: a.released(ended.posting_id))
        return ended

    async def hand_over_village_slot(self, old: Posting, new: Posting) -> None:
        """R-PER-5: the registry moved a village posting; the village keeps its holder (no blank
        village), now under the successor posting, from the same day."""
        if old.village_id and Slot.of(old.role) is not None:
            await self._change_village(
                old.village_id, lambda a: a.handed_over(old.posting_id, new.posting_id)
            )

    async def _change_village(
        self, village_id: str, transition: Callable[[VillageAssignment], VillageAssignment | None]
    ) -> None:
        def decide(assignment: VillageAssignment) -> Decision[VillageAssignment]:
            changed = transition(assignment)
            return None if changed is None else (changed, [])

        await change(self._villages, village_id, decide, what=f"village {village_id}")
