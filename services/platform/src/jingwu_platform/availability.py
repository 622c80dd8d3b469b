"""Which failures mean "a dependency is unavailable right now" rather than "this record is bad".

A consumer must not dead-letter a record because the store or the broker is down: the record is fine,
and will be processed when the dependency is back. Such failures are raised to the consumer's
redelivery path (``EventConsumer``: NACK and rewind; ``BatchConsumer``: seek back, pause, back off), and
only other failures count as the handler failing (docs/adr/0009, 0028).
"""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError, WTimeoutError

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError, NotPrimaryError, ...
    ExecutionTimeout,
    WTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    ConnectionError,  # refused/reset sockets of any other client a handler uses
)


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says a store or broker could not be reached or did not answer in time."""
    if isinstance(error, _UNAVAILABLE):
        return True
    if isinstance(error, PyMongoError) and error.timeout:
        return True
    return isinstance(error, KafkaError) and bool(error.retriable)
