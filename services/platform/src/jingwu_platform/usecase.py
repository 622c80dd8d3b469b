"""The use-case kit: what every application class of every service needs, written once.

- a clock you can inject (``SystemClock`` in processes, ``FakeClock`` in tests);
- stable ids (``Ids``): the same request id or event id always maps to the same record id, so a retried
  command or a re-delivered event cannot create a second record;
- one event factory (``EventFactory``) that stamps events with the clock, the district and the current
  trace, on the service's topic;
- ``retry_on_conflict`` for read-decide-write against a versioned store;
- ``require_role`` for rules that depend on the record, not only on the RPC (the RPC's own rule is
  declared next to its servicer, see jingwu_platform.authz).

An application class takes a ``UseCaseKit`` and its repositories (Protocols), nothing else:

    class RoomApplication:
        def __init__(self, kit: UseCaseKit, rooms: RoomRepository, ...) -> None: ...
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeAlias, TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from jingwu_platform.auth import Caller, Role
from jingwu_platform.calendar import local_date
from jingwu_platform.errors import Conflict, PermissionDenied
from jingwu_platform.events import Event, domain_topic, new_event
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.proto_values import timestamp

T = TypeVar("T")
# An event and the topic it goes to, as a repository writes it into an aggregate's outbox.
Outgoing: TypeAlias = tuple[Event, str]

# Optimistic writes: a command re-reads and decides again this many times before giving up.
CONFLICT_ATTEMPTS = 5


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        """To the millisecond: the store keeps milliseconds, so a record read back (a repeated command's
        answer) equals the one first answered."""
        now = datetime.now(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


class FakeClock:
    """A clock tests move by hand: ``clock.advance(days=1)``, ``clock.set(datetime(...))``."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware time")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware time")
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


def uuid5_text(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))``, without building the UUID object (RFC 9562 §5.5: the
    first 16 bytes of SHA-1 over the namespace and the name, with the version and variant bits set).
    A bulk import makes one per record, and ``uuid.UUID``'s checks were a quarter of its time."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Ids:
    """Record ids of one service in one district.

    ``stable(*parts)`` is a UUIDv5 of the district and the parts in the service's namespace: the same
    request id, event id or natural key gives the same id, every time, in every replica.
    """

    namespace: uuid.UUID
    district: str

    def stable(self, *parts: str) -> str:
        return uuid5_text(self.namespace, "/".join((self.district, *parts)))

    def for_request(self, kind: str, request_id: str) -> str:
        """The id a create command with this client ``request_id`` gives its record (idempotent
        commands); a fresh random id when the client sent none."""
        return self.stable(kind, request_id) if request_id else self.new()

    @staticmethod
    def new() -> str:
        return str(uuid.uuid4())

    @staticmethod
    def time_ordered(at: datetime, unique: str) -> str:
        """Ids whose order is time order (``20260301T080000000000Z-<unique>``), for newest-first lists."""
        return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{unique}"


class EventFactory:
    """Events of one service on its topic ``jingwu.<district>.<service>.v1``, each stamped with the
    clock's time and carrying the current trace (so the outbox relay publishes inside the request's
    trace)."""

    def __init__(self, district: str, service: str, clock: Clock) -> None:
        self.district = district
        self.service = service
        self.topic = domain_topic(district, service)
        self._clock = clock

    def __call__(self, message: Message, key: str) -> Outgoing:
        event = new_event(
            message, key=key, district=self.district, service=self.service, at=self._clock.now()
        )
        return event, self.topic

    def occur_time(self) -> Timestamp:
        """``occur_time`` for an event payload: now, by the same clock."""
        stamp = timestamp(self._clock.now())
        assert stamp is not None
        return stamp


@dataclass(frozen=True)
class UseCaseKit:
    """The clock, ids, events and policy of one service in one district."""

    district: str
    service: str
    clock: Clock
    ids: Ids
    events: EventFactory
    policy: DistrictPolicy = field(default_factory=DistrictPolicy)

    @classmethod
    def create(
        cls,
        district: str,
        service: str,
        namespace: uuid.UUID,
        *,
        clock: Clock | None = None,
        policy: DistrictPolicy | None = None,
    ) -> UseCaseKit:
        clock = clock or SystemClock()
        return cls(
            district=district,
            service=service,
            clock=clock,
            ids=Ids(namespace, district),
            events=EventFactory(district, service, clock),
            policy=policy or DistrictPolicy(),
        )

    @property
    def topic(self) -> str:
        return self.events.topic

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """Today in the district's calendar (China civil time)."""
        return local_date(self.clock.now())

    def system_caller(self) -> Caller:
        """The service itself, acting on its own behalf (reactions to events, schedules)."""
        return Caller(f"system:{self.service}", self.district, frozenset({Role.SERVICE}))


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T | None]], what: str, attempts: int = CONFLICT_ATTEMPTS
) -> T:
    """Run a read-decide-write ``attempt`` until it returns a result; None means it lost a race (the
    version it read was changed by another command) and it reads and decides again."""
    for _ in range(attempts):
        result = await attempt()
        if result is not None:
            return result
    # Rare (needs ``attempts`` lost races in a row); ABORTED tells the caller to retry.
    raise Conflict(f"{what}: changed concurrently {attempts} times, try again")


def require_role(caller: Caller, allowed: Iterable[Role], action: str) -> None:
    """PERMISSION_DENIED naming the roles ``action`` needs, unless the caller holds one of them."""
    wanted = frozenset(allowed)
    if not caller.roles & wanted:
        names = ", ".join(sorted(r.value for r in wanted))
        held = ", ".join(sorted(r.value for r in caller.roles)) or "none"
        raise PermissionDenied(f"{action} needs one of the roles: {names} (caller has: {held})")
