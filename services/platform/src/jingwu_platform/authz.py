"""Authorization declared per RPC, next to its servicer, checked by one platform mechanism.

Each servicer module declares one ``AccessPolicy``: for every method of its gRPC service, who may call
it. The policy is checked against the service descriptor when it is built, so an RPC without a rule
fails at import (and the every-RPC test fails), and the gRPC server refuses to register a servicer
without one. The server's district-scope interceptor authenticates the caller, confines it to the
district, then checks the method's rule and answers PERMISSION_DENIED naming the roles it needs.

    ACCESS = AccessPolicy(
        rooms_pb2.DESCRIPTOR.services_by_name["RoomRegistryService"],
        {
            "GetRoom": READ,
            "CloseRoom": allow(Role.SUPERVISOR, Role.DISTRICT_ADMIN),
            "OpenRoom": allow(Role.SUPERVISOR, Role.DISTRICT_ADMIN, idempotency_key="request_id"),
        },
    )

Rules that depend on the record as well as the method (an officer may edit his own log) are checked in
the use case with jingwu_platform.usecase.require_role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from google.protobuf.descriptor import ServiceDescriptor

from jingwu_platform.auth import Caller, Role

# Methods whose name starts with one of these create something or append a record: a client retry
# could duplicate it, so their rule must name the request field that makes a repeat harmless.
CREATING_VERBS = (
    "Create",
    "Register",
    "Open",
    "Plan",
    "Record",
    "Submit",
    "Log",
    "Entrust",
    "Schedule",
    "Collect",
    "Issue",
    "MoveIn",
    "Define",
    "Import",
    "Start",
    "Book",
    "Subscribe",
    "Publish",
)


class UndeclaredAccess(Exception):
    """A servicer's policy does not cover its service exactly."""


@dataclass(frozen=True)
class Access:
    """Who may call one RPC. ``roles`` None: any authenticated caller of the district."""

    roles: frozenset[Role] | None
    # The request field whose repeat returns the first result (request_id, or a client-chosen id).
    idempotency_key: str = ""

    def permits(self, caller: Caller) -> bool:
        return self.roles is None or bool(caller.roles & self.roles)

    def describe(self) -> str:
        if self.roles is None:
            return "any caller of the district"
        return "one of the roles: " + ", ".join(sorted(r.value for r in self.roles))


def allow(*roles: Role, idempotency_key: str = "") -> Access:
    if not roles:
        raise ValueError("allow() needs at least one role; use READ for any caller of the district")
    return Access(frozenset(roles), idempotency_key)


# Any authenticated caller of the district (reads of non-personal data, for instance).
READ = Access(None)


def any_caller(idempotency_key: str = "") -> Access:
    return Access(None, idempotency_key)


def is_creating(method_name: str) -> bool:
    return method_name.startswith(CREATING_VERBS)


@dataclass(frozen=True)
class AccessPolicy:
    """The rules of every method of one gRPC service."""

    service: ServiceDescriptor
    rules: Mapping[str, Access]

    def __post_init__(self) -> None:
        methods = {m.name: m for m in self.service.methods}
        missing = sorted(set(methods) - set(self.rules))
        unknown = sorted(set(self.rules) - set(methods))
        problems = []
        if missing:
            problems.append(f"no rule for {', '.join(missing)}")
        if unknown:
            problems.append(f"rules for methods the service does not have: {', '.join(unknown)}")
        for name, access in self.rules.items():
            method = methods.get(name)
            if method is None:
                continue
            fields = method.input_type.fields_by_name
            if access.idempotency_key and access.idempotency_key not in fields:
                problems.append(f"{name}: idempotency key {access.idempotency_key!r} is not a request field")
            if is_creating(name) and not access.idempotency_key:
                problems.append(f"{name} creates or appends: its rule must name its idempotency key")
        if problems:
            raise UndeclaredAccess(f"{self.service.full_name}: " + "; ".join(problems))

    @property
    def full_name(self) -> str:
        return self.service.full_name

    def by_path(self) -> dict[str, Access]:
        """Rules by gRPC method path, ``/jingwu.rooms.v1.RoomRegistryService/CloseRoom``."""
        return {f"/{self.service.full_name}/{name}": access for name, access in self.rules.items()}
