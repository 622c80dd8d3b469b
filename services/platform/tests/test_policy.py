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


def test_project_defaults_where_the_seeds_give_no_number() -> None:
    policy = DistrictPolicy()
    assert policy.preferences.home_village == 5 and policy.preferences.per_current_village == 0.5  # R-PER-6
    assert (policy.assessment.data_share, policy.assessment.ratings_share) == (0.5, 0.5)  # R-PER-11
    assert policy.assessment.conduct_deductions.four_nos == 10  # R-PER-13
    assert policy.assessment.conduct_deductions.leaked_personal_data == 20


def test_partial_override_keeps_the_other_defaults() -> None:
    policy = DistrictPolicy.from_json('{"work": {"liaison_village_days_per_month": 3}}')
    assert policy.work.liaison_village_days_per_month == 3
    assert policy.work.community_hours_per_week == 20
    split = DistrictPolicy.from_json(
        '{"assessment": {"data_share": 0.7, "ratings_share": 0.3, "conduct_deductions": {"other": 8}}}'
    )
    assert split.assessment.data_share == 0.7 and split.assessment.conduct_deductions.other == 8
    assert split.assessment.conduct_deductions.four_nos == 10 and split.preferences.home_village == 5


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('{"ratings": {"peer": 0.5}}', "ratings"),  # weights no longer sum to 1
        ('{"staffing": {"room_oficers": 2}}', "room_oficers"),  # a typo is not silently ignored
        ('{"assessment": {"data_share": 0.7}}', "sum to 1"),  # R-PER-11: data + ratings split ≠ 1
        ('{"assessment": {"competent_from": 95}}', "grade bands must rise"),
        ('{"assessment": {"conduct_deductions": {"four_nos": -1}}}', "four_nos"),  # R-PER-13
        ('{"preferences": {"home_village": -2}}', "home_village"),  # R-PER-6 points are not negative
    ],
)
def test_invalid_override_is_refused_naming_the_field(document: str, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        DistrictPolicy.from_json(document)
