"""Officer reminders: visits due, inspections due, logs missing, findings, callbacks and follow-ups due.
Pure.

A reminder is deduplicated by its cause: the officer, what kind, about what, and the cause's own key
(the finding id, the place and its due date, the matter). The same cause met again — a re-delivered
event, a finding re-raised, a daily check run twice — is the same reminder, delivered once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ReminderKind(StrEnum):
    VISITS_DUE = "visits_due"  # R-PER-8
    INSPECTION_DUE = "inspection_due"  # R-POP-3
    LOG_MISSING = "log_missing"  # R-PER-8, R-PER-9, R-PAT-4
    FINDING = "finding"
    CALLBACK_DUE = "callback_due"  # R-NOT-3
    FOLLOW_UP_DUE = "follow_up_due"  # R-NOT-2


@dataclass(frozen=True)
class Reminder:
    reminder_id: str
    officer_id: str
    kind: ReminderKind
    rule_id: str
    subject_id: str
    text: str
    create_time: datetime
    source_event_id: str = ""

    @property
    def title(self) -> str:
        return f"[{self.rule_id}] {TITLES[self.kind]}"


TITLES = {
    ReminderKind.VISITS_DUE: "进村走访待完成",
    ReminderKind.INSPECTION_DUE: "场所检查已逾期",
    ReminderKind.LOG_MISSING: "工作记录缺失",
    ReminderKind.FINDING: "发现问题待处理",
    ReminderKind.CALLBACK_DUE: "群众委托事项待回告",
    ReminderKind.FOLLOW_UP_DUE: "居民代表意见待落实",
}


def reminder_key(officer_id: str, kind: ReminderKind, subject_id: str, cause: str) -> str:
    """The natural key a reminder's stable id is made from."""
    return "/".join((officer_id, kind.value, subject_id, cause))


def remind(
    *,
    reminder_id: str,
    officer_id: str,
    kind: ReminderKind,
    rule_id: str,
    subject_id: str,
    text: str,
    at: datetime,
    source_event_id: str = "",
) -> Reminder:
    return Reminder(
        reminder_id=reminder_id,
        officer_id=officer_id,
        kind=kind,
        rule_id=rule_id,
        subject_id=subject_id,
        text=text,
        create_time=at,
        source_event_id=source_event_id,
    )


# Personnel finding kinds (jingwu.personnel.v1 StaffingFindingKind, lower case) → what to remind of.
STAFFING_FINDING_REMINDERS = {
    "village_days_short": ReminderKind.VISITS_DUE,  # R-PER-8: too few days in the village
    "community_hours_short": ReminderKind.LOG_MISSING,  # R-PER-9: hours not logged
}
