"""Actual population per zone (R-PER-4 staffing ratios, R-ORG-3 workload), and when a change is worth
publishing. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jingwu_population.domain.people import Category, KeyGroup


@dataclass(frozen=True, slots=True)
class ZoneTally:
    zone_code: str
    actual: int = 0
    categories: dict[Category, int] = field(default_factory=dict)
    key_groups: dict[KeyGroup, int] = field(default_factory=dict)
    houses: int = 0
    rental_houses: int = 0
    separated: int = 0

    def figures(self) -> tuple[object, ...]:
        """What a published snapshot is compared on."""
        return (
            self.actual,
            tuple(sorted((c.value, n) for c, n in self.categories.items() if n)),
            tuple(sorted((g.value, n) for g, n in self.key_groups.items() if n)),
            self.houses,
            self.rental_houses,
            self.separated,
        )


@dataclass(frozen=True, slots=True)
class PublishedZonePopulation:
    """The last ZonePopulationChanged sent for a zone: a zone is published again only when its
    figures differ (and at most once per debounce window)."""

    zone_code: str
    tally: ZoneTally
    published_at: datetime
    version: int = 0


def needs_publishing(current: ZoneTally, published: PublishedZonePopulation | None) -> bool:
    if published is None:
        return current.actual > 0 or current.houses > 0
    return current.figures() != published.tally.figures()
