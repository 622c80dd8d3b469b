"""The use-case kit and the versioned-aggregate repositories: the generic codec, the fake clock, stable
ids, conflict retry, and the shared repository contract run against the fake and the real store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

import pytest
from google.protobuf import empty_pb2
from jingwu_platform.auth import Caller, Role
from jingwu_platform.codec import DocumentCodec
from jingwu_platform.contract import AggregateRepositoryContract
from jingwu_platform.errors import Conflict, PermissionDenied
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.repository import InMemoryAggregates, MongoAggregates
from jingwu_platform.testing import scratch_database
from jingwu_platform.usecase import FakeClock, Ids, UseCaseKit, require_role, retry_on_conflict, uuid5_text
from pymongo.asynchronous.database import AsyncDatabase


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True)
class Stop:
    name: str
    window: tuple[time, time]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sample:
    sample_id: str
    name: str
    colour: Colour
    day: date
    at: datetime
    stops: tuple[Stop, ...] = ()
    rings: tuple[tuple[float, ...], ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    note: str | None = None
    flags: frozenset[str] = frozenset()
    version: int = 0


CODEC = DocumentCodec(Sample, id_field="sample_id")
AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def sample(n: int = 1) -> Sample:
    return Sample(
        sample_id=f"s-{n:03d}",
        name="汴河社区𠀋",  # a character outside the BMP round-trips unchanged
        colour=Colour.RED,
        day=date(2026, 2, 28),
        at=AT,
        stops=(Stop("东门", (time(8, 0), time(9, 30)), ("gate",)),),
        rings=((116.9, 33.6), (117.0, 33.7)),
        counts={"01020304": 3},
        flags=frozenset({"b", "a"}),
    )


def test_codec_round_trips_every_supported_shape() -> None:
    original = sample()
    document = CODEC.to_document(original)
    assert document["_id"] == "s-001"
    assert document["day"] == "2026-02-28"  # sortable string
    assert document["colour"] == "red"
    assert document["rings"] == [{"items": [116.9, 33.6]}, {"items": [117.0, 33.7]}]  # no nested arrays
    assert document["flags"] == ["a", "b"]
    assert CODEC.from_document(document) == original


def test_codec_stores_optional_and_sequence_scalars_as_plain_values_in_new_lists() -> None:
    with_note = replace(sample(), note="备注𠀋", stops=(Stop("西门", (time(7, 0), time(8, 0)), ("a", "b")),))
    document = CODEC.to_document(with_note)
    assert document["note"] == "备注𠀋" and CODEC.to_document(sample())["note"] is None
    tags = document["stops"][0]["tags"]
    assert tags == ["a", "b"] and isinstance(tags, list)  # a list the store can take, not the tuple
    tags.append("changed")  # the encoded document shares no list with the aggregate
    assert with_note.stops[0].tags == ("a", "b")
    assert CODEC.from_document(CODEC.to_document(with_note)) == with_note


def test_codec_fills_fields_missing_from_old_documents_with_their_defaults() -> None:
    document = CODEC.to_document(sample())
    for added_later in ("note", "counts", "stops", "version"):
        document.pop(added_later)
    decoded = CODEC.from_document(document)
    assert decoded.note is None and decoded.counts == {} and decoded.stops == () and decoded.version == 0


def test_codec_refuses_a_document_without_a_required_field() -> None:
    document = CODEC.to_document(sample())
    document.pop("name")
    with pytest.raises(KeyError, match="name"):
        CODEC.from_document(document)


def test_fake_clock_drives_the_kit() -> None:
    clock = FakeClock(datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    kit = UseCaseKit.create("01", "rooms", uuid.UUID(int=1), clock=clock)
    assert kit.today() == date(2026, 3, 1)  # 23:59 in China
    clock.advance(minutes=2)
    assert kit.today() == date(2026, 3, 2)  # 00:01 in China: the district's calendar, not UTC's
    event, topic = kit.events(empty_pb2.Empty(), key="k")
    assert event.time == clock.now() and topic == "jingwu.01.rooms.v1"
    assert kit.events.occur_time().ToDatetime(tzinfo=UTC) == clock.now()


def test_stable_ids_repeat_for_the_same_request_and_differ_across_districts() -> None:
    one, other = Ids(uuid.UUID(int=7), "01"), Ids(uuid.UUID(int=7), "02")
    assert one.for_request("room", "req-1") == one.for_request("room", "req-1")
    assert one.for_request("room", "req-1") != one.for_request("room", "req-2")
    assert one.for_request("room", "req-1") != other.for_request("room", "req-1")
    assert one.for_request("room", "") != one.for_request("room", "")  # no key: a new record each time


@pytest.mark.parametrize(
    "name", ["", "01/room/req-1", "01/resident/34120219900307001X", "名字𠀋/", "a" * 300]
)
def test_stable_ids_are_the_rfc_uuid5_of_the_name(name: str) -> None:
    namespace = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # RFC 9562's URL namespace
    assert uuid5_text(namespace, name) == str(uuid.uuid5(namespace, name))
    assert uuid.UUID(uuid5_text(namespace, name)).version == 5
    assert Ids(namespace, "01").stable("room", "req-1") == str(uuid.uuid5(namespace, "01/room/req-1"))


async def test_retry_on_conflict_decides_again_then_gives_up() -> None:
    calls = 0

    async def wins_third_time() -> str | None:
        nonlocal calls
        calls += 1
        return "done" if calls == 3 else None

    assert await retry_on_conflict(wins_third_time, "room r") == "done"

    async def always_loses() -> str | None:
        return None

    with pytest.raises(Conflict, match="room r: changed concurrently 5 times"):
        await retry_on_conflict(always_loses, "room r")


def test_require_role_names_what_is_missing() -> None:
    officer = Caller("o-1", "01", frozenset({Role.OFFICER}))
    require_role(Caller("l-1", "01", frozenset({Role.SUPERVISOR})), [Role.SUPERVISOR], "closing a room")
    expected = r"closing a room needs one of the roles: supervisor \(caller has: officer\)"
    with pytest.raises(PermissionDenied, match=expected):
        require_role(officer, [Role.SUPERVISOR], "closing a room")


# --- the repository contract, on the fake and on the real store ---------------------------------------


@pytest.fixture(params=["memory", "mongo"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield InMemoryAggregates[Sample](lambda s: s.sample_id)
        return
    async with scratch_database(request.getfixturevalue("mongo_url")) as database:
        yield MongoAggregates(database, "samples", CODEC, OutboxRegistry())


class TestSampleRepositoryContract(AggregateRepositoryContract[Sample]):
    def sample(self, n: int) -> Sample:
        return sample(n)

    def changed(self, aggregate: Sample) -> Sample:
        return replace(aggregate, name=aggregate.name + "（改）", colour=Colour.GREEN)

    def id_of(self, aggregate: Sample) -> str:
        return aggregate.sample_id


@pytest.mark.integration
async def test_concurrent_read_decide_write_on_one_connection_loses_nothing(
    fresh_database: AsyncDatabase[Document],
) -> None:
    """What the platform relies on under the one-connection rule (docs/adr/0003): 40 commands racing on
    one aggregate, each reading, deciding and saving with the version check, retried on conflict; every
    one of them lands exactly once."""
    repository = MongoAggregates(fresh_database, "samples", CODEC, OutboxRegistry())
    await repository.add(sample(1))

    async def increment(n: int) -> Sample:
        async def attempt() -> Sample | None:
            current = await repository.get("s-001")
            assert current is not None
            counts = {**current.counts, "01020304": current.counts["01020304"] + 1}
            return await repository.save(replace(current, counts=counts))

        return await retry_on_conflict(attempt, f"increment {n}", attempts=100)

    await asyncio.gather(*(increment(n) for n in range(40)))
    final = await repository.get("s-001")
    assert final is not None
    assert final.counts["01020304"] == 3 + 40
    assert final.version == 40
