"""Per-district policy: seed numbers are defaults, overrides are partial, nonsense is refused."""

from __future__ import annotations

import pytest
from jingwu_platform.policy import DistrictPolicy
from pydantic import ValidationError


def test_defaults_are_the_seed_values() -> None:
    policy = DistrictPolicy()
    staffing = policy.staffing
    assert (staffing.mobile_room_officers, staffing.mobile_room_auxiliaries) == (1, 2)  # R-PER-2
    assert policy.staffing.urban_residents_per_community_officer == 5000  # R-PER-4
    assert policy.work.liaison_village_days_per_month == 2  # R-PER-8
    assert policy.work.community_hours_per_week == 20  # R-PER-9
    assert policy.rooms.office_min_m2 == 30  # R-ROOM-3


def test_partial_override_keeps_the_other_defaults() -> None:
    policy = DistrictPolicy.from_json('{"work": {"liaison_village_days_per_month": 3}}')
    assert policy.work.liaison_village_days_per_month == 3
    assert policy.work.community_hours_per_week == 20


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('{"ratings": {"peer": 0.5}}', "ratings"),  # weights no longer sum to 1
        ('{"staffing": {"room_oficers": 2}}', "room_oficers"),  # a typo is not silently ignored
    ],
)
def test_invalid_override_is_refused_naming_the_field(document: str, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        DistrictPolicy.from_json(document)
