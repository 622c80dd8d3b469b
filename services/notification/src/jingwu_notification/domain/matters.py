"""The service pledge and callback (回告制, R-NOT-3), and appointments with a room (R-NOT-4). Pure.

Every matter a resident entrusts has an owner and a due date; it is closed with the answer given and
how (phone or visit). An unanswered matter past its due date escalates to the station, once. The
resident's satisfaction rating (1–5) feeds the owner's assessment (R-PER-11).

A resident opens their own matter with its reference number and their phone number; nothing else
identifies it, and a wrong pair says no more than "not found" (R-POP-6).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from jingwu_platform.calendar import local_date
from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_required

# R-NOT-3 says every matter is answered back but sets no deadline: three days is this project's default.
CALLBACK_DAYS = 3
DESCRIPTION_MAX = 2000
ANSWER_MAX = 2000
_PHONE = re.compile(r"^\d{7,15}$")
REFERENCE = re.compile(r"^[A-Z]{2}[0-9A-HJKMNP-TV-Z]{10}$")  # two letters + ten Crockford base-32 digits


class MatterStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class AnswerMethod(StrEnum):
    PHONE = "phone"
    VISIT = "visit"


def normalize_phone(phone: str) -> str:
    """Digits only, without a +86 / 0086 country prefix."""
    digits = re.sub(r"[\s\-()]", "", phone)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def check_phone(v: Validator, field: str, phone: str) -> None:
    if v.check(bool(phone.strip()), field, "is required"):
        v.check(bool(_PHONE.match(normalize_phone(phone))), field, "must be 7–15 digits")


def at_store_precision(at: datetime) -> datetime:
    """A client's time to the millisecond the store keeps, so the record read back equals the one answered."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def mask_phone(phone: str) -> str:
    """R-POP-6: 138****5678."""
    if len(phone) <= 4:
        return "*" * len(phone)
    keep = 3 if len(phone) >= 11 else 1
    return phone[:keep] + "*" * (len(phone) - keep - 4) + phone[-4:]


def shown_fields(phone: str) -> tuple[str, ...]:
    """The personal fields an unmasked matter or appointment reveals (the audit names them, R-POP-6):
    its resident's phone, when there is one."""
    return ("resident_phone",) if phone else ()


def same_phone(given: str, stored: str) -> bool:
    """Constant-time comparison, so response times do not tell how much of a phone number matched."""
    return hmac.compare_digest(normalize_phone(given).encode(), stored.encode())


@dataclass(frozen=True)
class EntrustedMatter:
    matter_id: str
    reference: str
    room_id: str
    station_id: str
    resident_name: str
    resident_phone: str
    description: str
    owner_officer_id: str
    due_date: date
    entrust_time: datetime
    status: MatterStatus = MatterStatus.OPEN
    answer: str = ""
    answer_method: AnswerMethod | None = None
    answered_by: str = ""
    answer_time: datetime | None = None
    satisfaction: int = 0
    escalate_time: datetime | None = None
    created_by: str = ""
    version: int = 0

    def overdue(self, today: date) -> bool:
        return self.status is MatterStatus.OPEN and today > self.due_date

    def masked(self) -> EntrustedMatter:
        """The matter as a caller who may not see the resident's phone sees it (R-POP-6)."""
        return replace(self, resident_phone=mask_phone(self.resident_phone))


def entrust_matter(
    *,
    matter_id: str,
    reference: str,
    room_id: str,
    station_id: str,
    resident_name: str,
    resident_phone: str,
    description: str,
    owner_officer_id: str,
    due_date: date | None,
    at: datetime,
    by: str,
) -> EntrustedMatter:
    v = Validator()
    check_required(v, "room_id", room_id)
    check_required(v, "resident_name", resident_name, 64)
    check_phone(v, "resident_phone", resident_phone)
    check_required(v, "description", description, DESCRIPTION_MAX)
    # R-NOT-3: every matter has an owner; the room's officer when none was named.
    v.check(bool(owner_officer_id), "owner_officer_id", "no officer is posted to the room: name the owner")
    today = local_date(at)
    if due_date is not None:
        v.check(due_date >= today, "due_date", f"must not be before today ({today.isoformat()})")
    v.raise_if_any()
    return EntrustedMatter(
        matter_id=matter_id,
        reference=reference,
        room_id=room_id,
        station_id=station_id,
        resident_name=resident_name.strip(),
        resident_phone=normalize_phone(resident_phone),
        description=description.strip(),
        owner_officer_id=owner_officer_id,
        due_date=due_date or today + timedelta(days=CALLBACK_DAYS),
        entrust_time=at,
        created_by=by,
    )


