"""The telemetry repositories' contract, run against the in-memory fakes and the Mongo adapters on the
real store: what one does, the other does, so application tests on the fakes prove something."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from jingwu_platform.contract import AggregateRepositoryContract
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from jingwu_platform.testing import scratch_database
from jingwu_telemetry.adapters.memory import InMemoryDeviceRepository
from jingwu_telemetry.adapters.repository import MongoDeviceRepository
from jingwu_telemetry.application.ports import DeviceQuery
from jingwu_telemetry.domain.devices import DeviceKind, DeviceStatus
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from .samples import handheld, terminal


def backends(memory: Callable[[], Any], mongo: Callable[[AsyncDatabase[Document]], Any]) -> Any:
    """A ``repository`` fixture: the fake, then the Mongo adapter on a scratch database of its own."""

    @pytest.fixture(params=["memory", "mongo"])
    async def repository(self: object, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        if request.param == "memory":
            yield memory()
            return
        async with scratch_database(request.getfixturevalue("mongo_url")) as database:
            adapter = mongo(database)
            if hasattr(adapter, "ensure_indexes"):
                await adapter.ensure_indexes()
            yield adapter

    return repository


class TestDeviceRepository(AggregateRepositoryContract[Any]):
    repository = backends(InMemoryDeviceRepository, lambda db: MongoDeviceRepository(db, OutboxRegistry()))

    def sample(self, n: int) -> Any:
        return terminal(n)

    def changed(self, aggregate: Any) -> Any:
        return replace(aggregate, status=DeviceStatus.DISABLED, disabled_reason="终端故障")

    def id_of(self, aggregate: Any) -> str:
        return str(aggregate.device_id)

    async def test_lookups_by_phone_terminal_id_and_plate(self, repository: Any) -> None:
        await repository.add(terminal(1))
        await repository.add(handheld(2))
        assert (await repository.by_terminal_phone("13912340001")).device_id == "dev-001"
        assert (await repository.by_terminal_id("T000001")).device_id == "dev-001"
        assert (await repository.by_plate("皖L00001")).device_id == "dev-001"
        assert await repository.by_terminal_phone("13900000000") is None
        assert await repository.by_terminal_id("T999999") is None
        assert await repository.by_plate("皖L99999") is None

    async def test_a_lookup_follows_a_changed_identity(self, repository: Any) -> None:
        await repository.add(terminal(1))
        await repository.by_terminal_phone("13912340001")  # the key index, if any, is read now
        stored = await repository.get("dev-001")
        moved = replace(
            stored,
            jt808=replace(stored.jt808, terminal_phone="13912349999", plate="皖L77777"),
        )
        assert await repository.save(moved) is not None
        await repository.add(terminal(2))
        assert (await repository.by_terminal_phone("13912349999")).device_id == "dev-001"
        assert (await repository.by_plate("皖L77777")).device_id == "dev-001"
        assert await repository.by_terminal_phone("13912340001") is None
        assert await repository.by_plate("皖L00001") is None
        assert (await repository.by_terminal_id("T000001")).device_id == "dev-001"  # unchanged
        assert (await repository.by_terminal_phone("13912340002")).device_id == "dev-002"
        # A plate finds vehicle terminals only; a lost race changes nothing.
        assert await repository.save(moved) is None
        assert (await repository.by_terminal_phone("13912349999")).device_id == "dev-001"

    async def test_list_filters_and_pages_in_id_order(self, repository: Any) -> None:
        for n in (3, 1, 2):
            await repository.add(terminal(n))
        await repository.add(terminal(4, zone_code="01020302", status=DeviceStatus.REGISTERED))
        await repository.add(handheld(1, officer_id="officer-9"))

        async def ids(query: DeviceQuery) -> list[str]:
            return [d.device_id for d in await repository.list(query)]

        assert await ids(DeviceQuery()) == ["dev-001", "dev-002", "dev-003", "dev-004", "hh-001"]
        assert await ids(DeviceQuery(kind=DeviceKind.HANDHELD)) == ["hh-001"]
        assert await ids(DeviceQuery(status=DeviceStatus.REGISTERED)) == ["dev-004", "hh-001"]
        assert await ids(DeviceQuery(zone_code="01020302")) == ["dev-004"]
        assert await ids(DeviceQuery(officer_id="officer-9")) == ["hh-001"]
        assert await ids(DeviceQuery(vehicle_id="veh-2")) == ["dev-002"]
        first = await ids(DeviceQuery(limit=2))
        rest = await ids(DeviceQuery(after_id=first[-1], limit=10))
        assert first + rest == ["dev-001", "dev-002", "dev-003", "dev-004", "hh-001"]

    async def test_a_device_round_trips_with_every_field(self, repository: Any) -> None:
        device = handheld(
            5, last_auth_time=terminal(1).create_time, status_before_disable=DeviceStatus.REGISTERED
        )
        await repository.add(device)
        assert await repository.get("hh-005") == device


async def test_a_restarted_adapter_finds_what_another_wrote_and_looks_up_by_id_only(
    mongo_url: str,
) -> None:
    """The Mongo adapter's key index: read from the store on the first lookup (a restart finds every
    device), then each lookup is one read by ``_id`` (FerretDB v1 scans every row for a filter on any
    other field, docs/adr/0034)."""
    async with scratch_database(mongo_url) as database:
        writer = MongoDeviceRepository(database, OutboxRegistry())
        for n in range(1, 6):
            await writer.add(terminal(n))
        await writer.add(handheld(9))
        filters: list[Document] = []
        listener = _FindFilters(filters)
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            mongo_url, tz_aware=True, event_listeners=[listener]
        )
        try:
            restarted = MongoDeviceRepository(client[database.name], OutboxRegistry())
            assert (await restarted.by_terminal_phone("13912340003")).device_id == "dev-003"  # type: ignore[union-attr]
            filters.clear()  # the index was read once; from here on, lookups only
            assert (await restarted.by_terminal_id("T000005")).device_id == "dev-005"  # type: ignore[union-attr]
            assert (await restarted.by_plate("皖L00002")).device_id == "dev-002"  # type: ignore[union-attr]
            assert await restarted.by_terminal_phone("13900000000") is None
        finally:
            await client.close()
    assert filters == [{"_id": "dev-005"}, {"_id": "dev-002"}]


class _FindFilters(monitoring.CommandListener):
    def __init__(self, filters: list[Document]) -> None:
        self.filters = filters

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "telemetry.devices":
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
