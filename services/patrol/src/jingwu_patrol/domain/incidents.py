"""Incidents (警情) from the command centre and other police systems: the input of hot-spot deployment
(R-PAT-2, R-NOT-5). Pure.

Each report is validated field by field — the sender, its incident id, the time (not in the future
beyond the clock skew allowed, not older than the district keeps), the place (inside one of the
district's zones: an incident elsewhere belongs to another district), the category — and recorded once
per (source_system, source_incident_id): a repeat, over gRPC or Kafka, is a duplicate, and the first
record stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from jingwu_platform.errors import Validator

from jingwu_patrol.domain.common import check_text, order_key
from jingwu_patrol.domain.geo import GeoPoint, check_point
from jingwu_patrol.domain.territory import DistrictMap

SOURCE_SYSTEM = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
SOURCE_ID_MAX_LENGTH = 128


class IncidentCategory(StrEnum):
    THEFT = "theft"
    BURGLARY = "burglary"
    VEHICLE_THEFT = "vehicle_theft"
    ROBBERY = "robbery"
    FRAUD = "fraud"
    ASSAULT = "assault"
    DISPUTE = "dispute"
    PUBLIC_ORDER = "public_order"
    TRAFFIC = "traffic"
    OTHER = "other"


CATEGORY_LABELS = {
    IncidentCategory.THEFT: "盗窃",
    IncidentCategory.BURGLARY: "入室盗窃",
    IncidentCategory.VEHICLE_THEFT: "盗窃车辆",
    IncidentCategory.ROBBERY: "抢劫抢夺",
    IncidentCategory.FRAUD: "诈骗",
    IncidentCategory.ASSAULT: "殴打伤害",
    IncidentCategory.DISPUTE: "纠纷",
    IncidentCategory.PUBLIC_ORDER: "扰乱秩序",
    IncidentCategory.TRAFFIC: "交通",
    IncidentCategory.OTHER: "其他",
}


@dataclass(frozen=True)
class IncidentReport:
    """What a sender sends; ``category`` None: unspecified or unknown to this contract version."""

    source_system: str
    source_incident_id: str
    occur_time: datetime | None
    location: GeoPoint | None
    category: IncidentCategory | None
    address: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Incident:
    incident_id: str
    source_system: str
    source_incident_id: str
    occur_time: datetime
    location: GeoPoint
    category: IncidentCategory
    zone_code: str
    receive_time: datetime
    channel: str
    address: str = ""
    summary: str = ""
    # Newest-first lists page by it: the occur time, then the id.
    order_key: str = ""


@dataclass(frozen=True)
class IncidentLimits:
    """How far a report's time may be from now (policy values, PatrolPolicy)."""

    max_future_skew: timedelta = timedelta(minutes=10)
    max_age: timedelta = timedelta(days=400)


def accept(
    report: IncidentReport,
    *,
    incident_id: str,
    district: str,
    zones: DistrictMap,
    now: datetime,
    channel: str,
    limits: IncidentLimits,
    prefix: str = "",
) -> Incident:
    """The incident a valid report records, or ValidationFailed naming every bad field (``prefix``:
    the fields' parent in the request, e.g. ``report.``)."""
    v = Validator()
    f = prefix
    v.check(
        bool(SOURCE_SYSTEM.match(report.source_system)),
        f"{f}source_system",
        "is required: lower-case letters, digits, '_', '-' or '.', at most 32 (e.g. command_centre)",
    )
    if v.check(bool(report.source_incident_id.strip()), f"{f}source_incident_id", "is required"):
        v.check(
            len(report.source_incident_id) <= SOURCE_ID_MAX_LENGTH,
            f"{f}source_incident_id",
            f"must be at most {SOURCE_ID_MAX_LENGTH} characters",
        )
    if report.occur_time is None:
        v.add(f"{f}occur_time", "is required")
    else:
        v.check(
            report.occur_time <= now + limits.max_future_skew,
            f"{f}occur_time",
            f"is in the future ({report.occur_time.isoformat()}; now {now.isoformat()})",
        )
        v.check(
            report.occur_time >= now - limits.max_age,
            f"{f}occur_time",
            f"is older than the {limits.max_age.days} days the district keeps",
        )
    zone_code = ""
    if check_point(v, f"{f}location", report.location) and report.location is not None:
        if not zones.has_boundaries:
            v.add(f"{f}location", f"district {district} has no zone boundaries yet to place the incident in")
        else:
            zone = zones.zone_at(report.location)
            if v.check(
                zone is not None,
                f"{f}location",
                f"({report.location.longitude}, {report.location.latitude}) is outside district {district}'s "
                "zones: the incident belongs to another district",
            ):
                assert zone is not None
                zone_code = zone.zone_code
    v.check(report.category is not None, f"{f}category", "is required (a known IncidentCategory)")
    check_text(v, f"{f}address", report.address, 256)
    check_text(v, f"{f}summary", report.summary, 1000)
    v.raise_if_any()
    assert report.occur_time is not None and report.location is not None and report.category is not None
    return Incident(
        incident_id=incident_id,
        source_system=report.source_system,
        source_incident_id=report.source_incident_id.strip(),
        occur_time=report.occur_time,
        location=report.location,
        category=report.category,
        zone_code=zone_code,
        receive_time=now,
        channel=channel,
        address=report.address.strip(),
        summary=report.summary.strip(),
        order_key=order_key(report.occur_time, incident_id),
    )
