"""Who may see which personal data (R-POP-6). Pure.

- Identity and phone numbers are masked unless the caller asks to unmask them, gives a purpose, and
  holds the ``pii_reader`` role. Asking without the role is refused, not silently masked.
- Key-group tags (R-POP-2) are shown to the roles that look after those people (officers, their
  supervisors, pii readers); masked for anyone else (district administrators, other services).
- Looking a person up by identity or phone number needs a purpose whoever asks.
- Bulk export needs the auditor role and a purpose.
Every response that shows an identity number, a phone number or key-group tags is one unmasked read in
the audit trail (domain.audit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import FieldViolation, PermissionDenied, ValidationFailed

UNMASK_ROLES = frozenset({Role.PII_READER})
KEY_GROUP_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.PII_READER})
AUDIT_ROLES = frozenset({Role.AUDITOR})
EXPORT_ROLES = frozenset({Role.AUDITOR})
PURPOSE_MAX = 200


@dataclass(frozen=True)
class AccessRequest:
    """What the request's PersonalDataAccess asks for."""

    unmask: bool = False
    purpose: str = ""
    case_reference: str = ""


@dataclass(frozen=True)
class Disclosure:
    """What one response may show."""

    identity: bool  # id_number, phone, contact_phone
    key_groups: bool
    purpose: str = ""
    case_reference: str = ""

    @property
    def anything(self) -> bool:
        return self.identity or self.key_groups


def _roles(roles: Iterable[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles))


def require_purpose(access: AccessRequest, field: str = "access.purpose") -> None:
    purpose = access.purpose.strip()
    if not purpose:
        raise ValidationFailed(
            [FieldViolation(field, "a purpose is required to read personal data (R-POP-6)")]
        )
    if len(purpose) > PURPOSE_MAX:
        raise ValidationFailed([FieldViolation(field, f"must be at most {PURPOSE_MAX} characters")])


def disclosure_for(caller: Caller, access: AccessRequest) -> Disclosure:
    """R-POP-6: what this caller may see with this request; PERMISSION_DENIED when it asks to unmask
    without the role, INVALID_ARGUMENT when it asks without a purpose."""
    identity = False
    if access.unmask:
        require_purpose(access)
        if not caller.roles & UNMASK_ROLES:
            raise PermissionDenied(
                f"unmasking personal data needs one of the roles: {_roles(UNMASK_ROLES)} "
                f"(caller has: {_roles(caller.roles) or 'none'}) (R-POP-6)"
            )
        identity = True
    return Disclosure(
        identity=identity,
        key_groups=bool(caller.roles & KEY_GROUP_ROLES),
        purpose=access.purpose.strip(),
        case_reference=access.case_reference.strip(),
    )


def require_export(caller: Caller, access: AccessRequest) -> Disclosure:
    """R-POP-6: bulk export only for auditors, with a purpose."""
    if not caller.roles & EXPORT_ROLES:
        raise PermissionDenied(
            f"bulk export of personal data needs one of the roles: {_roles(EXPORT_ROLES)} "
            f"(caller has: {_roles(caller.roles) or 'none'}) (R-POP-6)"
        )
    require_purpose(access)
    return Disclosure(True, True, access.purpose.strip(), access.case_reference.strip())
