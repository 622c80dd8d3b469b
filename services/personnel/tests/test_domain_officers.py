"""R-PER-1 (roles) and R-POP-6 (masking) without I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from jingwu_personnel.domain.officers import (
    Branch,
    OfficerDraft,
    OfficerRole,
    mask_id_number,
    mask_phone,
    masked,
    register_officer,
    unmasked_fields,
    update_officer,
)
from jingwu_platform.errors import RuleViolation, ValidationFailed

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def draft(**changes: object) -> OfficerDraft:
    base = OfficerDraft(
        name="王建国",
        roles=(OfficerRole.POLICE, OfficerRole.COMMUNITY_OFFICER),
        branch=Branch.STATION,
        station_id="st-bianhe",
        id_number="341302198803150417",
        phone="13905571234",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def violations(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {v.field: v.description for v in exc.value.violations}


def test_a_police_officer_registers_with_roles_and_branch() -> None:
    officer = register_officer(draft(), officer_id="o1", at=AT, by="admin")
    assert officer.is_police and not officer.is_auxiliary
    assert officer.can_take(OfficerRole.COMMUNITY_OFFICER)
    assert not officer.can_take(OfficerRole.RESIDENT_AUXILIARY)


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ((), "at least one role"),
        ((OfficerRole.POLICE, OfficerRole.AUXILIARY), "either a police officer or an auxiliary"),
        ((OfficerRole.COMMUNITY_OFFICER,), "add OFFICER_ROLE_POLICE"),
        ((OfficerRole.RESIDENT_AUXILIARY,), "add OFFICER_ROLE_AUXILIARY"),
    ],
)
def test_role_combinations_follow_r_per_1(roles: tuple[OfficerRole, ...], message: str) -> None:
    # R-PER-1
    with pytest.raises(ValidationFailed) as exc:
        register_officer(draft(roles=roles, home_township="符离镇"), officer_id="o", at=AT, by="a")
    assert message in violations(exc)["roles"]


def test_unknown_role_is_named_by_index() -> None:
    with pytest.raises(ValidationFailed) as exc:
        register_officer(draft(roles=(OfficerRole.POLICE, None)), officer_id="o", at=AT, by="a")
    assert "roles[1]" in violations(exc)


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        register_officer(
            draft(name=" ", branch=None, id_number="12345", phone="call me", join_date_invalid=True),
            officer_id="o",
            at=AT,
            by="a",
        )
    assert set(violations(exc)) == {"name", "branch", "id_number", "phone", "join_date"}


def test_a_resident_auxiliary_needs_his_home_township() -> None:
    # R-PER-7 is checked against it.
    aux = draft(roles=(OfficerRole.AUXILIARY, OfficerRole.RESIDENT_AUXILIARY), branch=None)
    with pytest.raises(ValidationFailed) as exc:
        register_officer(aux, officer_id="o", at=AT, by="a")
    assert "home_township" in violations(exc)
    assert register_officer(replace(aux, home_township="符离镇"), officer_id="o", at=AT, by="a").is_auxiliary


def test_identity_and_phone_numbers_are_masked() -> None:
    # R-POP-6: region prefix and last four only; the birth date never shows.
    assert mask_id_number("341302198803150417") == "341***********0417"
    assert mask_phone("13905571234") == "139****1234"
    assert mask_id_number("") == ""
    officer = register_officer(draft(), officer_id="o1", at=AT, by="a")
    shown = masked(officer)
    assert "19880315" not in shown.id_number and shown.phone == "139****1234"
    assert unmasked_fields(officer) == ("id_number", "phone")
    assert unmasked_fields(replace(officer, phone="")) == ("id_number",)


def test_update_changes_only_masked_fields_and_reports_them() -> None:
    officer = register_officer(draft(), officer_id="o1", at=AT, by="a")
    updated, changed = update_officer(
        officer, draft(name="王建设", branch=Branch.TRAFFIC), ("branch",), at=AT, by="lead"
    )
    assert updated.branch is Branch.TRAFFIC and updated.name == "王建国"
    assert changed == ("branch",)
    with pytest.raises(ValidationFailed) as exc:
        update_officer(officer, draft(), ("status",), at=AT, by="lead")
    assert "update_mask.paths[0]" in violations(exc)


def test_an_inactive_officer_cannot_be_updated() -> None:
    officer = register_officer(draft(), officer_id="o1", at=AT, by="a").deactivate(AT, "a")
    assert officer is not None and officer.deactivate(AT, "a") is None  # once off the force, nothing changes
    with pytest.raises(RuleViolation) as exc:
        update_officer(officer, draft(), ("name",), at=AT, by="lead")
    assert exc.value.rule_id == "R-PER-1"
