"""What the notification use cases need from storage: typed Protocols, implemented by the Mongo
adapters (adapters/repository.py, adapters/directory.py, adapters/delivery_repository.py) and the
in-memory fakes (adapters/memory.py), held to one contract suite (tests/test_repository_contract.py).

Versioned aggregates (``add`` / ``save`` with the version check and the outbox in the same write):
notices, meetings, follow-ups, matters, subscriptions, deliveries. Written once (``insert``):
appointments, reminders, findings. Read models fed by other services' events (``put``): rooms,
postings, week facts, contact points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from jingwu_platform.usecase import Outgoing

from jingwu_notification.domain.deliveries import Delivery, DeliveryStatus
from jingwu_notification.domain.directory import ContactPoint, PostingView, RoomView
from jingwu_notification.domain.findings import FindingKind, NotificationFinding
from jingwu_notification.domain.matters import Appointment, EntrustedMatter
from jingwu_notification.domain.meetings import FollowUp, ResidentMeeting
from jingwu_notification.domain.notices import Notice, NoticeKind, NoticeStatus
from jingwu_notification.domain.reminders import Reminder
from jingwu_notification.domain.subscriptions import Subscription
from jingwu_notification.domain.weekly import WeekFact

V = TypeVar("V")


class Aggregates(Protocol[V]):
    """The versioned-aggregate half every repository below shares (jingwu_platform.repository)."""

    async def add(self, aggregate: V, events: Sequence[Outgoing] = ()) -> bool:
        """Insert with its events in one write; False (nothing written) when the id exists."""
        ...

    async def save(self, aggregate: V, events: Sequence[Outgoing] = ()) -> V | None:
        """Write if unchanged since read at ``aggregate.version``; the stored one, or None (lost race)."""
        ...

    async def get(self, aggregate_id: str) -> V | None: ...


# --- notices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeQuery:
    """Notices of a room (all rooms when empty), of a kind and status (any when None). In id order after
    ``after_id`` (the page token), or newest published first; at most ``limit``. ``published_from`` /
    ``published_until`` bound the publish time (half-open)."""

    room_id: str = ""
    kind: NoticeKind | None = None
    status: NoticeStatus | None = None
    published_from: datetime | None = None
    published_until: datetime | None = None
    newest_first: bool = False
    after_id: str = ""
    limit: int = 100


class NoticeRepository(Aggregates[Notice], Protocol):
    async def select(self, query: NoticeQuery) -> list[Notice]: ...


# --- meetings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingQuery:
    room_id: str = ""
    after_id: str = ""
    limit: int = 100


class MeetingRepository(Aggregates[ResidentMeeting], Protocol):
    async def select(self, query: MeetingQuery) -> list[ResidentMeeting]: ...


@dataclass(frozen=True)
class FollowUpQuery:
    """Follow-ups of a room and/or owner; ``open_only``; ``due_before``: due strictly before that day."""

    room_id: str = ""
    owner_officer_id: str = ""
    open_only: bool = False
    due_before: date | None = None
    after_id: str = ""
    limit: int = 100


class FollowUpRepository(Aggregates[FollowUp], Protocol):
    async def select(self, query: FollowUpQuery) -> list[FollowUp]: ...


# --- matters and appointments --------------------------------------------------------------------


@dataclass(frozen=True)
class MatterQuery:
    """Matters of a room; ``open_only``; ``due_before``: due strictly before that day; ``unescalated``:
    not escalated yet."""

    room_id: str = ""
    open_only: bool = False
    due_before: date | None = None
    unescalated: bool = False
    after_id: str = ""
    limit: int = 100


class MatterRepository(Aggregates[EntrustedMatter], Protocol):
    async def by_reference(self, reference: str) -> EntrustedMatter | None: ...

    async def select(self, query: MatterQuery) -> list[EntrustedMatter]: ...


class AppointmentRepository(Protocol):
    async def insert(self, appointment: Appointment, events: Sequence[Outgoing] = ()) -> bool: ...

    async def get(self, appointment_id: str) -> Appointment | None: ...

    async def by_reference(self, reference: str) -> Appointment | None: ...

    async def select(self, *, room_id: str, after_id: str = "", limit: int = 100) -> list[Appointment]: ...


# --- reminders and findings ----------------------------------------------------------------------


class ReminderRepository(Protocol):
    async def insert(self, reminder: Reminder, events: Sequence[Outgoing] = ()) -> bool:
        """Once per reminder id (its cause): False when it exists (nothing written, no event)."""
        ...

    async def select(self, *, officer_id: str, after_id: str = "", limit: int = 100) -> list[Reminder]: ...


class FindingRepository(Protocol):
    async def insert(self, finding: NotificationFinding, events: Sequence[Outgoing] = ()) -> bool: ...

    async def select(
        self, *, room_id: str = "", kind: FindingKind | None = None, after_id: str = "", limit: int = 100
    ) -> list[NotificationFinding]: ...


# --- read models ---------------------------------------------------------------------------------


class RoomDirectory(Protocol):
    async def put(self, room: RoomView) -> None: ...

    async def get(self, room_id: str) -> RoomView | None: ...

    async def get_many(self, room_ids: Iterable[str]) -> dict[str, RoomView]: ...

    async def active(self) -> list[RoomView]:
        """Every active room, in id order."""
        ...

    async def serving_zone(self, zone_code: str) -> list[RoomView]:
        """Active rooms whose zones include ``zone_code``."""
        ...


class PostingDirectory(Protocol):
    async def put(self, posting: PostingView) -> None: ...

    async def get(self, posting_id: str) -> PostingView | None: ...

    async def current(
        self, *, officer_id: str = "", room_id: str = "", zone_code: str = "", village_id: str = ""
    ) -> list[PostingView]:
        """Current postings matching every given field, in id order."""
        ...


class FactRepository(Protocol):
    async def put(self, fact: WeekFact) -> None:
        """Keyed by the event id: a re-delivered event replaces its own fact."""
        ...

    async def between(self, *, zone_codes: Sequence[str], start: date, end: date) -> list[WeekFact]:
        """Facts of these zones on days ``start``..``end`` (inclusive)."""
        ...


class ContactDirectory(Protocol):
    async def put(self, contact: ContactPoint) -> None: ...

    async def get(self, contact_id: str) -> ContactPoint | None: ...


# --- subscriptions and deliveries ----------------------------------------------------------------


class SubscriptionRepository(Aggregates[Subscription], Protocol):
    async def select(self, *, after_id: str = "", limit: int = 100) -> list[Subscription]: ...

    async def active(self) -> list[Subscription]: ...


@dataclass(frozen=True)
class DeliveryQuery:
    recipient: str = ""
    status: DeliveryStatus | None = None
    # Dead letters that died in [dead_from, dead_until).
    dead_from: datetime | None = None
    dead_until: datetime | None = None
    after_id: str = ""
    limit: int = 100


class DeliveryRepository(Aggregates[Delivery], Protocol):
    async def due(self, at: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries due at ``at`` and claims whose lease ran out, oldest due first."""
        ...

    async def select(self, query: DeliveryQuery) -> list[Delivery]: ...

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery or lease falls due (None: nothing waits)."""
        ...
