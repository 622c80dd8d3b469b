"""Ranking candidates for a village's liaison officer (R-PER-6) and resident auxiliary (R-PER-7). Pure.

Each candidate's score is the sum of the points of the preferences that hold for him, so the ranking
explains itself term by term. The points are district policy (``DistrictPolicy.preferences``): R-PER-6
orders the preferences without numbers, so the defaults are this project's choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jingwu_platform.calendar import add_months
from jingwu_platform.policy import PreferenceWeights, WorkStandard

from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.territory import VillageView
from jingwu_personnel.domain.villages import VillageAssignment, allowed_townships, is_own_village


class CandidateReason(StrEnum):
    HOME_VILLAGE = "home_village"
    FORMER_WORKPLACE = "former_workplace"
    TRAFFIC_LINE = "traffic_line"
    CRIMINAL_HIGH_CRIME = "criminal_high_crime"
    STATE_SECURITY_COMPLEX = "state_security_complex"
    KEY_VILLAGE = "key_village"
    SAME_TOWNSHIP = "same_township"
    NEIGHBOURING_TOWNSHIP = "neighbouring_township"
    NOT_RECENTLY_SERVED = "not_recently_served"
    WORKLOAD = "workload"


@dataclass(frozen=True)
class CandidateFacts:
    """What ranking knows of one person besides his profile."""

    officer: Officer
    # Villages he serves now in the role ranked for.
    current_village_count: int = 0
    # Villages he was posted to in the past (any role): R-PER-6 "former workplace" from the history.
    past_village_ids: frozenset[str] = frozenset()
    # Last day he served this village as its resident auxiliary (R-PER-7 rotation), if ever.
    last_served_here: date | None = None


def candidate_facts(
    officers: Iterable[Officer], village_postings: Iterable[Posting], *, role: OfficerRole, village_id: str
) -> list[CandidateFacts]:
    """What ranking knows of each person from the village postings: villages he serves now in ``role``,
    villages he served before (R-PER-6 former workplace), and when he last left ``village_id`` as its
    resident auxiliary (R-PER-7 rotation)."""
    current: dict[str, set[str]] = {}
    past: dict[str, set[str]] = {}
    last_here: dict[str, date] = {}
    for posting in village_postings:
        if not posting.village_id:
            continue
        if posting.open and posting.role is role:
            current.setdefault(posting.officer_id, set()).add(posting.village_id)
        if posting.end_date is not None:
            past.setdefault(posting.officer_id, set()).add(posting.village_id)
            if posting.village_id == village_id and posting.role is OfficerRole.RESIDENT_AUXILIARY:
                last_here[posting.officer_id] = max(
                    posting.end_date, last_here.get(posting.officer_id, posting.end_date)
                )
    return [
        CandidateFacts(
            officer=o,
            current_village_count=len(current.get(o.officer_id, ())),
            past_village_ids=frozenset(past.get(o.officer_id, ())),
            last_served_here=last_here.get(o.officer_id),
        )
        for o in officers
    ]


@dataclass(frozen=True)
class Candidate:
    officer: Officer
    score: float
    terms: tuple[tuple[CandidateReason, float], ...]
    current_village_count: int

    @property
    def reasons(self) -> tuple[CandidateReason, ...]:
        return tuple(reason for reason, _ in self.terms)


_BRANCH_MATCHES: tuple[tuple[frozenset[Branch], str, CandidateReason], ...] = (
    (frozenset({Branch.TRAFFIC}), "along_traffic_line", CandidateReason.TRAFFIC_LINE),
    (frozenset({Branch.CRIMINAL_INVESTIGATION}), "high_crime", CandidateReason.CRIMINAL_HIGH_CRIME),
    (frozenset({Branch.STATE_SECURITY}), "security_complex", CandidateReason.STATE_SECURITY_COMPLEX),
    (frozenset({Branch.PUBLIC_ORDER, Branch.STATION}), "key_village", CandidateReason.KEY_VILLAGE),
)


def _ranked(candidates: Iterable[Candidate], limit: int) -> list[Candidate]:
    ordered = sorted(
        candidates, key=lambda c: (-c.score, c.current_village_count, c.officer.name, c.officer.officer_id)
    )
    return ordered[:limit]


def _workload(facts: CandidateFacts, weights: PreferenceWeights) -> list[tuple[CandidateReason, float]]:
    if facts.current_village_count == 0:
        return []
    return [(CandidateReason.WORKLOAD, -weights.per_current_village * facts.current_village_count)]


def liaison_terms(
    facts: CandidateFacts,
    assignment: VillageAssignment,
    villages: Mapping[str, VillageView],
    weights: PreferenceWeights,
) -> list[tuple[CandidateReason, float]]:
    """R-PER-6 preferences that hold for this officer and village, with their points."""
    officer, village_id = facts.officer, assignment.village_id
    terms: list[tuple[CandidateReason, float]] = []
    if is_own_village(officer, village_id, villages):
        terms.append((CandidateReason.HOME_VILLAGE, weights.home_village))
    if village_id in officer.former_workplace_village_ids or village_id in facts.past_village_ids:
        terms.append((CandidateReason.FORMER_WORKPLACE, weights.former_workplace))
    profile = assignment.profile
    if profile is not None and officer.branch is not None:
        for branches, trait, reason in _BRANCH_MATCHES:
            if officer.branch in branches and getattr(profile, trait):
                terms.append((reason, weights.branch_match))
    return terms + _workload(facts, weights)


def rank_liaison_candidates(
    candidates: Iterable[CandidateFacts],
    assignment: VillageAssignment,
    villages: Mapping[str, VillageView],
    *,
    weights: PreferenceWeights,
    limit: int,
) -> list[Candidate]:
    """R-PER-6: active police officers other than the current liaison, best first."""
    ranked = []
    for facts in candidates:
        officer = facts.officer
        if not (officer.active and officer.is_police) or officer.officer_id == assignment.liaison_officer_id:
            continue
        terms = liaison_terms(facts, assignment, villages, weights)
        ranked.append(Candidate(officer, sum(p for _, p in terms), tuple(terms), facts.current_village_count))
    return _ranked(ranked, limit)


def rank_auxiliary_candidates(
    candidates: Iterable[CandidateFacts],
    assignment: VillageAssignment,
    villages: Mapping[str, VillageView],
    *,
    today: date,
    work: WorkStandard,
    weights: PreferenceWeights,
    limit: int,
) -> list[Candidate]:
    """R-PER-7: active auxiliaries of the same or a neighbouring township, never from the village itself,
    never the current one; those who have not served here within a rotation period first."""
    allowed = allowed_townships(assignment)
    ranked = []
    for facts in candidates:
        officer = facts.officer
        if not (officer.active and officer.is_auxiliary) or officer.officer_id == assignment.auxiliary_id:
            continue
        if is_own_village(officer, assignment.village_id, villages) or officer.home_township not in allowed:
            continue
        terms: list[tuple[CandidateReason, float]] = [
            (CandidateReason.SAME_TOWNSHIP, weights.same_township)
            if officer.home_township == assignment.township
            else (CandidateReason.NEIGHBOURING_TOWNSHIP, weights.neighbouring_township)
        ]
        recent = (
            facts.last_served_here is not None
            and add_months(facts.last_served_here, work.auxiliary_rotation_months) > today
        )
        if not recent:
            terms.append((CandidateReason.NOT_RECENTLY_SERVED, weights.not_recently_served))
        terms += _workload(facts, weights)
        ranked.append(Candidate(officer, sum(p for _, p in terms), tuple(terms), facts.current_village_count))
    return _ranked(ranked, limit)
