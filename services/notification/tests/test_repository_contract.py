"""The notice repository contract, run against the in-memory fake and the Mongo adapter on the real
store: what one does, the other does, so application tests on the fake prove something."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jingwu_notification.adapters.memory import InMemoryNoticeRepository
from jingwu_notification.adapters.repository import MongoNoticeRepository
from jingwu_notification.application.ports import NoticeQuery
from jingwu_notification.domain.notices import Channel, Notice, NoticeKind
from jingwu_platform.contract import contract_event
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "mongo"])
async def notices(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryNoticeRepository()
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        repository = MongoNoticeRepository(database, OutboxRegistry())
        await repository.ensure_indexes()
        yield repository


def notice(n: int, room_id: str = "room-1", kind: NoticeKind = NoticeKind.SERVICE) -> Notice:
    return Notice(
        notice_id=f"n-{n:03d}",
        kind=kind,
        room_id=room_id,
        title=f"通告{n}",
        body="警务室每日有人值守𠀋",  # a character outside the BMP
        channels=(Channel.NOTICE_BOARD, Channel.ONLINE_ROOM),
        publish_time=AT + timedelta(minutes=n),
        source_event_id=f"evt-{n}",
        created_by="system:notification",
    )


async def test_a_notice_is_stored_once(notices: Any) -> None:
    assert await notices.insert(notice(1), [contract_event("n-001")])
    assert not await notices.insert(notice(1))
    assert await notices.get("n-001") == notice(1)
    assert await notices.get("n-404") is None


async def test_list_filters_by_room_and_kind_and_pages_in_id_order(notices: Any) -> None:
    for n in (3, 1, 2):
        await notices.insert(notice(n))
    await notices.insert(notice(4, room_id="room-2"))
    await notices.insert(notice(5, kind=NoticeKind.BULLETIN))
    room_1 = await notices.list(NoticeQuery(room_id="room-1", limit=10))
    assert [n.notice_id for n in room_1] == ["n-001", "n-002", "n-003", "n-005"]
    bulletins = await notices.list(NoticeQuery(kind=NoticeKind.BULLETIN))
    assert [n.notice_id for n in bulletins] == ["n-005"]
    first = await notices.list(NoticeQuery(room_id="room-1", limit=2))
    rest = await notices.list(NoticeQuery(room_id="room-1", after_id=first[-1].notice_id, limit=2))
    assert [n.notice_id for n in first + rest] == ["n-001", "n-002", "n-003", "n-005"]
