"""Conduct rules (R-PER-13): "four nos" for officers, no leaking secrets or personal data for
auxiliaries. Violations are recorded with a deduction and feed the period's assessment. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.errors import Validator
from jingwu_platform.policy import ConductDeductions

from jingwu_personnel.domain.audit import Audit
from jingwu_personnel.domain.officers import Officer


class ConductRule(StrEnum):
    """Named like the fields of ``ConductDeductions`` (the district's default deduction per rule)."""

    FOUR_NOS = "four_nos"  # officers' "four nos"
    LEAKED_SECRETS = "leaked_secrets"  # auxiliaries
    LEAKED_PERSONAL_DATA = "leaked_personal_data"  # auxiliaries, R-POP-6
    OTHER = "other"


def default_deduction(rule: ConductRule, deductions: ConductDeductions) -> float:
    """The district's deduction for ``rule`` (DistrictPolicy.assessment.conduct_deductions)."""
    points: float = getattr(deductions, rule.value)
    return points


@dataclass(frozen=True)
class ConductRecord:
    record_id: str
    officer_id: str
    rule: ConductRule
    occur_date: date
    description: str
    score_deduction: float
    evidence_reference: str = ""
    station_id: str = ""  # the officer's station when it was recorded (station lists)
    audit: Audit = field(default_factory=Audit)


def conduct_record_id(day: date, unique: str) -> str:
    """Record ids start with the day it happened, so id order is date order (newest-first lists)."""
    return f"{day:%Y%m%d}-{unique}"


def record_conduct(
    *,
    unique_id: str,
    officer: Officer,
    rule: ConductRule | None,
    occur_date: date | None,
    occur_date_invalid: bool,
    description: str,
    score_deduction: float,
    evidence_reference: str,
    today: date,
    deductions: ConductDeductions,
    at: datetime,
    by: str,
) -> ConductRecord:
    """R-PER-13: a violation is recorded with its deduction (0 means the district default for the rule)."""
    v = Validator()
    v.check(rule is not None, "rule", "which conduct rule was broken")
    if v.check(occur_date is not None and not occur_date_invalid, "occur_date", "a valid date is required"):
        assert occur_date is not None
        v.check(occur_date <= today, "occur_date", "cannot be in the future")
    v.check(bool(description.strip()), "description", "is required")
    v.check(0.0 <= score_deduction <= 100.0, "score_deduction", "must be between 0 and 100")
    v.raise_if_any()
    assert rule is not None and occur_date is not None
    return ConductRecord(
        record_id=conduct_record_id(occur_date, unique_id),
        officer_id=officer.officer_id,
        rule=rule,
        occur_date=occur_date,
        description=description.strip(),
        score_deduction=score_deduction or default_deduction(rule, deductions),
        evidence_reference=evidence_reference,
        station_id=officer.station_id,
        audit=Audit.created(by, at),
    )
