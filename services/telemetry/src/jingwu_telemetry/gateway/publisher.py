"""Fixes to Kafka: ``jingwu.<district>.telemetry.fixes.v1``, keyed by device, acks=all.

``publish`` hands every fix of a message (one report, or a 0x0704 batch) to the idempotent producer at
once and returns when Kafka acknowledged all of them, so the gateway answers the device only for what
is durably on the topic (R-TEL-2). The producer batches what many connections send meanwhile (linger),
so the cost per fix stays small however many terminals are connected.

Each record carries the CloudEvents-style envelope the platform's consumers check. ``ce_id`` is
derived from the device, fix time and source, so a fix a device sends twice (its answer was lost)
has the same id on both records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.events import CONTENT_TYPE, SPEC_VERSION, telemetry_fixes_topic

FIX_TYPE = telemetry_pb2.LocationFix.DESCRIPTOR.full_name


def fix_headers(fix: telemetry_pb2.LocationFix, source: str) -> list[tuple[str, bytes]]:
    at = fix.fix_time.ToMilliseconds() if fix.HasField("fix_time") else 0
    return [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", f"fix/{fix.device_id}/{at}/{fix.source}".encode()),
        ("ce_type", FIX_TYPE.encode()),
        ("ce_source", source.encode()),
        ("ce_time", datetime.now(UTC).isoformat().encode()),
        ("ce_district", fix.district_code.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]


class FixPublisher:
    name = "fix-publisher"

    def __init__(self, bootstrap: str, *, client_id: str, source: str, linger_ms: int = 5) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._source = source
        self._linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None
        self.published = 0
        self.failed = 0
        self.ack_seconds = 0.0

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self._linger_ms,
            max_batch_size=256 * 1024,
            compression_type=None,
            request_timeout_ms=15_000,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, fixes: Sequence[telemetry_pb2.LocationFix]) -> None:
        """Send every fix and wait for all acknowledgements; raises if any was not acknowledged."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("the fix publisher is not started")
        started = time.perf_counter()
        try:
            acks = [
                await producer.send(
                    telemetry_fixes_topic(fix.district_code),
                    value=fix.SerializeToString(),
                    key=fix.device_id.encode(),
                    headers=fix_headers(fix, self._source),
                )
                for fix in fixes
            ]
            await asyncio.gather(*acks)
        except Exception:
            self.failed += len(fixes)
            raise
        self.published += len(fixes)
        self.ack_seconds += time.perf_counter() - started
