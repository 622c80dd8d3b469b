"""Findings of the population service: key-group reviews overdue (R-POP-2) and monthly inspections
overdue (R-POP-3), as of a day. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jingwu_population.domain.people import KeyGroup, Resident
from jingwu_population.domain.places import Place, PlaceKind


class FindingKind(StrEnum):
    KEY_GROUP_REVIEW_OVERDUE = "key_group_review_overdue"
    INSPECTION_OVERDUE = "inspection_overdue"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    rule_id: str
    subject_id: str
    zone_code: str
    due_date: date
    detail: str
    key_group: KeyGroup | None = None
    place_kind: PlaceKind | None = None
    owner_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind.value}/{self.subject_id}/{self.key_group or self.place_kind}"


def review_findings(residents: Iterable[Resident], zone_of: Callable[[str], str], on: date) -> list[Finding]:
    """R-POP-2: a key-group tag whose review date is before ``on``."""
    found = []
    for resident in residents:
        for tag in resident.tags:
            if tag.review_date < on:
                found.append(
                    Finding(
                        FindingKind.KEY_GROUP_REVIEW_OVERDUE,
                        "R-POP-2",
                        resident.resident_id,
                        zone_of(resident.house_id),
                        tag.review_date,
                        f"{tag.key_group.value} review was due {tag.review_date.isoformat()}",
                        key_group=tag.key_group,
                        owner_id=tag.owner_id,
                    )
                )
    return found


def inspection_findings(places: Iterable[Place], on: date, interval_months: int = 1) -> list[Finding]:
    """R-POP-3: a place not inspected by its due date."""
    return [
        Finding(
            FindingKind.INSPECTION_OVERDUE,
            "R-POP-3",
            place.place_id,
            place.zone_code,
            place.due_date(interval_months),
            f"{place.name}: monthly inspection was due {place.due_date(interval_months).isoformat()}",
            place_kind=place.kind,
        )
        for place in places
        if place.overdue_on(on, interval_months)
    ]
