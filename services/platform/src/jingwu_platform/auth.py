"""Caller credentials: a signed token that carries the caller's district and roles.

Every gRPC call carries ``authorization: Bearer <token>``. The token is an HS256 JWT signed with the
district's auth secret (mounted from a Secret; ``make run`` generates one locally). A service serves one
district and refuses callers of any other (R-POP-6: only the owning district may read its data).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum

import jwt

from jingwu_platform.errors import PermissionDenied

ISSUER = "jingwu"
_ALGORITHM = "HS256"


class Role(StrEnum):
    """What a caller may do. Rules on who sees what live in the services; this is only the vocabulary."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    DISTRICT_ADMIN = "district_admin"
    # May read identity numbers unmasked (R-POP-6); every such read is audited.
    PII_READER = "pii_reader"
    # Another Jingwu service acting on its own behalf.
    SERVICE = "service"
    # Reads the audit trail of personal-data access and may export personal data in bulk (R-POP-6).
    AUDITOR = "auditor"
    # Another police system at the city level (command centre, criminal investigation, traffic): reads
    # across districts with a city-wide credential, never writes (R-NOT-5).
    CITY_READER = "city_reader"


# The district of a city-wide credential (R-NOT-5): accepted by every district's services, for reads only.
CITY_WIDE = "*"


@dataclass(frozen=True)
class Caller:
    subject: str
    district: str
    roles: frozenset[Role] = field(default_factory=frozenset)

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def city_wide(self) -> bool:
        """A city-level reader's credential (district ``*``): reads any district, writes none."""
        return self.district == CITY_WIDE


class InvalidCredential(Exception):
    """The token is missing, malformed, expired or signed with another key."""


def issue_token(secret: str, subject: str, district: str, roles: Iterable[Role], ttl_s: int = 3600) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "district": district,
        "roles": sorted(str(r) for r in roles),
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_token(secret: str, token: str) -> Caller:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], issuer=ISSUER, options={"require": ["exp"]}
        )
    except jwt.PyJWTError as exc:
        raise InvalidCredential(str(exc)) from exc
    district = claims.get("district")
    subject = claims.get("sub")
    if not isinstance(district, str) or not isinstance(subject, str):
        raise InvalidCredential("token lacks district or subject")
    try:
        roles = frozenset(Role(r) for r in claims.get("roles", []))
    except ValueError as exc:
        raise InvalidCredential(f"unknown role in token: {exc}") from exc
    if district == CITY_WIDE and Role.CITY_READER not in roles:
        raise InvalidCredential(
            f"a city-wide credential (district {CITY_WIDE!r}) is for the {Role.CITY_READER} role"
        )
    if district == CITY_WIDE:
        # R-POP-6 / ADR 0024: a city-level reader is nothing but a reader, whatever else its token lists
        # (a listed pii_reader would otherwise unmask another district's identity numbers).
        roles = frozenset({Role.CITY_READER})
    return Caller(subject=subject, district=district, roles=roles)


_current_caller: ContextVar[Caller | None] = ContextVar("jingwu_caller", default=None)


def current_caller() -> Caller:
    """The authenticated caller of the request being served (set by the gRPC district-scope wrapper)."""
    caller = _current_caller.get()
    if caller is None:
        raise PermissionDenied("no authenticated caller in this context")
    return caller


def set_current_caller(caller: Caller | None) -> object:
    return _current_caller.set(caller)


def reset_current_caller(token: object) -> None:
    _current_caller.reset(token)  # type: ignore[arg-type]
