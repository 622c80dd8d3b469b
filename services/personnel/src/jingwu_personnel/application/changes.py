"""Read, decide, write: the loop every command that changes a versioned aggregate runs.

``change`` loads the aggregate, calls one pure ``decide`` (the domain transition, with the events it
causes), and saves the result with the version check; a lost race (another command changed it since it
was read) reads and decides again (``retry_on_conflict``). ``decide`` answers None when there is nothing
to change (a repeated command): nothing is written, nothing is published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from jingwu_platform.usecase import Outgoing, retry_on_conflict

from jingwu_personnel.application.ports import Aggregates

A = TypeVar("A")
Decision: TypeAlias = tuple[A, Sequence[Outgoing]] | None


@dataclass(frozen=True)
class Outcome(Generic[A]):
    aggregate: A  # as stored now
    changed: bool  # False: ``decide`` found nothing to change


async def change(
    repository: Aggregates[A],
    aggregate_id: str,
    decide: Callable[[A], Decision[A]],
    *,
    what: str,
) -> Outcome[A] | None:
    """The outcome, or None when there is no such aggregate."""

    async def attempt() -> tuple[Outcome[A] | None] | None:
        current = await repository.get(aggregate_id)
        if current is None:
            return (None,)
        decided = decide(current)
        if decided is None:
            return (Outcome(current, changed=False),)
        changed, events = decided
        saved = await repository.save(changed, events)
        return None if saved is None else (Outcome(saved, changed=True),)

    (outcome,) = await retry_on_conflict(attempt, what)
    return outcome
