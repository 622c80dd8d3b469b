"""The shared contract of versioned-aggregate repositories, for each service's contract suite.

A service's contract test module subclasses ``AggregateRepositoryContract`` and provides:

- a ``repository`` fixture, parametrized over the in-memory fake and the Mongo adapter (the Mongo one on
  the session's real FerretDB, see the ``fresh_database`` fixture in the root conftest);
- ``sample(n)``: a new aggregate (version 0) whose id depends on ``n``;
- ``changed(aggregate)``: the aggregate after some domain transition (same id and version).

It then adds tests of its own typed queries, run against both implementations the same way. The tests
here pin what use cases rely on: idempotent add, the version check on save, and the events written
with the state in the same write.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from google.protobuf import empty_pb2

from jingwu_platform.events import new_event
from jingwu_platform.repository import InMemoryAggregates, MongoAggregates, Versioned
from jingwu_platform.usecase import Outgoing

V = TypeVar("V", bound=Versioned)


def contract_event(key: str) -> Outgoing:
    """A throwaway event for repository tests (the contract is about where events go, not what)."""
    return new_event(empty_pb2.Empty(), key=key, district="00", service="contract"), "jingwu.00.contract.v1"


async def pending_event_ids(repository: Any, aggregate_id: str) -> list[str]:
    """The ids of events a write queued with the aggregate, in either implementation."""
    if isinstance(repository, InMemoryAggregates):
        return [e.event_id for e in repository.outbox.events if e.key == aggregate_id]
    if isinstance(repository, MongoAggregates):
        document = await repository.collection.find_one({"_id": aggregate_id}, {"_outbox": 1})
        return [entry["event_id"] for entry in (document or {}).get("_outbox") or ()]
    raise TypeError(f"not a repository of versioned aggregates: {type(repository)!r}")


class AggregateRepositoryContract(Generic[V]):
    """Tests every repository of versioned aggregates passes, fake and Mongo alike."""

    def sample(self, n: int) -> V:
        raise NotImplementedError

    def changed(self, aggregate: V) -> V:
        raise NotImplementedError

    def id_of(self, aggregate: V) -> str:
        raise NotImplementedError

    async def test_add_then_get_returns_the_same_aggregate(self, repository: Any) -> None:
        aggregate = self.sample(1)
        assert await repository.add(aggregate, [contract_event(self.id_of(aggregate))])
        assert await repository.get(self.id_of(aggregate)) == aggregate

    async def test_adding_an_existing_id_changes_nothing(self, repository: Any) -> None:
        aggregate = self.sample(2)
        assert await repository.add(aggregate)
        assert not await repository.add(self.changed(aggregate))
        assert await repository.get(self.id_of(aggregate)) == aggregate

    async def test_save_bumps_the_version(self, repository: Any) -> None:
        aggregate = self.sample(3)
        await repository.add(aggregate)
        saved = await repository.save(self.changed(aggregate))
        assert saved is not None and saved.version == aggregate.version + 1
        assert await repository.get(self.id_of(aggregate)) == saved

    async def test_a_stale_save_loses_and_changes_nothing(self, repository: Any) -> None:
        aggregate = self.sample(4)
        await repository.add(aggregate)
        first = await repository.save(self.changed(aggregate))
        assert first is not None
        # A second command that read the same version decides on stale state: it must lose.
        assert await repository.save(self.changed(aggregate), [contract_event(self.id_of(aggregate))]) is None
        assert await repository.get(self.id_of(aggregate)) == first
        assert await pending_event_ids(repository, self.id_of(aggregate)) == []

    async def test_saving_an_unknown_aggregate_loses(self, repository: Any) -> None:
        assert await repository.save(self.sample(5)) is None
        assert await repository.get(self.id_of(self.sample(5))) is None

    async def test_events_are_written_with_the_state(self, repository: Any) -> None:
        aggregate = self.sample(6)
        created = contract_event(self.id_of(aggregate))
        await repository.add(aggregate, [created])
        updated = contract_event(self.id_of(aggregate))
        await repository.save(self.changed(aggregate), [updated])
        assert await pending_event_ids(repository, self.id_of(aggregate)) == [
            created[0].event_id,
            updated[0].event_id,
        ]

    async def test_get_many_returns_what_exists(self, repository: Any) -> None:
        one, two = self.sample(7), self.sample(8)
        await repository.add(one)
        await repository.add(two)
        found = await repository.get_many([self.id_of(two), "missing", self.id_of(one)])
        assert found == {self.id_of(one): one, self.id_of(two): two}
