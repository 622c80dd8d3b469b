"""How enum values read in tables (Chinese terms of the source documents); JSON keeps the enum names.
Command-line choices use short English names (``--kind mobile``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jingwu.common.v1 import common_pb2
from jingwu.personnel.v1 import personnel_pb2 as per
from jingwu.rooms.v1 import rooms_pb2 as rooms

ROOM_KINDS: dict[str, tuple[int, str]] = {
    "urban-home": (rooms.ROOM_KIND_URBAN_HOME_STYLE, "居家式"),
    "urban-one-zone": (rooms.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER, "一区一警式"),
    "rural-cluster": (rooms.ROOM_KIND_RURAL_LINKED_CLUSTER, "联动包片式"),
    "key-village": (rooms.ROOM_KIND_KEY_VILLAGE, "重点村警务室"),
    "contact-point": (rooms.ROOM_KIND_VILLAGE_CONTACT_POINT, "警务联系点"),
    "aux-workroom": (rooms.ROOM_KIND_AUXILIARY_WORKROOM, "辅警工作室"),
    "mobile": (rooms.ROOM_KIND_MOBILE, "流动警务室"),
}
ROOM_STATUSES: dict[str, tuple[int, str]] = {
    "planned": (rooms.ROOM_STATUS_PLANNED, "筹建"),
    "active": (rooms.ROOM_STATUS_ACTIVE, "运行"),
    "merged": (rooms.ROOM_STATUS_MERGED, "已合并"),
    "closed": (rooms.ROOM_STATUS_CLOSED, "已撤销"),
}
STATION_KINDS = {
    rooms.STATION_KIND_URBAN: "城区所",
    rooms.STATION_KIND_TOWN: "集镇所",
    rooms.STATION_KIND_TOWNSHIP: "乡村所",
}
OPERATING_MODELS = {
    rooms.OPERATING_MODEL_TWO_TEAMS_ONE_GROUP: "两队一室",
    rooms.OPERATING_MODEL_THREE_TEAMS_ONE_GROUP: "三队一室",
    rooms.OPERATING_MODEL_ZONE: "警务区制",
}
FINDING_KINDS: dict[str, tuple[int, str]] = {
    "room-understaffed": (per.STAFFING_FINDING_KIND_ROOM_UNDERSTAFFED, "警务室人员不足"),
    "not-full-time": (per.STAFFING_FINDING_KIND_ROOM_OFFICER_NOT_FULL_TIME, "专职不专"),
    "population-ratio": (per.STAFFING_FINDING_KIND_POPULATION_RATIO_EXCEEDED, "警力人口比超标"),
    "station-headcount": (per.STAFFING_FINDING_KIND_STATION_HEADCOUNT_LOW, "派出所警力不足"),
    "force-share": (per.STAFFING_FINDING_KIND_STATION_FORCE_SHARE_LOW, "所队警力占比低"),
    "blank-village": (per.STAFFING_FINDING_KIND_BLANK_VILLAGE, "空白村"),
    "village-no-auxiliary": (per.STAFFING_FINDING_KIND_VILLAGE_WITHOUT_AUXILIARY, "缺驻村辅警"),
    "rotation-due": (per.STAFFING_FINDING_KIND_AUXILIARY_ROTATION_DUE, "辅警应轮岗"),
    "village-days-short": (per.STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT, "驻村天数不足"),
    "community-hours-short": (per.STAFFING_FINDING_KIND_COMMUNITY_HOURS_SHORT, "社区工作时长不足"),
}
OFFICER_ROLES: dict[str, tuple[per.OfficerRole.ValueType, str]] = {
    "police": (per.OFFICER_ROLE_POLICE, "民警"),
    "auxiliary": (per.OFFICER_ROLE_AUXILIARY, "辅警"),
    "community": (per.OFFICER_ROLE_COMMUNITY_OFFICER, "社区民警"),
    "liaison": (per.OFFICER_ROLE_VILLAGE_LIAISON_OFFICER, "包村民警"),
    "resident-aux": (per.OFFICER_ROLE_RESIDENT_AUXILIARY, "驻村辅警"),
    "linked": (per.OFFICER_ROLE_LINKED_OFFICER, "1+X挂钩民警"),
    "mass-prevention": (per.OFFICER_ROLE_MASS_PREVENTION_MEMBER, "群防群治队员"),
    "collector": (per.OFFICER_ROLE_INFORMATION_COLLECTOR, "信息员"),
    "central-household": (per.OFFICER_ROLE_SECURITY_CENTRAL_HOUSEHOLD, "治安中心户"),
}
BRANCHES = {
    per.BRANCH_STATION: "派出所",
    per.BRANCH_PUBLIC_ORDER: "治安",
    per.BRANCH_CRIMINAL_INVESTIGATION: "刑侦",
    per.BRANCH_TRAFFIC: "交警",
    per.BRANCH_STATE_SECURITY: "国保",
    per.BRANCH_PATROL_SPECIAL: "巡特警",
    per.BRANCH_NARCOTICS: "禁毒",
    per.BRANCH_ECONOMIC_CRIME: "经侦",
    per.BRANCH_COMMAND_CENTRE: "指挥中心",
    per.BRANCH_OTHER: "其他",
}
CANDIDATE_REASONS = {
    per.CANDIDATE_REASON_HOME_VILLAGE: "本村人",
    per.CANDIDATE_REASON_FORMER_WORKPLACE: "曾在此工作",
    per.CANDIDATE_REASON_TRAFFIC_LINE: "交警·交通沿线",
    per.CANDIDATE_REASON_CRIMINAL_HIGH_CRIME: "刑警·发案高",
    per.CANDIDATE_REASON_STATE_SECURITY_COMPLEX: "国保·情况复杂",
    per.CANDIDATE_REASON_KEY_VILLAGE: "治安/所队·重点村",
    per.CANDIDATE_REASON_SAME_TOWNSHIP: "同乡镇",
    per.CANDIDATE_REASON_NEIGHBOURING_TOWNSHIP: "邻乡镇",
    per.CANDIDATE_REASON_NOT_RECENTLY_SERVED: "近期未驻此村",
    per.CANDIDATE_REASON_WORKLOAD: "已包他村",
}
GRADES = {
    per.ASSESSMENT_GRADE_EXCELLENT: "优秀",
    per.ASSESSMENT_GRADE_COMPETENT: "称职",
    per.ASSESSMENT_GRADE_BASICALLY_COMPETENT: "基本称职",
    per.ASSESSMENT_GRADE_INCOMPETENT: "不称职",
}
FINDING_STATUSES = {
    per.STAFFING_FINDING_STATUS_OPEN: "未整改",
    per.STAFFING_FINDING_STATUS_RESOLVED: "已整改",
}
OFFICER_STATUSES = {per.OFFICER_STATUS_ACTIVE: "在岗", per.OFFICER_STATUS_INACTIVE: "离岗"}

_ROOM_KIND_LABEL = {value: label for value, label in ROOM_KINDS.values()}
_ROOM_STATUS_LABEL = {value: label for value, label in ROOM_STATUSES.values()}
_FINDING_KIND_LABEL = {value: label for value, label in FINDING_KINDS.values()}
_ROLE_LABEL: dict[int, str] = {value: label for value, label in OFFICER_ROLES.values()}


def room_kind(value: int) -> str:
    return _ROOM_KIND_LABEL.get(value, "—")


def room_status(value: int) -> str:
    return _ROOM_STATUS_LABEL.get(value, "—")


def finding_kind(value: int) -> str:
    return _FINDING_KIND_LABEL.get(value, str(value))


def role(value: int) -> str:
    return _ROLE_LABEL.get(value, str(value))


def lookup(table: Mapping[Any, str], value: int) -> str:
    return table.get(value, "—")


def local_date(value: common_pb2.LocalDate) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year else ""
