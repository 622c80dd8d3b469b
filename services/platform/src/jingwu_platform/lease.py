"""Leases: one replica at a time does a job (relaying one collection's outbox), the others stand by.

A lease is a document in ``platform.leases`` of the district's database: ``_id`` (what it is for),
``holder`` (the replica), ``expires`` (UTC). Taking or renewing it is ONE ``find_one_and_update``:

    filter  {_id: name, $or: [{holder: me}, {expires: {$lt: now}}]}
    update  {$set: {holder: me, expires: now + ttl}}, upsert

If another replica holds a lease that has not expired, the filter matches nothing and the upsert tries
to insert a second document with the same ``_id``, which fails with a duplicate key: not taken. On
MongoDB a single-document update is atomic, so two replicas never both succeed (docs/adr/0029).

A holder renews when a third of the TTL has passed (no round trip per use in between) and only acts
while it holds at least a third of the TTL, so it stops before another replica can take over. The
replica id is the host name by default: in Kubernetes the pod name, which a restarted container keeps,
so it takes its lease straight back; a replaced pod waits for the TTL, unless the old one released it
on a clean stop. Expiry is judged by each replica's clock: clocks must agree far better than the TTL
(NTP does). A lease cannot fence Kafka: a holder that stalls longer than the TTL (a GC pause, a
frozen VM) may publish once more after losing it; that costs a duplicate (deduped by event id) and, in
that window only, possibly per-key order across the two replicas.

On FerretDB v1 the update is not isolated across connections (docs/adr/0003), so the lease is not a
mutual exclusion there; it does not need to be: locally one replica per service and district runs
(``jingwu_platform.store_guard``, docs/adr/0018), and that replica simply holds every lease.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_platform.mongo import Document

LEASES = "platform.leases"


def default_holder() -> str:
    return socket.gethostname()


@dataclass
class _Held:
    renew_after: datetime
    act_until: datetime


class Leases:
    """The leases one replica holds in one database."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        *,
        holder: str | None = None,
        ttl_s: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("a lease needs a positive TTL")
        self._collection = database[LEASES]
        self.holder = holder or default_holder()
        self._ttl = timedelta(seconds=ttl_s)
        self._clock = clock
        self._held: dict[str, _Held] = {}

    async def hold(self, name: str) -> bool:
        """Take or renew the lease ``name``; True while this replica holds it and may act."""
        now = self._clock()
        held = self._held.get(name)
        if held is not None and now < held.renew_after:
            return True
        expires = now + self._ttl
        try:
            document = await self._collection.find_one_and_update(
                {"_id": name, "$or": [{"holder": self.holder}, {"expires": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires": expires}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            document = None  # held by another replica, not expired
        if document is None or document.get("holder") != self.holder:
            self._held.pop(name, None)
            return False
        third = self._ttl / 3
        self._held[name] = _Held(renew_after=now + third, act_until=expires - third)
        return True

    def may_act(self, name: str) -> bool:
        """Still safely inside the lease (checked before each chunk of work, without a round trip)."""
        held = self._held.get(name)
        return held is not None and self._clock() < held.act_until

    async def release_all(self) -> None:
        """On a clean stop: hand the leases over at once instead of after the TTL."""
        names = list(self._held)
        self._held.clear()
        if names:
            await self._collection.update_many(
                {"_id": {"$in": names}, "holder": self.holder},
                {"$set": {"expires": datetime(1970, 1, 1, tzinfo=UTC)}},
            )

    async def holder_of(self, name: str) -> str | None:
        """Who holds ``name`` now (None: nobody, or expired)."""
        document = await self._collection.find_one({"_id": name})
        if document is None or document["expires"] <= self._clock():
            return None
        holder: str = document["holder"]
        return holder
