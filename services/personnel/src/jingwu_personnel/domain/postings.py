"""Postings with full history (R-PER-12) and full-time room officers (R-PER-3). Pure. (How postings
follow the registry's zone re-divisions, R-ORG-3, is planned in domain/redivision.py.)

A posting is never overwritten: moving an officer ends one posting and starts another, so the history
answers "where was this officer, in which role, from when to when" and the rural/urban tenure that
station leadership needs is computed from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.policy import WorkStandard
from jingwu_platform.shared_kernel import check_required, check_zone_code

from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.officers import Officer, OfficerRole
from jingwu_personnel.domain.territory import Setting


@dataclass(frozen=True)
class Posting:
    posting_id: str
    officer_id: str
    role: OfficerRole
    start_date: date
    station_id: str = ""
    room_id: str = ""
    zone_code: str = ""
    village_id: str = ""
    setting: Setting | None = None
    full_time: bool = False
    end_date: date | None = None
    end_reason: str = ""
    approval_reference: str = ""
    successor_officer_id: str = ""
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    @property
    def open(self) -> bool:
        return self.end_date is None

    def same_place(self, other: PostingDraft) -> bool:
        return (self.role, self.station_id, self.room_id, self.zone_code, self.village_id) == (
            other.role,
            other.station_id,
            other.room_id,
            other.zone_code,
            other.village_id,
        )

    def end(
        self,
        day: date,
        *,
        reason: str,
        at: datetime,
        by: str,
        approval_reference: str = "",
        successor_officer_id: str = "",
    ) -> Posting:
        if not self.open:
            raise RuleViolation("R-PER-12", f"postings/{self.posting_id}", "the posting has already ended")
        if day < self.start_date:
            raise RuleViolation(
                "R-PER-12",
                f"postings/{self.posting_id}",
                f"a posting cannot end ({day}) before it started ({self.start_date})",
            )
        return replace(
            self,
            end_date=day,
            end_reason=reason,
            approval_reference=approval_reference or self.approval_reference,
            successor_officer_id=successor_officer_id,
            audit=self.audit.touched(by, at),
        )


@dataclass(frozen=True)
class PostingDraft:
    """A posting asked for; validated by ``validate_posting``."""

    officer_id: str
    role: OfficerRole | None
    station_id: str = ""
    room_id: str = ""
    zone_code: str = ""
    village_id: str = ""
    full_time: bool = False
    start_date: date | None = None
    start_date_invalid: bool = False
    approval_reference: str = ""


def validate_posting(draft: PostingDraft, *, district: str, today: date) -> PostingDraft:
    v = Validator()
    check_required(v, "officer_id", draft.officer_id)
    v.check(draft.role is not None, "role", "a posting role is required")
    v.check(
        any((draft.station_id, draft.room_id, draft.zone_code, draft.village_id)),
        "station_id",
        "post the officer to a station, room, zone or village",
    )
    if draft.zone_code:
        check_zone_code(v, "zone_code", draft.zone_code, district)
    if draft.full_time:
        # R-PER-3: "full-time" is a property of room officers.
        v.check(bool(draft.room_id), "full_time", "only a room posting can be full-time (R-PER-3)")
    v.check(not draft.start_date_invalid, "start_date", "must be a valid calendar date")
    if draft.start_date is not None:
        v.check(draft.start_date <= today, "start_date", "a posting cannot start in the future")
    v.raise_if_any()
    return draft if draft.start_date is not None else replace(draft, start_date=today)


def check_role_fits(officer: Officer, role: OfficerRole) -> None:
    """R-PER-1: police posts go to police officers, auxiliary posts to auxiliaries."""
    officer.require_active()
    if not officer.can_take(role):
        base = "a police officer" if officer.is_auxiliary else "an auxiliary"
        raise RuleViolation(
            "R-PER-1",
            f"officers/{officer.officer_id}",
            f"a {role.value} posting needs {base}; this person is not",
        )


def takes_away(full_time: Posting, room_id: str, zone_code: str, village_id: str) -> bool:
    """R-PER-3: another room, or station duty (a posting to no room, zone or village), takes a
    full-time room officer out of his room; a zone or village posting in his area does not."""
    if room_id:
        return room_id != full_time.room_id
    return not zone_code and not village_id


def full_time_postings_moved(open_postings: Iterable[Posting], draft: PostingDraft) -> list[Posting]:
    """R-PER-3: open full-time room postings that the new posting would take the officer away from.

    A full-time room officer is not moved arbitrarily: posting him to another room or to station duty
    needs an approval reference, and with one his full-time postings end as the new one starts.
    """
    moved = [
        p
        for p in open_postings
        if p.full_time and p.room_id and takes_away(p, draft.room_id, draft.zone_code, draft.village_id)
    ]
    if moved and not draft.approval_reference.strip():
        raise RuleViolation(
            "R-PER-3",
            f"postings/{moved[0].posting_id}",
            f"officer {draft.officer_id} is a full-time officer of room {moved[0].room_id}; "
            "moving him needs an approval reference",
        )
    return moved


def check_end_allowed(posting: Posting, approval_reference: str) -> None:
    """R-PER-3: a full-time room officer is not moved arbitrarily: ending his posting needs an approval."""
    if posting.full_time and posting.room_id and not approval_reference.strip():
        raise RuleViolation(
            "R-PER-3",
            f"postings/{posting.posting_id}",
            "ending a full-time room officer's posting needs an approval reference",
        )


# --------------------------------------------------------------------------------------------------
# tenure (R-PER-12)


@dataclass(frozen=True)
class Tenure:
    rural_days: int
    urban_days: int
    eligible_for_station_leadership: bool


def _covered_days(intervals: Iterable[tuple[date, date]]) -> int:
    """Days covered by half-open [start, end) intervals, overlaps counted once."""
    total = 0
    current_start: date | None = None
    current_end: date | None = None
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if current_end is None or start > current_end:
            if current_start is not None and current_end is not None:
                total += (current_end - current_start).days
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_start is not None and current_end is not None:
        total += (current_end - current_start).days
    return total


def years_in_days(years: float) -> int:
    """A year of tenure is 365 days, so two calendar years always count as two years."""
    return math.ceil(years * 365 - 1e-9)


def tenure(postings: Iterable[Posting], *, today: date, work: WorkStandard) -> Tenure:
    """R-PER-12: days in rural and urban postings (an open posting counts up to today; a posting's end
    date is the first day off the post; parallel postings count once) and whether they reach the
    district's threshold for station leadership (≥ 2 years rural or ≥ 3 years urban by default)."""
    by_setting: dict[Setting, list[tuple[date, date]]] = {Setting.RURAL: [], Setting.URBAN: []}
    for posting in postings:
        if posting.setting is not None:
            by_setting[posting.setting].append((posting.start_date, posting.end_date or today))
    rural = _covered_days(by_setting[Setting.RURAL])
    urban = _covered_days(by_setting[Setting.URBAN])
    eligible = rural >= years_in_days(work.promotion_rural_room_years) or urban >= years_in_days(
        work.promotion_urban_room_years
    )
    return Tenure(rural_days=rural, urban_days=urban, eligible_for_station_leadership=eligible)


# --------------------------------------------------------------------------------------------------
# moved by the room registry (R-ROOM-2 consolidations, R-ORG-3 re-divisions)


def successor_posting(
    posting: Posting,
    *,
    posting_id: str,
    day: date,
    at: datetime,
    by: str,
    room_id: str | None = None,
    zone_code: str | None = None,
    approval_reference: str = "",
) -> Posting:
    """The posting that continues ``posting`` elsewhere from ``day``: same officer, role, setting and
    full-time flag, so tenure runs on without a gap (R-PER-12)."""
    return replace(
        posting,
        posting_id=posting_id,
        room_id=posting.room_id if room_id is None else room_id,
        zone_code=posting.zone_code if zone_code is None else zone_code,
        start_date=max(day, posting.start_date),
        end_date=None,
        end_reason="",
        approval_reference=approval_reference,
        successor_officer_id="",
        audit=Audit.created(by, at),
        version=0,
    )


def posting_id_for(start: date, unique: str) -> str:
    """Posting ids start with the start date, so id order is start order (newest-first lists)."""
    return f"{start:%Y%m%d}-{unique}"
