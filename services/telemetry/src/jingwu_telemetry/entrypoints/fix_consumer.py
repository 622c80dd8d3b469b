"""The fix consumer's entry: batches of ``LocationFix`` records from jingwu.<district>.telemetry.fixes.v1
(jingwu_platform.batch.BatchConsumer, no inbox: the writes are idempotent by key) → FixIngest; what it
rejects goes back to the batch consumer with its reason, for the dead-letter topic."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.batch import BatchHandler, Delivery, Rejection

from jingwu_telemetry.adapters.fix_mapping import fix_from_proto
from jingwu_telemetry.application.fixes import FixIngest

log = logging.getLogger(__name__)


@dataclass
class FixCounters:
    stored: int = 0
    duplicates: int = 0
    late: int = 0
    rejected: int = 0
    zone_events: int = 0
    stop_events: int = 0


class FixHandler:
    def __init__(self, ingest: FixIngest) -> None:
        self._ingest = ingest
        self.counters = FixCounters()

    async def handle(self, deliveries: Sequence[Delivery[telemetry_pb2.LocationFix]]) -> Iterable[Rejection]:
        fixes = [fix_from_proto(d.payload, d.record.value) for d in deliveries]
        result = await self._ingest.ingest(fixes)
        counters = self.counters
        counters.stored += result.moved + result.late
        counters.duplicates += result.duplicates
        counters.late += result.late
        counters.rejected += len(result.rejected)
        counters.zone_events += result.zone_events
        counters.stop_events += result.stop_events
        return [Rejection(deliveries[index], reason) for index, reason in result.rejected]

    def handler(self) -> BatchHandler[telemetry_pb2.LocationFix]:
        return BatchHandler((telemetry_pb2.LocationFix,), self.handle)
