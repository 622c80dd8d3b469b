"""Ratings (R-PER-11): self, peer, leader and resident ratings, which assessment combines."""

from __future__ import annotations

from jingwu.personnel.v1 import events_pb2
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import AlreadyExists, NotFound
from jingwu_platform.usecase import UseCaseKit, require_role

from jingwu_personnel.adapters.proto_mapping import rating_to_proto
from jingwu_personnel.application.ports import OfficerRepository, RatingRepository
from jingwu_personnel.domain.periods import PeriodKind
from jingwu_personnel.domain.ratings import Rating, RatingSource, check_rater, validate_rating

# Record-dependent rules (the RPC itself is open to staff, see entrypoints/grpc_api.ACCESS): a leader
# rating needs a leader; a resident rating (from a callback) a leader or the service relaying it.
LEADERS = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN})
RELAYS = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN, Role.SERVICE})


class RatingApplication:
    def __init__(self, kit: UseCaseKit, *, ratings: RatingRepository, officers: OfficerRepository) -> None:
        self._kit = kit
        self._ratings = ratings
        self._officers = officers

    async def submit(
        self,
        *,
        officer_id: str,
        period: tuple[PeriodKind | None, int, int],
        source: RatingSource | None,
        score: float,
        comment: str,
        resident_reference: str,
        caller: Caller,
        request_id: str,
    ) -> Rating:
        """R-PER-11: the rater comes from the credential. Every submission is kept; a rater's latest one
        counts (a resubmission replaces the score). Repeating a request_id returns the first rating and
        publishes nothing."""
        checked, checked_source = validate_rating(
            officer_id=officer_id,
            period=period,
            source=source,
            score=score,
            resident_reference=resident_reference,
            comment=comment,
        )
        if checked_source is RatingSource.LEADER:
            require_role(caller, LEADERS, "a leader rating")
        if checked_source is RatingSource.RESIDENT:
            require_role(caller, RELAYS, "relaying a resident rating")
        check_rater(officer_id, checked_source, caller.subject)
        if await self._officers.get(officer_id) is None:
            raise NotFound("officer", officer_id)
        kit = self._kit
        rating = Rating(
            rating_id=kit.ids.for_request("rating", request_id),
            officer_id=officer_id,
            period=checked,
            source=checked_source,
            score=score,
            rater_id="" if checked_source is RatingSource.RESIDENT else caller.subject,
            comment=comment,
            resident_reference=resident_reference,
            submit_time=kit.now(),
            submitted_by=caller.subject,
        )
        event = kit.events(
            events_pb2.RatingSubmitted(
                district_code=kit.district, rating=rating_to_proto(rating), occur_time=kit.events.occur_time()
            ),
            key=officer_id,
        )
        if await self._ratings.insert(rating, [event]):
            return rating
        stored = await self._ratings.get(rating.rating_id)
        assert stored is not None
        if stored.submitted_by != caller.subject:
            raise AlreadyExists("rating request", request_id)  # someone else's request id
        return stored
