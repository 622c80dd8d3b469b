"""Fixes to Kafka: ``jingwu.<district>.telemetry.fixes.v1``, keyed by device, acks=all.

``publish`` hands every fix of a message (one report, or a 0x0704 batch) to the idempotent producer at
once and returns when Kafka acknowledged all of them, so the gateway answers the device only for what
is durably on the topic (R-TEL-2). The producer batches what many connections send meanwhile (linger),
so the cost per fix stays small however many terminals are connected.

Admission: at most ``max_pending`` fixes wait for Kafka's acknowledgement at once. A message that would
exceed it is refused at once (``PublisherOverloaded``), nothing sent, and the gateway answers it
"failure" (HTTP 503 for handhelds), so the terminal keeps the fix and sends it again (JT/T 808
terminals store what is not acknowledged). When Kafka acknowledges more slowly than terminals report
(a broker slow or away), the gateway's memory and each fix's wait stay bounded, and terminals hear at
once instead of after the producer's 15 s request timeout. A message larger than the bound (a big
0x0704) is admitted when nothing else is pending, so it can always go. It does not help when the
gateway's own CPU is the bound (docs/benchmarks.md, telemetry: 10,000 terminals at 1 Hz on two shared
cores): the frames then wait in the sockets before they are read.

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


# Fixes awaiting Kafka's acknowledgement at once, by default: a few seconds of what one gateway process
# publishes (docs/benchmarks.md, telemetry).
DEFAULT_MAX_PENDING = 10_000


class PublisherOverloaded(Exception):
    """More fixes would await Kafka's acknowledgement than the publisher admits: refused, not queued."""


class FixPublisher:
    name = "fix-publisher"

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str,
        source: str,
        linger_ms: int = 5,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, not {max_pending}")
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._source = source
        self._linger_ms = linger_ms
        self.max_pending = max_pending
        self._producer: AIOKafkaProducer | None = None
        self.pending = 0  # fixes handed to the producer and not yet acknowledged or failed
        self.published = 0
        self.failed = 0
        self.overloaded = 0  # fixes refused by admission
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
        """Send every fix and wait for all acknowledgements; raises if any was not acknowledged, and
        ``PublisherOverloaded`` at once, sending nothing, when admitting them would exceed
        ``max_pending`` while other fixes are pending."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("the fix publisher is not started")
        if self.pending and self.pending + len(fixes) > self.max_pending:
            self.overloaded += len(fixes)
            raise PublisherOverloaded(
                f"{self.pending:,} fixes await Kafka's acknowledgement (at most {self.max_pending:,})"
            )
        started = time.perf_counter()
        self.pending += len(fixes)
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
        finally:
            self.pending -= len(fixes)
        self.published += len(fixes)
        self.ack_seconds += time.perf_counter() - started
