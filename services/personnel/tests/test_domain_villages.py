"""One village, one liaison officer, one resident auxiliary (R-PER-5..7) without I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from jingwu_personnel.domain.candidates import (
    CandidateFacts,
    CandidateReason,
    rank_auxiliary_candidates,
    rank_liaison_candidates,
)
from jingwu_personnel.domain.officers import Branch, Officer, OfficerRole, OfficerStatus
from jingwu_personnel.domain.territory import VillageView
from jingwu_personnel.domain.villages import (
    Holder,
    Slot,
    VillageAssignment,
    VillageProfile,
    check_assignable,
    check_liaison_officer,
    check_not_overstaying,
    check_resident_auxiliary,
    rotation_due,
)
from jingwu_platform.errors import RuleViolation
from jingwu_platform.policy import DistrictPolicy, PreferenceWeights, WorkStandard

WORK = DistrictPolicy().work
WEIGHTS = DistrictPolicy().preferences
ZHANGZHUANG = VillageView("v-zz", name="张庄村", township="符离镇", station_id="st-fl", zone_code="01050101")
VILLAGES = {
    "v-zz": ZHANGZHUANG,
    "n-zz-east": VillageView("n-zz-east", name="张庄东组", administrative=False, parent_village_id="v-zz"),
    "v-li": VillageView("v-li", name="李庄村", township="符离镇"),
}
PROFILE = VillageProfile("v-zz", township="符离镇", neighbouring_townships=("朱仙庄镇", "北杨寨乡"))
ASSIGNMENT = replace(VillageAssignment.of(ZHANGZHUANG), profile=PROFILE)


def auxiliary(oid: str = "a1", **changes: object) -> Officer:
    base = Officer(
        officer_id=oid,
        name=f"辅警{oid}",
        roles=frozenset({OfficerRole.AUXILIARY, OfficerRole.RESIDENT_AUXILIARY}),
        home_village_id="v-li",
        home_township="符离镇",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def police(oid: str = "p1", **changes: object) -> Officer:
    base = Officer(
        officer_id=oid, name=f"民警{oid}", roles=frozenset({OfficerRole.POLICE}), branch=Branch.OTHER
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_auxiliary_from_another_village_of_the_same_township_may_serve() -> None:
    check_resident_auxiliary(auxiliary(), ASSIGNMENT, VILLAGES)  # R-PER-7


def test_an_auxiliary_never_serves_his_own_village() -> None:
    # R-PER-7: "never from the village he serves".
    with pytest.raises(RuleViolation) as exc:
        check_resident_auxiliary(auxiliary(home_village_id="v-zz"), ASSIGNMENT, VILLAGES)
    assert exc.value.rule_id == "R-PER-7" and "own village" in str(exc.value)


def test_living_in_one_of_its_natural_villages_is_living_in_the_village() -> None:
    with pytest.raises(RuleViolation) as exc:
        check_resident_auxiliary(auxiliary(home_village_id="n-zz-east"), ASSIGNMENT, VILLAGES)
    assert exc.value.rule_id == "R-PER-7"


@pytest.mark.parametrize(
    ("township", "allowed"), [("朱仙庄镇", True), ("北杨寨乡", True), ("灰古镇", False), ("", False)]
)
def test_an_auxiliary_comes_from_the_same_or_a_neighbouring_township(township: str, allowed: bool) -> None:
    # R-PER-7: a non-neighbouring township is refused.
    candidate = auxiliary(home_village_id="v-far", home_township=township)
    if allowed:
        check_resident_auxiliary(candidate, ASSIGNMENT, VILLAGES)
        return
    with pytest.raises(RuleViolation) as exc:
        check_resident_auxiliary(candidate, ASSIGNMENT, VILLAGES)
    assert exc.value.rule_id == "R-PER-7" and "township" in str(exc.value)


def test_the_villages_township_must_be_known_to_check_origin() -> None:
    unknown = VillageAssignment.of(replace(ZHANGZHUANG, township=""))
    with pytest.raises(RuleViolation) as exc:
        check_resident_auxiliary(auxiliary(), unknown, VILLAGES)
    assert exc.value.subject == "villages/v-zz"


def test_a_police_officer_is_not_a_resident_auxiliary_nor_an_auxiliary_a_liaison() -> None:
    with pytest.raises(RuleViolation) as exc:
        check_resident_auxiliary(police(home_township="符离镇"), ASSIGNMENT, VILLAGES)
    assert exc.value.rule_id == "R-PER-7"
    with pytest.raises(RuleViolation) as exc:
        check_liaison_officer(auxiliary())
    assert exc.value.rule_id == "R-PER-5"
    with pytest.raises(RuleViolation):
        check_liaison_officer(police(status=OfficerStatus.INACTIVE))
    check_liaison_officer(police())


def test_only_administrative_villages_get_a_liaison_and_an_auxiliary() -> None:
    # R-PER-5
    check_assignable(ASSIGNMENT)
    for view in (VILLAGES["n-zz-east"], replace(ZHANGZHUANG, urban_community=True)):
        with pytest.raises(RuleViolation) as exc:
            check_assignable(VillageAssignment.of(view))
        assert exc.value.rule_id == "R-PER-5"


def test_rotation_is_due_after_the_districts_period() -> None:
    # R-PER-7: rotates periodically (policy.work.auxiliary_rotation_months; month ends clamp).
    assert rotation_due(date(2026, 1, 31), WorkStandard(auxiliary_rotation_months=1)) == date(2026, 2, 28)
    months = WORK.auxiliary_rotation_months
    assert rotation_due(date(2026, 3, 15), WORK) == date(2026 + months // 12, 3 + months % 12, 15)
    due = replace(ASSIGNMENT, auxiliary=Holder("a1", "p-a1", rotation_due=date(2026, 11, 1)))
    with pytest.raises(RuleViolation) as exc:
        check_not_overstaying(due, "a1", date(2026, 11, 1))
    assert exc.value.rule_id == "R-PER-7"
    check_not_overstaying(due, "a1", date(2026, 10, 31))
    check_not_overstaying(due, "a2", date(2026, 11, 1))


def facts(officer: Officer, **changes: object) -> CandidateFacts:
    return replace(CandidateFacts(officer=officer), **changes)  # type: ignore[arg-type]


def test_liaison_ranking_follows_the_r_per_6_preferences_and_explains_itself() -> None:
    profile = replace(
        PROFILE, along_traffic_line=True, high_crime=True, security_complex=True, key_village=True
    )
    assignment = replace(ASSIGNMENT, profile=profile, liaison=Holder("current", "p-current"))
    candidates = [
        facts(police("home", home_village_id="n-zz-east")),  # lives in one of its natural villages
        facts(police("worked", former_workplace_village_ids=("v-zz",))),
        facts(police("history"), past_village_ids=frozenset({"v-zz"})),
        facts(police("traffic", branch=Branch.TRAFFIC)),
        facts(police("criminal", branch=Branch.CRIMINAL_INVESTIGATION)),
        facts(police("security", branch=Branch.STATE_SECURITY)),
        facts(police("order", branch=Branch.PUBLIC_ORDER)),
        facts(police("station", branch=Branch.STATION), current_village_count=2),
        facts(police("narcotics", branch=Branch.NARCOTICS)),
        facts(police("current")),
        facts(auxiliary("aux")),
        facts(police("gone", status=OfficerStatus.INACTIVE, home_village_id="v-zz")),
    ]
    ranked = rank_liaison_candidates(candidates, assignment, VILLAGES, weights=WEIGHTS, limit=20)
    by_id = {c.officer.officer_id: c for c in ranked}
    assert set(by_id) == {
        "home",
        "worked",
        "history",
        "traffic",
        "criminal",
        "security",
        "order",
        "station",
        "narcotics",
    }
    assert by_id["home"].reasons == (CandidateReason.HOME_VILLAGE,)
    assert by_id["worked"].reasons == by_id["history"].reasons == (CandidateReason.FORMER_WORKPLACE,)
    assert by_id["traffic"].reasons == (CandidateReason.TRAFFIC_LINE,)
    assert by_id["criminal"].reasons == (CandidateReason.CRIMINAL_HIGH_CRIME,)
    assert by_id["security"].reasons == (CandidateReason.STATE_SECURITY_COMPLEX,)
    assert by_id["order"].reasons == (CandidateReason.KEY_VILLAGE,)
    assert by_id["station"].terms == (
        (CandidateReason.KEY_VILLAGE, WEIGHTS.branch_match),
        (CandidateReason.WORKLOAD, -2 * WEIGHTS.per_current_village),
    )
    assert by_id["narcotics"].score == 0
    order = [c.officer.officer_id for c in ranked]
    assert order[0] == "home" and order[-1] == "narcotics"
    assert order.index("worked") < order.index("traffic") < order.index("station")
    assert all(c.score == sum(p for _, p in c.terms) for c in ranked)


def test_branch_preferences_need_the_matching_village_trait() -> None:
    plain = ASSIGNMENT
    ranked = rank_liaison_candidates(
        [facts(police("traffic", branch=Branch.TRAFFIC))], plain, VILLAGES, weights=WEIGHTS, limit=5
    )
    assert ranked[0].reasons == ()


def test_auxiliary_ranking_never_offers_his_own_village_or_a_far_township() -> None:
    # R-PER-7: own-village and far-township auxiliaries are never returned; same township first;
    # someone who served here within a rotation period after those who did not.
    assignment = replace(ASSIGNMENT, auxiliary=Holder("current", "p-current"))
    today = date(2026, 11, 2)
    candidates = [
        facts(auxiliary("same")),
        facts(auxiliary("neighbour", home_village_id="v-x", home_township="朱仙庄镇")),
        facts(auxiliary("recent"), last_served_here=date(2026, 1, 1)),
        facts(auxiliary("long-ago"), last_served_here=date(2020, 1, 1)),
        facts(auxiliary("own", home_village_id="v-zz")),
        facts(auxiliary("far", home_village_id="v-y", home_township="灰古镇")),
        facts(auxiliary("current")),
        facts(police("cop", home_township="符离镇")),
    ]
    ranked = rank_auxiliary_candidates(
        candidates, assignment, VILLAGES, today=today, work=WORK, weights=WEIGHTS, limit=10
    )
    order = [c.officer.officer_id for c in ranked]
    assert set(order) == {"same", "neighbour", "recent", "long-ago"}
    assert order.index("same") < order.index("recent")
    assert ranked[order.index("recent")].reasons == (CandidateReason.SAME_TOWNSHIP,)
    assert ranked[order.index("neighbour")].reasons == (
        CandidateReason.NEIGHBOURING_TOWNSHIP,
        CandidateReason.NOT_RECENTLY_SERVED,
    )
    assert (
        len(
            rank_auxiliary_candidates(
                candidates, assignment, VILLAGES, today=today, work=WORK, weights=WEIGHTS, limit=2
            )
        )
        == 2
    )


def test_a_district_weighing_branch_matches_higher_ranks_the_traffic_officer_first() -> None:
    # R-PER-6 points are district policy (DistrictPolicy.preferences); by default home village (5)
    # beats a traffic officer on a traffic line (3).
    profile = replace(PROFILE, along_traffic_line=True)
    assignment = replace(ASSIGNMENT, profile=profile)
    candidates = [
        facts(police("home", home_village_id="v-zz")),
        facts(police("traffic", branch=Branch.TRAFFIC)),
    ]

    def order(weights: PreferenceWeights) -> list[str]:
        ranked = rank_liaison_candidates(candidates, assignment, VILLAGES, weights=weights, limit=5)
        return [c.officer.officer_id for c in ranked]

    assert order(WEIGHTS) == ["home", "traffic"]
    district = DistrictPolicy.from_json('{"preferences": {"branch_match": 6}}')
    assert order(district.preferences) == ["traffic", "home"]


def test_a_slot_is_taken_released_and_handed_over_under_the_posting_that_holds_it() -> None:
    # R-PER-5: one holder per slot; an ended posting frees its slot, a moved one keeps its holder.
    liaison = Holder("c1", "p-1", since=date(2026, 1, 1))
    held = ASSIGNMENT.assigned(Slot.LIAISON, liaison)
    assert held.liaison_officer_id == "c1" and held.auxiliary is None and not held.complete
    assert held.released("p-other") is None  # a successor took it meanwhile: nothing to change
    released = held.released("p-1")
    assert released is not None and released.liaison is None
    moved = held.handed_over("p-1", "p-2")
    assert moved is not None and moved.liaison == replace(liaison, posting_id="p-2")
    assert held.handed_over("p-9", "p-2") is None
    assert held.rezoned(ZHANGZHUANG.zone_code) is None
    rezoned = held.rezoned("01050102")
    assert rezoned is not None and rezoned.village.zone_code == "01050102" and rezoned.liaison == liaison
    assert Slot.of(OfficerRole.RESIDENT_AUXILIARY) is Slot.AUXILIARY and Slot.of(OfficerRole.POLICE) is None
