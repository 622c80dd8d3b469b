"""Domain errors: raised by pure domain code, mapped to gRPC status codes at the edge.

Domain code never imports grpc; jingwu_platform.grpc_server translates these into INVALID_ARGUMENT
(with google.rpc.BadRequest field violations), NOT_FOUND, FAILED_PRECONDITION (with
google.rpc.PreconditionFailure naming the rule id), ALREADY_EXISTS and PERMISSION_DENIED.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field; ``field`` is its proto path, e.g. ``zone_codes[0]`` or ``location.latitude``."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class ValidationFailed(DomainError):
    """The request is malformed; nothing was changed."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        if not violations:
            raise ValueError("ValidationFailed needs at least one violation")
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))


class NotFound(DomainError):
    def __init__(self, kind: str, identifier: str) -> None:
        self.kind = kind
        self.identifier = identifier
        super().__init__(f"{kind} {identifier!r} not found")


class AlreadyExists(DomainError):
    def __init__(self, kind: str, identifier: str) -> None:
        self.kind = kind
        self.identifier = identifier
        super().__init__(f"{kind} {identifier!r} already exists")


class RuleViolation(DomainError):
    """A business rule refuses the command (FAILED_PRECONDITION); ``rule_id`` cites domain.md (R-PER-7)."""

    def __init__(self, rule_id: str, subject: str, message: str) -> None:
        self.rule_id = rule_id
        self.subject = subject
        super().__init__(f"{rule_id}: {message}")


class Conflict(DomainError):
    """Concurrent changes kept winning over this command (ABORTED): nothing was changed; retry."""


class PermissionDenied(DomainError):
    """The caller may not do this (wrong district, missing role)."""


class Validator:
    """Collects field violations so a request reports all its problems at once."""

    def __init__(self) -> None:
        self._violations: list[FieldViolation] = []

    def check(self, condition: bool, field: str, description: str) -> bool:
        if not condition:
            self._violations.append(FieldViolation(field, description))
        return condition

    def add(self, field: str, description: str) -> None:
        self._violations.append(FieldViolation(field, description))

    def raise_if_any(self) -> None:
        if self._violations:
            raise ValidationFailed(list(self._violations))
