"""What every personnel use case shares: the store, the outbox relay, the district's policy, the clock,
and how events and ids are made."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu_platform.auth import Caller, Role
from jingwu_platform.calendar import local_date
from jingwu_platform.errors import PermissionDenied
from jingwu_platform.events import Event, domain_topic, new_event
from jingwu_platform.outbox import OutboxRelay
from jingwu_platform.policy import DistrictPolicy

from jingwu_personnel.adapters.repository import PersonnelStore
from jingwu_personnel.domain.assessment import AssessmentStandard
from jingwu_personnel.domain.villages import PreferenceWeights

SERVICE = "personnel"
# Stable namespace: a client's request_id (or an event id) always maps to the same record id.
_NAMESPACE = uuid.UUID("2b7e6a4c-3d15-4f0b-9c6e-8a1f5d2e7b90")

# Who may change personnel records: station and bureau leaders, and Jingwu services acting for them.
MANAGERS = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN, Role.SERVICE})
LEADERS = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN})


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    district: str
    store: PersonnelStore
    relay: OutboxRelay
    policy: DistrictPolicy
    clock: Callable[[], datetime] = _utc_now
    preferences: PreferenceWeights = field(default_factory=PreferenceWeights)
    standard: AssessmentStandard = field(default_factory=AssessmentStandard)

    @property
    def topic(self) -> str:
        return domain_topic(self.district, SERVICE)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in the district's calendar."""
        return local_date(self.clock())

    def event(self, message: Message, key: str) -> tuple[Event, str]:
        return new_event(message, key=key, district=self.district, service=SERVICE), self.topic

    def occur_time(self) -> Timestamp:
        stamp = Timestamp()
        stamp.FromDatetime(self.now())
        return stamp

    def stable_id(self, *parts: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, "/".join((self.district, *parts))))


def require_role(caller: Caller, allowed: Iterable[Role], action: str) -> None:
    allowed = frozenset(allowed)
    if not caller.roles & allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(f"{action} needs one of the roles: {names}")


def posting_id(start: date, unique: str) -> str:
    """Posting ids start with the start date, so ``_id`` order is start order (newest first lists)."""
    return f"{start:%Y%m%d}-{unique}"


def time_id(at: datetime, unique: str) -> str:
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{unique}"
