"""What the console offers a signed-in user, from the roles in their credential.

Each action the console can start names the RPC it calls and the roles that RPC's declared rule allows
(``ACCESS`` of the service's servicer module; a test checks the two agree). The page offers only the
actions the user's roles allow. That is a courtesy, not the guard: the console forwards every call
with the user's own credential, so the service refuses what the role lacks and the console shows its
PERMISSION_DENIED as it is.

``pii_reader`` is not an action: the services decide masking from the role (R-POP-6) and audit every
unmasked read; the console never unmasks anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from jingwu_platform.auth import Caller, Role

from jingwu_console.services import Service

_MANAGERS = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN, Role.SERVICE})
_LEADERS = frozenset({Role.SUPERVISOR, Role.DISTRICT_ADMIN})
_ROOM_STAFF = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN})


@dataclass(frozen=True)
class Action:
    name: str
    service: Service
    # gRPC method path the action calls.
    rpc: str
    roles: frozenset[Role]
    label: str


ACTIONS: tuple[Action, ...] = (
    Action(
        "evaluate_staffing",
        "personnel",
        "/jingwu.personnel.v1.PersonnelService/EvaluateStaffing",
        _MANAGERS,
        "重新评估配备规则",
    ),
    Action(
        "compute_assessments",
        "personnel",
        "/jingwu.personnel.v1.PersonnelService/ComputeAssessments",
        _MANAGERS,
        "重新计算考核",
    ),
    Action(
        "publish_assessments",
        "personnel",
        "/jingwu.personnel.v1.PersonnelService/PublishAssessments",
        _LEADERS,
        "发布考核结果",
    ),
    Action(
        "answer_matter",
        "notification",
        "/jingwu.notification.v1.NotificationService/AnswerMatter",
        _ROOM_STAFF,
        "回告群众",
    ),
    Action(
        "list_open_matters",
        "notification",
        "/jingwu.notification.v1.NotificationService/ListOpenMatters",
        _ROOM_STAFF,
        "查看待回告事项",
    ),
    Action(
        "compute_patrol_evidence",
        "patrol",
        "/jingwu.patrol.v1.PatrolService/ComputePatrolEvidence",
        _MANAGERS,
        "重新计算巡逻证据",
    ),
    Action(
        "read_audit",
        "population",
        "/jingwu.population.v1.PopulationService/ListUnmaskedReads",
        frozenset({Role.AUDITOR}),
        "查看个人信息查询审计",
    ),
)
BY_NAME = {a.name: a for a in ACTIONS}


def allowed(caller: Caller, action: str) -> bool:
    return bool(caller.roles & BY_NAME[action].roles)


def capabilities(caller: Caller) -> dict[str, bool]:
    """Every action by name: whether the page offers it to this caller."""
    return {a.name: allowed(caller, a.name) for a in ACTIONS}


def sees_personal_data(caller: Caller) -> bool:
    """R-POP-6: the services return identity and phone numbers unmasked (and audit it) for this role."""
    return caller.has(Role.PII_READER)
