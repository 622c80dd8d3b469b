"""Topic settings the platform's ``ensure_topics`` does not express: the device directory topic is
compacted (the latest entry of every device is kept forever, the gateways read it from the start).
In clusters the operator creates it so; locally the service makes sure at start."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

log = logging.getLogger(__name__)
COMPACTED = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1", "segment.ms": "3600000"}


async def make_compacted(bootstrap: str, topics: Sequence[str]) -> None:
    """Set existing topics to log compaction (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict(COMPACTED)) for topic in topics]
        )
        log.info("topics compacted", extra={"topics": list(topics)})
    finally:
        await admin.close()
