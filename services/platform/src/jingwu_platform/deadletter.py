"""Dead letters: the one way both consumers (``EventConsumer`` and ``BatchConsumer``) hand a record they
cannot process to their dead-letter topic (docs/adr/0009).

A dead letter is the original record, byte for byte: the value (a tombstone stays a tombstone, value
None), the key and every header with its original bytes, in order (headers are opaque bytes in Kafka;
they are never decoded and re-encoded here, so a binary header survives). Appended are
``dlq_reason`` (why), ``dlq_source_topic``/``_partition``/``_offset`` (where from),
``dlq_consumer_group`` and ``dlq_time``; a record dead-lettered a second time (a replay that failed
again) has its earlier ``dlq_*`` headers replaced, not repeated.

Letters are sent together: every record goes to the producer at once and the acknowledgements are
awaited as one, so a batch with many bad records costs one round trip, not one per record. The caller
commits its offsets only after ``send`` returned; if it raises, nothing was committed and the records
come again (a letter may then be sent twice: dead letters are at-least-once, like everything else).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

log = logging.getLogger(__name__)

DLQ_HEADERS = (
    "dlq_reason",
    "dlq_source_topic",
    "dlq_source_partition",
    "dlq_source_offset",
    "dlq_consumer_group",
    "dlq_time",
)
_DLQ_HEADER_SET = frozenset(DLQ_HEADERS)


class ReasonClass(StrEnum):
    """Why, in one word: the ``reason`` attribute of the dead-letter metric (the text is in the header)."""

    ENVELOPE = "envelope"  # missing or malformed ce_* headers, a tombstone, a non-UTF-8 key
    PAYLOAD = "payload"  # not the message ce_type names, or district_code ≠ ce_district (R-POP-6)
    REJECTED = "rejected"  # the handler rejected it (EventRejected / a batch handler's Rejection)
    RETRIES_EXHAUSTED = "retries_exhausted"  # EventConsumer: the handler kept failing


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record to dead-letter and why. ``record`` is the aiokafka ``ConsumerRecord`` as received."""

    record: Any
    reason: str
    reason_class: ReasonClass


class RecordProducer(Protocol):
    """What of aiokafka's ``AIOKafkaProducer`` is used: ``send`` queues and returns the ack's future."""

    async def send(
        self,
        topic: str,
        *,
        value: bytes | None,
        key: bytes | None,
        headers: list[tuple[str, bytes]],
    ) -> asyncio.Future[Any]: ...


def dead_letter_headers(
    record: Any, reason: str, consumer_group: str, at: datetime
) -> list[tuple[str, bytes]]:
    """The record's own headers, untouched (bytes, order, repeats), then the ``dlq_*`` ones."""
    original: Sequence[tuple[str, bytes]] = record.headers or ()
    headers = [(name, raw) for name, raw in original if name not in _DLQ_HEADER_SET]
    headers += [
        ("dlq_reason", reason.encode()),
        ("dlq_source_topic", str(record.topic).encode()),
        ("dlq_source_partition", str(record.partition).encode()),
        ("dlq_source_offset", str(record.offset).encode()),
        ("dlq_consumer_group", consumer_group.encode()),
        ("dlq_time", at.isoformat().encode()),
    ]
    return headers


class DeadLetters:
    """The dead-letter topic of one consumer group."""

    def __init__(self, topic: str, consumer_group: str) -> None:
        self.topic = topic
        self.consumer_group = consumer_group

    async def send(self, producer: RecordProducer, letters: Sequence[DeadLetter]) -> None:
        """Send every letter, then await all acknowledgements; raises if any was not acknowledged."""
        if not letters:
            return
        at = datetime.now(UTC)
        acks = []
        for letter in letters:
            record = letter.record
            key: bytes | None = record.key
            if key is None and record.value is None:
                # A keyless tombstone: Kafka clients cannot produce a record with neither; an empty key
                # keeps the value None (what matters: it stays a tombstone).
                key = b""
            acks.append(
                await producer.send(
                    self.topic,
                    value=record.value,
                    key=key,
                    headers=dead_letter_headers(record, letter.reason, self.consumer_group, at),
                )
            )
        await asyncio.gather(*acks)
        # One line per send, not per record: a batch of bad fixes must not flood the log.
        first = letters[0]
        log.warning(
            "records dead-lettered",
            extra={
                "count": len(letters),
                "dlq": self.topic,
                "consumer_group": self.consumer_group,
                "reasons": dict(Counter(letter.reason_class.value for letter in letters)),
                "first_reason": first.reason,
                "first_topic": first.record.topic,
                "first_partition": first.record.partition,
                "first_offset": first.record.offset,
            },
        )
