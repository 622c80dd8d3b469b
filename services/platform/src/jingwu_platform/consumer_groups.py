"""The consumer groups a service process runs, so the platform can report their lag (GetStatus, the
``jingwu.consumer.lag`` gauge) without each service wiring that by hand.

An ``EventConsumer`` registers its group under the broker it subscribes on (a service has one broker,
so the runtime finds its groups by its broker); a ``BatchConsumer`` is a runtime component and exposes
``consumer_group`` itself.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsumerGroup:
    """A consumer group and the topics it reads."""

    group_id: str
    topics: tuple[str, ...]


_by_owner: weakref.WeakKeyDictionary[object, list[ConsumerGroup]] = weakref.WeakKeyDictionary()


def register_group(owner: object, group: ConsumerGroup) -> None:
    groups = _by_owner.setdefault(owner, [])
    if group not in groups:
        groups.append(group)


def groups_of(owner: object) -> list[ConsumerGroup]:
    return list(_by_owner.get(owner, ()))
