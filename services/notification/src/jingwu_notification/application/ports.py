"""What the notification use cases need from storage: typed Protocols, implemented by the Mongo
adapter (adapters/repository.py) and the in-memory fake (adapters/memory.py), both held to one
contract suite (tests/test_repository_contract.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from jingwu_platform.usecase import Outgoing

from jingwu_notification.domain.notices import Notice, NoticeKind


@dataclass(frozen=True)
class NoticeQuery:
    """Notices of a room (all rooms when empty), of a kind (any when None), in id order after
    ``after_id`` (the page token), at most ``limit``."""

    room_id: str = ""
    kind: NoticeKind | None = None
    after_id: str = ""
    limit: int = 100


class NoticeRepository(Protocol):
    async def insert(self, notice: Notice, events: Sequence[Outgoing] = ()) -> bool:
        """Store a new notice with its events in one write; False (nothing written) when a notice with
        this id exists already."""
        ...

    async def get(self, notice_id: str) -> Notice | None: ...

    async def list(self, query: NoticeQuery) -> list[Notice]: ...
