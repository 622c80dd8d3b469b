"""Status conditions in the metav1.Condition shape. Pure: the caller supplies the clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

Status = Literal["True", "False", "Unknown"]
Condition = dict[str, Any]

NAMESPACE = "NamespaceReady"
DATABASE = "DatabaseReady"
TOPICS = "TopicsReady"
WORKLOADS = "WorkloadsReady"
READY = "Ready"
PARTS = (NAMESPACE, DATABASE, TOPICS, WORKLOADS)
ORDER = (*PARTS, READY)


def timestamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: Sequence[Mapping[str, Any]],
    type_: str,
    status: Status,
    reason: str,
    message: str,
    *,
    generation: int,
    now: datetime,
) -> list[Condition]:
    """The list with ``type_`` set; lastTransitionTime moves only when the status changes."""
    previous = next((c for c in conditions if c.get("type") == type_), None)
    transition = (
        previous["lastTransitionTime"]
        if previous is not None and previous.get("status") == status and previous.get("lastTransitionTime")
        else timestamp(now)
    )
    updated: Condition = {
        "type": type_,
        "status": status,
        "observedGeneration": generation,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message[:32768],
    }
    others = [dict(c) for c in conditions if c.get("type") != type_]
    merged = [*others, updated]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(merged, key=lambda c: rank.get(str(c.get("type")), len(rank)))


def get(conditions: Sequence[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions if c.get("type") == type_), None)


def summarise(conditions: Sequence[Mapping[str, Any]], generation: int) -> tuple[Status, str, str]:
    """The Ready condition implied by the parts: True only if every part is True for this generation."""
    missing = [
        t
        for t in PARTS
        if (c := get(conditions, t)) is None
        or c.get("status") != "True"
        or c.get("observedGeneration") != generation
    ]
    if not missing:
        return "True", "Provisioned", "namespace, database, topics and workloads are in place"
    first = get(conditions, missing[0])
    detail = f"{first.get('reason')}: {first.get('message')}" if first else "not reconciled yet"
    return (
        "False",
        "Progressing" if first is None or first.get("status") != "False" else "Failed",
        (f"waiting for {', '.join(missing)} ({missing[0]}: {detail})"),
    )
