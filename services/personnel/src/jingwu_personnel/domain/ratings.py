"""Ratings (R-PER-11): self, peer, leader and resident ratings of an officer for a period. Pure.

Every submission is kept (its id comes from the client's request id, so a retried request is stored
once); a rater who submits again for the same officer, period and source replaces his score: only each
rater's latest rating counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.policy import RatingWeights

from jingwu_personnel.domain.periods import Period, PeriodKind, check_period

_EARLIEST = datetime.min.replace(tzinfo=UTC)


class RatingSource(StrEnum):
    SELF = "self"
    PEER = "peer"
    LEADER = "leader"
    RESIDENT = "resident"


@dataclass(frozen=True)
class Rating:
    rating_id: str
    officer_id: str
    period: Period
    source: RatingSource
    score: float
    rater_id: str = ""
    comment: str = ""
    resident_reference: str = ""
    submit_time: datetime | None = None
    # Who submitted it (the credential's subject; for a resident rating, the service or leader relaying
    # the callback): a request id repeated by someone else is not theirs to answer.
    submitted_by: str = ""

    @property
    def rater_key(self) -> tuple[RatingSource, str]:
        """Whose rating this is: the rater, or for a resident rating the callback it came from."""
        return self.source, self.resident_reference if self.source is RatingSource.RESIDENT else self.rater_id


def validate_rating(
    *,
    officer_id: str,
    period: tuple[PeriodKind | None, int, int],
    source: RatingSource | None,
    score: float,
    resident_reference: str,
    comment: str,
) -> tuple[Period, RatingSource]:
    """R-PER-11: a 0..100 score from one of the four sources; a resident rating names the callback it
    came from."""
    v = Validator()
    v.check(bool(officer_id.strip()), "officer_id", "is required")
    checked = check_period(v, "period", *period)
    v.check(source is not None, "source", "self, peer, leader or resident")
    v.check(0.0 <= score <= 100.0, "score", "must be between 0 and 100")
    v.check(len(comment) <= 2000, "comment", "must be at most 2000 characters")
    if source is RatingSource.RESIDENT:
        v.check(
            bool(resident_reference.strip()), "resident_reference", "a resident rating names its callback"
        )
    v.raise_if_any()
    assert checked is not None and source is not None
    return checked, source


def check_rater(officer_id: str, source: RatingSource, rater_id: str) -> None:
    """R-PER-11: a self rating is the officer's own, a peer or leader rating someone else's."""
    if source is RatingSource.SELF and rater_id != officer_id:
        raise RuleViolation("R-PER-11", f"officers/{officer_id}", "a self rating is submitted by the officer")
    if source in (RatingSource.PEER, RatingSource.LEADER) and rater_id == officer_id:
        raise RuleViolation(
            "R-PER-11", f"officers/{officer_id}", "an officer cannot rate himself as peer or leader"
        )


def latest_per_rater(ratings: Iterable[Rating]) -> list[Rating]:
    """Each rater's latest rating per officer, period and source: a resubmission replaces the score."""
    latest: dict[tuple[str, Period, RatingSource, str], Rating] = {}
    ordered = sorted(ratings, key=lambda r: (r.submit_time or _EARLIEST, r.rating_id))
    for rating in ordered:
        source, rater = rating.rater_key
        latest[(rating.officer_id, rating.period, source, rater)] = rating
    return sorted(latest.values(), key=lambda r: r.rating_id)


@dataclass(frozen=True)
class RatingSummary:
    source: RatingSource
    count: int
    average: float
    weight: float


def rating_summaries(ratings: Iterable[Rating], weights: RatingWeights) -> list[RatingSummary]:
    """R-PER-11: average per source (each rater's latest rating), weighted by the district's weights
    renormalised over the sources present (an officer no resident rated is judged on the other three,
    not given zero for them)."""
    by_source: dict[RatingSource, list[float]] = {}
    for rating in latest_per_rater(ratings):
        by_source.setdefault(rating.source, []).append(rating.score)
    base = {
        RatingSource.SELF: weights.self_rating,
        RatingSource.PEER: weights.peer,
        RatingSource.LEADER: weights.leader,
        RatingSource.RESIDENT: weights.resident,
    }
    present = sum(base[s] for s in by_source)
    summaries = []
    for source in RatingSource:
        if source in by_source and present > 0:
            scores = by_source[source]
            summaries.append(
                RatingSummary(source, len(scores), sum(scores) / len(scores), base[source] / present)
            )
    return summaries
