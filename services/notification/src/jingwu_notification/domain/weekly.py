"""The weekly police-situation notice (R-NOT-1): the week's facts in a room's zones, the draft made
from them, and the finding when a week ends without a published notice. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from jingwu_platform.calendar import DateRange, local_date

from jingwu_notification.domain.notices import (
    DEFAULT_CHANNELS,
    CategoryCount,
    Notice,
    NoticeKind,
    NoticeStatus,
    WeeklyFacts,
)

# Category names of information records (jingwu.population.v1 InformationCategory, lower case) and how
# a notice names them for residents.
INCIDENT_LABELS = {
    "dispute": "矛盾纠纷",
    "security_hazard": "治安隐患",
    "public_opinion": "社情民意",
    "person": "人员信息",
    "house": "房屋信息",
    "place": "场所信息",
    # Incidents (警情) the command centre reported, as patrol records them (R-PAT-2).
    "theft": "盗窃",
    "burglary": "入室盗窃",
    "vehicle_theft": "盗窃车辆",
    "robbery": "抢劫抢夺",
    "fraud": "诈骗",
    "assault": "殴打伤害",
    "public_order": "扰乱公共秩序",
    "traffic": "交通事故",
    "other": "其他警情",
}
TIP_CATEGORY = "intelligence"  # 情报线索: counted as residents' tips, never itemised


class FactKind(StrEnum):
    INFORMATION = "information"  # an information record collected (R-POP-4)
    PATROL = "patrol"  # a patrol finished (R-PAT-2)
    JOINT_PATROL = "joint_patrol"  # a mass-prevention joint patrol (R-PAT-4)
    INCIDENT = "incident"  # an incident (警情) from the command centre, recorded by patrol (R-PAT-2)


@dataclass(frozen=True)
class WeekFact:
    """One event that counts towards a zone's week, kept by the event's id (so a re-delivered event
    counts once)."""

    fact_id: str
    kind: FactKind
    zone_code: str
    day: date
    category: str = ""
    hours: float = 0.0


def summarize(
    facts: Iterable[WeekFact], *, zone_codes: Sequence[str], police_tips: Sequence[str]
) -> WeeklyFacts:
    """Incidents by category, patrol presence and tips of one week in the given zones."""
    zones = set(zone_codes)
    incidents: Counter[str] = Counter()
    patrols = joint = tips = 0
    hours = 0.0
    for fact in facts:
        if fact.zone_code not in zones:
            continue
        if fact.kind is FactKind.INFORMATION:
            if fact.category == TIP_CATEGORY:
                tips += 1
            elif fact.category:
                incidents[fact.category] += 1
        elif fact.kind is FactKind.INCIDENT:
            incidents[fact.category or "other"] += 1
        elif fact.kind is FactKind.PATROL:
            patrols += 1
            hours += fact.hours
        elif fact.kind is FactKind.JOINT_PATROL:
            joint += 1
    return WeeklyFacts(
        zone_codes=tuple(sorted(zones)),
        incidents=tuple(
            CategoryCount(c, n) for c, n in sorted(incidents.items(), key=lambda i: (-i[1], i[0]))
        ),
        patrols=patrols,
        patrol_hours=round(hours, 1),
        joint_patrols=joint,
        resident_tips=tips,
        police_tips=tuple(police_tips),
    )


def weekly_notice_id(room_id: str, week: DateRange) -> str:
    """One weekly notice per room and week: the schedule and the officer drafting it agree on the id."""
    year, number, _ = week.start.isocalendar()
    return f"weekly-{room_id}-{year}-W{number:02d}"


def _body(room_name: str, week: DateRange, facts: WeeklyFacts) -> str:
    lines = [f"{room_name}{week.start:%-m月%-d日}至{week.end:%-m月%-d日}警情通报："]
    if facts.incidents:
        items = "，".join(
            f"{INCIDENT_LABELS.get(c.category, c.category)}{c.count}起" for c in facts.incidents
        )
        lines.append(f"本周辖区登记{items}。")
    else:
        lines.append("本周辖区未登记矛盾纠纷和治安隐患。")
    lines.append(
        f"民警巡逻{facts.patrols}次，共{facts.patrol_hours:g}小时；群防群治队伍联合巡逻{facts.joint_patrols}次。"
    )
    if facts.resident_tips:
        lines.append(f"感谢居民提供线索{facts.resident_tips}条。")
    if facts.police_tips:
        lines.append("本周警务提示：" + "；".join(facts.police_tips) + "。")
    lines.append("如遇警情请拨打110，或到警务室、在线警务室反映。")
    return "\n".join(lines)


def weekly_draft(
    *, room_id: str, room_name: str, week: DateRange, facts: WeeklyFacts, at: datetime, by: str
) -> Notice:
    """The draft the room's officer reviews (R-NOT-1)."""
    return Notice(
        notice_id=weekly_notice_id(room_id, week),
        kind=NoticeKind.WEEKLY_SITUATION,
        room_id=room_id,
        title=f"{room_name}{week.start:%Y年%-m月%-d日}当周警情通报",
        body=_body(room_name, week, facts),
        channels=DEFAULT_CHANNELS,
        publish_time=None,
        created_by=by,
        status=NoticeStatus.DRAFT,
        create_time=at,
        week=week,
        facts=facts,
    )


def week_has_published_notice(notices: Iterable[Notice], week: DateRange) -> bool:
    """R-NOT-1: a weekly notice or a bulletin published for (weekly) or during (bulletin) the week."""
    for notice in notices:
        if not notice.published:
            continue
        if notice.kind is NoticeKind.WEEKLY_SITUATION and notice.week == week:
            return True
        bulletin = notice.kind is NoticeKind.BULLETIN and notice.publish_time is not None
        if bulletin and notice.publish_time is not None and week.contains(local_date(notice.publish_time)):
            return True
    return False
