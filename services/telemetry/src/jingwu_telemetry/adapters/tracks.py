"""Tracks in MongoDB, bucketed per device and time window (R-PAT-6), written insert-only.

Two collections of the district database:
- ``telemetry.track_points``: the recent fixes, one small document per fix, ``_id`` =
  ``<device>:<fix time ms>``. Written with one unordered ``insert_many`` per batch; a fix written again
  hits its own ``_id`` and is skipped, so every fix is stored once however often it is delivered.
- ``telemetry.track_buckets``: one document per device and window (``bucket_width``, an hour by
  default), ``_id`` = ``<device>:<window start ms>``, its points as an array sorted by time. Windows are
  sealed (``seal``) once they are over: the window's points are read, the bucket is inserted (or, for
  fixes that arrived after the window was sealed, merged into it), then the points are deleted.
  Interrupted anywhere, a seal run again writes the same bucket and deletes what is left; a reader that
  sees a point in both places (between the two writes) takes it once.

Why insert-only: the local store (FerretDB v1) updates a document at a few hundred a second and
slows down as the document grows, while it inserts thousands a second (docs/adr, telemetry tracks).
Buckets keep history compact (one document per device-hour instead of 3,600) and the track query
cheap on any store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from jingwu_platform.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from jingwu_telemetry.application.ports import TrackPoint

POINTS = "telemetry.track_points"
BUCKETS = "telemetry.track_buckets"
_DUPLICATE_KEY = 11000
SEAL_BATCH = 20_000


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def ignore_duplicates(error: BulkWriteError) -> None:
    """Re-raise a bulk write error unless every failure is a duplicate key (written before)."""
    others = [w for w in error.details.get("writeErrors", ()) if w.get("code") != _DUPLICATE_KEY]
    if others or error.details.get("writeConcernErrors"):
        raise error


class MongoTrackStore:
    def __init__(
        self, database: AsyncDatabase[Document], bucket_width: timedelta = timedelta(hours=1)
    ) -> None:
        self.points = database[POINTS]
        self.buckets = database[BUCKETS]
        self._width_ms = int(bucket_width.total_seconds() * 1000)

    async def ensure_indexes(self) -> None:
        await self.points.create_index([("d", 1), ("t", 1)], name="device_time")
        await self.points.create_index([("w", 1)], name="window")
        await self.buckets.create_index([("d", 1), ("s", 1)], name="device_window")

    def _window(self, ms: int) -> int:
        return ms - ms % self._width_ms

    async def add_points(self, points: Sequence[TrackPoint]) -> None:
        documents = []
        for point in points:
            ms = _ms(point.fix_time)
            documents.append(
                {
                    "_id": f"{point.device_id}:{ms:013d}",
                    "d": point.device_id,
                    "t": ms,
                    "w": self._window(ms),
                    "b": point.payload,
                }
            )
        if not documents:
            return
        try:
            await self.points.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            ignore_duplicates(error)

    async def track(
        self, device_id: str, start: datetime, end: datetime, *, after: datetime | None, limit: int
    ) -> list[TrackPoint]:
        low = _ms(start)
        if after is not None:
            low = max(low, _ms(after) + 1)
        high = _ms(end)
        if low >= high:
            return []
        found: dict[int, bytes] = {}
        cursor = self.buckets.find(
            {"d": device_id, "s": {"$gte": self._window(low), "$lt": high}}, {"p": 1}
        ).sort([("s", 1)])
        async for bucket in cursor:
            for point in bucket["p"]:
                if low <= point["t"] < high:
                    found[point["t"]] = point["b"]
            if len(found) >= limit and max(found) > low:
                # Buckets come in time order; once one has filled the page, later ones cannot be in it.
                break
        recent = self.points.find({"d": device_id, "t": {"$gte": low, "$lt": high}}, {"t": 1, "b": 1})
        async for point in recent.sort([("t", 1)]).limit(limit):
            found.setdefault(point["t"], point["b"])
        return [TrackPoint(device_id, _at(ms), found[ms]) for ms in sorted(found)[:limit]]

    async def seal(self, before: datetime) -> int:
        """See the module docstring. Windows that end at or before ``before`` are sealed."""
        cutoff = self._window(_ms(before)) - self._width_ms  # the last window that is over
        moved = 0
        while True:
            cursor = self.points.find({"w": {"$lte": cutoff}}).sort([("_id", 1)]).limit(SEAL_BATCH)
            points = [document async for document in cursor]
            if not points:
                return moved
            groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
            for point in points:
                groups[(point["d"], point["w"])].append({"t": point["t"], "b": point["b"]})
            await self._write_buckets(groups)
            await self.points.delete_many({"_id": {"$in": [p["_id"] for p in points]}})
            moved += len(points)

    async def _write_buckets(self, groups: dict[tuple[str, int], list[dict[str, Any]]]) -> None:
        ids = {key: f"{key[0]}:{key[1]:013d}" for key in groups}
        existing = {
            document["_id"]: document
            async for document in self.buckets.find({"_id": {"$in": list(ids.values())}})
        }
        fresh = []
        for key, points in groups.items():
            bucket_id = ids[key]
            merged = {p["t"]: p["b"] for p in (existing[bucket_id]["p"] if bucket_id in existing else ())}
            for point in points:
                merged.setdefault(point["t"], point["b"])
            document = {
                "_id": bucket_id,
                "d": key[0],
                "s": key[1],
                "n": len(merged),
                "p": [{"t": t, "b": merged[t]} for t in sorted(merged)],
            }
            if bucket_id in existing:
                # Fixes that came after the window was sealed (a late backfill): rare, so one replace.
                await self.buckets.replace_one({"_id": bucket_id}, document)
            else:
                fresh.append(document)
        if fresh:
            try:
                await self.buckets.insert_many(fresh, ordered=False)
            except BulkWriteError as error:
                ignore_duplicates(error)

    async def counts(self, device_ids: Sequence[str] = ()) -> tuple[int, int]:
        """(stored point entries, distinct device/time pairs) across points and buckets: equal when
        every fix is stored exactly once (the faults' check)."""
        query: Document = {"d": {"$in": list(device_ids)}} if device_ids else {}
        keys: list[tuple[str, int]] = []
        async for point in self.points.find(query, {"d": 1, "t": 1}):
            keys.append((point["d"], point["t"]))
        async for bucket in self.buckets.find(query, {"d": 1, "p.t": 1}):
            keys.extend((bucket["d"], p["t"]) for p in bucket["p"])
        return len(keys), len(set(keys))