def answer_matter(
    matter: EntrustedMatter, *, answer: str, method: AnswerMethod | None, at: datetime, by: str
) -> EntrustedMatter:
    """R-NOT-3: closed with the answer given and how it was given."""
    if matter.status is MatterStatus.ANSWERED:
        raise RuleViolation("R-NOT-3", matter.matter_id, "the matter was answered already")
    v = Validator()
    check_required(v, "answer", answer, ANSWER_MAX)
    v.check(method is not None, "method", "say how the answer was given: phone or visit")
    v.raise_if_any()
    return replace(
        matter,
        status=MatterStatus.ANSWERED,
        answer=answer.strip(),
        answer_method=method,
        answered_by=by,
        answer_time=at,
    )


def rate_matter(matter: EntrustedMatter, rating: int) -> EntrustedMatter:
    """The resident rates the callback once it was answered (R-NOT-3 → R-PER-11)."""
    v = Validator()
    v.check(1 <= rating <= 5, "rating", f"must be 1 (very unsatisfied) to 5 (very satisfied), got {rating}")
    v.raise_if_any()
    if matter.status is not MatterStatus.ANSWERED:
        raise RuleViolation("R-NOT-3", matter.matter_id, "a matter is rated after it was answered back")
    if matter.satisfaction:
        raise RuleViolation("R-NOT-3", matter.matter_id, "the matter was rated already")
    return replace(matter, satisfaction=rating)


def satisfaction_score(rating: int) -> float:
    """Personnel's 0..100 scale (R-PER-11): 1 → 0, 3 → 50, 5 → 100."""
    return (rating - 1) * 25.0


def escalate(matter: EntrustedMatter, *, today: date, at: datetime) -> EntrustedMatter | None:
    """R-NOT-3: an unanswered matter past its due date goes to the station, once (None: nothing to do)."""
    if not matter.overdue(today) or matter.escalate_time is not None:
        return None
    return replace(matter, escalate_time=at)


# --- appointments (R-NOT-4) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    reference: str
    room_id: str
    resident_name: str
    resident_phone: str
    topic: str
    start_time: datetime
    create_time: datetime
    created_by: str = ""

    def masked(self) -> Appointment:
        """The appointment as a caller who may not see the resident's phone sees it (R-POP-6)."""
        return replace(self, resident_phone=mask_phone(self.resident_phone))


def book_appointment(
    *,
    appointment_id: str,
    reference: str,
    room_id: str,
    resident_name: str,
    resident_phone: str,
    topic: str,
    start_time: datetime | None,
    at: datetime,
    by: str,
) -> Appointment:
    v = Validator()
    check_required(v, "room_id", room_id)
    check_required(v, "resident_name", resident_name, 64)
    check_phone(v, "resident_phone", resident_phone)
    check_required(v, "topic", topic, 500)
    if v.check(start_time is not None, "start_time", "is required") and start_time is not None:
        v.check(start_time > at, "start_time", "must be in the future")
        v.check(start_time <= at + timedelta(days=60), "start_time", "at most 60 days ahead")
    v.raise_if_any()
    assert start_time is not None
    return Appointment(
        appointment_id=appointment_id,
        reference=reference,
        room_id=room_id,
        resident_name=resident_name.strip(),
        resident_phone=normalize_phone(resident_phone),
        topic=topic.strip(),
        start_time=at_store_precision(start_time),
        create_time=at,
        created_by=by,
    )
