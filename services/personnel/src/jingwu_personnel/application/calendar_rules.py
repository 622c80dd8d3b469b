"""Personnel's calendar rules (entrypoints/schedules.py): what runs when a day, week, month or quarter
has come or ended, whether or not a command or an event happened meanwhile.

Each run is for one period (jingwu_platform.schedule.Period) and is idempotent for it: evaluations are
state-based (findings raised once per breach, resolved when gone) and assessment drafts have one id per
officer and period, so an attempt run again after a crash leaves what one run would.
"""

from __future__ import annotations

import logging

from jingwu_platform.errors import RuleViolation
from jingwu_platform.schedule import Period as CalendarPeriod

from jingwu_personnel.application.assessment import AssessmentApplication
from jingwu_personnel.application.staffing import StaffingApplication
from jingwu_personnel.domain.findings import FindingKind
from jingwu_personnel.domain.periods import PeriodKind

log = logging.getLogger(__name__)


class CalendarRules:
    def __init__(self, *, staffing: StaffingApplication, assessment: AssessmentApplication) -> None:
        self._staffing = staffing
        self._assessment = assessment

    async def blank_villages(self, period: CalendarPeriod) -> None:
        """R-PER-5, daily: every administrative village has one liaison officer and one resident
        auxiliary; a village left blank (a re-posting without replacement) is a finding until filled."""
        kinds = frozenset({FindingKind.BLANK_VILLAGE, FindingKind.VILLAGE_WITHOUT_AUXILIARY})
        await self._staffing.evaluate_structural(f"schedule blank-villages {period.key}", kinds)

    async def auxiliary_rotation(self, period: CalendarPeriod) -> None:
        """R-PER-7, daily: a resident auxiliary whose rotation date has come is a finding (no event
        marks the day: only the calendar does)."""
        kinds = frozenset({FindingKind.AUXILIARY_ROTATION_DUE})
        await self._staffing.evaluate_structural(f"schedule auxiliary-rotation {period.key}", kinds)

    async def village_days(self, period: CalendarPeriod) -> None:
        """R-PER-8, after each month: fewer village days than required in the month is a finding."""
        await self._staffing.judge_compliance(
            FindingKind.VILLAGE_DAYS_SHORT, period.dates, f"schedule village-days {period.key}"
        )

    async def community_hours(self, period: CalendarPeriod) -> None:
        """R-PER-9, after each week: fewer hours in the community than required is a finding."""
        await self._staffing.judge_compliance(
            FindingKind.COMMUNITY_HOURS_SHORT, period.dates, f"schedule community-hours {period.key}"
        )

    async def monthly_evaluation(self, period: CalendarPeriod) -> None:
        """R-PER-11: the drafts of the month that just ended (leaders rate, then publish them)."""
        await self._drafts(PeriodKind.MONTHLY, period.start.year, period.start.month, period)

    async def quarterly_assessment(self, period: CalendarPeriod) -> None:
        """R-PER-11: the drafts of the quarter that just ended."""
        await self._drafts(PeriodKind.QUARTERLY, period.start.year, (period.start.month - 1) // 3 + 1, period)

    async def _drafts(self, kind: PeriodKind, year: int, index: int, period: CalendarPeriod) -> None:
        try:
            drafts = await self._assessment.compute((kind, year, index), station_id="")
        except RuleViolation as published:
            # Published already (final, R-PER-11): there is nothing left to draft for this period.
            log.info(
                "assessment period already published", extra={"period": period.key, "why": str(published)}
            )
            return
        log.info("assessment drafts computed", extra={"period": period.key, "drafts": len(drafts)})
