"""Isolation and access, proved on the real processes of one district (R-POP-6, R-NOT-5, ADR 0008, ADR
0024): every RPC of every served service — derived from the contract descriptors and the every-RPC
test's ``SERVED``, so a new RPC is covered without new code — is called

- with another district's correctly signed credential holding every role, a service credential of
  that district, and that district's credential holding ``city_reader``: PERMISSION_DENIED, always,
  from the district scope;
- with the city-level credential (district ``*``): PERMISSION_DENIED unless the method is declared
  ``READ`` (ADR 0024), whatever other roles the token lists;
- with this district's credential holding the roles the method declares: never PERMISSION_DENIED
  (so the denials above are the district's doing, not a blanket refusal);
- with an expired, a wrongly signed, an ``alg: none`` and a missing credential: UNAUTHENTICATED.

Run with ``-s`` for the summary table (docs/reliability.md quotes it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from jingwu.common.v1 import common_pb2
from jingwu.notification.v1 import events_pb2 as not_events_pb2
from jingwu.notification.v1 import notification_pb2 as not_pb
from jingwu.personnel.v1 import events_pb2 as per_events_pb2
from jingwu.personnel.v1 import personnel_pb2 as per_pb
from jingwu.population.v1 import population_pb2 as pop_pb
from jingwu_devstack.procs import Supervisor
from jingwu_platform.auth import CITY_WIDE, Role, issue_token
from jingwu_platform.authz import READ
from jingwu_platform.testing import Record, read_topic, wait_until

from .district_stack import (
    PROCESSES,
    Answer,
    DistrictStack,
    ServedService,
    invoke,
    path_of,
    served_services,
    start_district,
    unsigned_token,
)
from .test_skeleton import open_request

pytestmark = pytest.mark.e2e

ALL_ROLES = sorted(Role)
M = TypeVar("M", bound=Message)
# At most this many calls in flight (2 shared cores; six processes answer).
CONCURRENCY = 12

# Methods this district's own caller, holding the declared roles, is refused with a default request
# by a per-record rule in the use case (not by the district scope or the declared rule). Each names
# the rule. Empty when every declared role suffices for an empty request.
RECORD_RULES: dict[str, str] = {}


@dataclass
class Tally:
    methods: int = 0
    denied: int = 0
    unauthenticated: int = 0
    own_answered: int = 0
    city_reads: int = 0
    codes: dict[str, int] = field(default_factory=dict)


SUMMARY: dict[str, Tally] = {}


@dataclass(frozen=True)
class Codes:
    """The serving district (its processes live for the whole module) and another one, which has no
    processes, only credentials: both from the session's pool of test district codes."""

    district: str
    other: str


@pytest.fixture(scope="module")
def codes(district_codes: Callable[[], str]) -> Codes:
    return Codes(district_codes(), district_codes())


def _print_summary(codes: Codes) -> None:
    if not SUMMARY:
        return
    head = ("service", "methods", "denied (other district)", "unauthenticated checks", "own: not denied")
    rows = [
        (name, str(t.methods), str(t.denied), str(t.unauthenticated), str(t.own_answered))
        for name, t in sorted(SUMMARY.items())
    ]
    total = Tally()
    for t in SUMMARY.values():
        total.methods += t.methods
        total.denied += t.denied
        total.unauthenticated += t.unauthenticated
        total.own_answered += t.own_answered
    rows.append(
        ("total", str(total.methods), str(total.denied), str(total.unauthenticated), str(total.own_answered))
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print(
        f"\nIsolation and access (district {codes.district} serving; credentials of {codes.other} and '*'):"
    )
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


@pytest.fixture(scope="module")
def district_stack(
    codes: Codes,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DistrictStack]:
    log_dir = tmp_path_factory.mktemp("isolation")
    with Supervisor() as supervisor:
        yield start_district(
            supervisor,
            codes.district,
            kafka_bootstrap=kafka_bootstrap,
            mongo_url=mongo_url,
            auth_secret=auth_secret,
            log_dir=log_dir,
            tag="-isolation",
        )
    _print_summary(codes)


@pytest.fixture
async def district_channels(district_stack: DistrictStack) -> AsyncIterator[dict[str, grpc.aio.Channel]]:
    """Plain channels (no credential attached): each call names its own."""
    channels = {name: grpc.aio.insecure_channel(target) for name, target in district_stack.targets.items()}
    try:
        yield channels
    finally:
        for channel in channels.values():
            await channel.close()


def _calls(services: list[ServedService]) -> list[tuple[ServedService, str, MethodDescriptor]]:
    return [
        (service, process, method)
        for service in services
        for process in service.processes
        for method in service.descriptor.methods
    ]


def _label(service: ServedService, process: str) -> str:
    short = service.name.rsplit(".", 1)[-1]
    return f"{short}@{process}" if len(service.processes) > 1 else short


async def _bounded(calls: list[object]) -> list[Answer]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(call: object) -> Answer:
        async with gate:
            return await call  # type: ignore[misc,no-any-return]

    return await asyncio.gather(*(one(c) for c in calls))


def test_every_district_process_is_covered() -> None:
    """Every district process serves something the proof walks, and the platform's StatusService is
    walked on every one of them."""
    services = served_services()
    assert {p for s in services for p in s.processes} == set(PROCESSES)
    status = next(s for s in services if s.name == "jingwu.platform.v1.StatusService")
    assert status.processes == PROCESSES


async def test_other_districts_credentials_are_refused_on_every_rpc(
    district_channels: dict[str, grpc.aio.Channel], auth_secret: str, codes: Codes
) -> None:
    """R-POP-6 / ADR 0008: a well-formed token of another district, signed with the very key this district
    verifies (the strongest case: in a cluster each district has its own key, so it would not even
    verify), is refused on every RPC — with every role, as a service, and as a district city_reader."""
    foreign = {
        "every role": issue_token(auth_secret, "intruder", codes.other, ALL_ROLES),
        "service": issue_token(auth_secret, "jingwu-rooms", codes.other, [Role.SERVICE]),
        "district city_reader": issue_token(auth_secret, "command-centre", codes.other, [Role.CITY_READER]),
    }
    calls = _calls(served_services())
    answers = await _bounded(
        [
            invoke(district_channels[process], method, token)
            for _, process, method in calls
            for token in foreign.values()
        ]
    )
    wrong = []
    for i, (service, process, method) in enumerate(calls):
        tally = SUMMARY.setdefault(_label(service, process), Tally())
        tally.methods += 1
        for j, kind in enumerate(foreign):
            answer = answers[i * len(foreign) + j]
            if (
                answer.code == grpc.StatusCode.PERMISSION_DENIED
                and f"district {codes.other} may not" in answer.details
            ):
                tally.denied += 1
            else:
                wrong.append(f"{process} {path_of(method)} [{kind}]: {answer.code.name} {answer.details}")
    assert not wrong, "answered across districts:\n" + "\n".join(wrong)


async def test_the_city_level_credential_reads_only_what_is_declared_read(
    district_channels: dict[str, grpc.aio.Channel], auth_secret: str
) -> None:
    """ADR 0024 / R-NOT-5: the city-level credential (district ``*``, role ``city_reader``) is accepted
    by every district for the methods declared ``READ`` — the one legitimate cross-district caller —
    and refused everything else, even when the token also lists every other role."""
    city = issue_token(auth_secret, "command-centre", CITY_WIDE, ALL_ROLES)
    calls = _calls(served_services())
    answers = await _bounded([invoke(district_channels[p], m, city) for _, p, m in calls])
    wrong = []
    for (service, process, method), answer in zip(calls, answers, strict=True):
        declared_read = service.access.rules[method.name] == READ
        denied = answer.code == grpc.StatusCode.PERMISSION_DENIED
        if declared_read:
            SUMMARY.setdefault(_label(service, process), Tally()).city_reads += 1
            if denied and "city-level credential" in answer.details:
                wrong.append(f"{path_of(method)} is declared READ but refused: {answer.details}")
        elif not (denied and "city-level credential only reads" in answer.details):
            wrong.append(f"{process} {path_of(method)}: {answer.code.name} {answer.details}")
    assert not wrong, "\n".join(wrong)


async def test_this_districts_credential_with_the_declared_roles_is_not_refused(
    district_channels: dict[str, grpc.aio.Channel], auth_secret: str, codes: Codes
) -> None:
    """The control: the same calls with this district's credential holding the roles each method
    declares pass the district scope and the declared rule — whatever the use case then answers to
    an empty request (INVALID_ARGUMENT, NOT_FOUND, OK, …), it is not PERMISSION_DENIED."""
    calls = _calls(served_services())

    def token_for_rule(service: ServedService, method: MethodDescriptor) -> str:
        roles = service.access.rules[method.name].roles
        return issue_token(
            auth_secret, "test-officer", codes.district, sorted(roles) if roles else [Role.OFFICER]
        )

    answers = await _bounded(
        [invoke(district_channels[p], m, token_for_rule(s, m), timeout_s=10.0) for s, p, m in calls]
    )
    wrong = []
    for (service, process, method), answer in zip(calls, answers, strict=True):
        tally = SUMMARY.setdefault(_label(service, process), Tally())
        tally.codes[answer.code.name] = tally.codes.get(answer.code.name, 0) + 1
        if answer.code == grpc.StatusCode.PERMISSION_DENIED and path_of(method) not in RECORD_RULES:
            wrong.append(f"{process} {path_of(method)}: {answer.details}")
        elif answer.code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNIMPLEMENTED):
            wrong.append(f"{process} {path_of(method)}: {answer.code.name} {answer.details}")
        else:
            tally.own_answered += 1
    answered = {name: t.codes for name, t in sorted(SUMMARY.items())}
    print("\nown district's answers to empty requests:", answered)
    assert not wrong, "own district's caller refused:\n" + "\n".join(wrong)


async def test_invalid_credentials_are_unauthenticated_on_every_rpc(
    district_channels: dict[str, grpc.aio.Channel], auth_secret: str, codes: Codes
) -> None:
    """ADR 0008: an expired token, one signed with another key, a hand-built ``alg: none`` token, a
    city-wide district without the city_reader role, garbage, and no token at all: UNAUTHENTICATED on
    every RPC of every process (the credential is checked before anything else)."""
    roles = [str(r) for r in ALL_ROLES]
    bad: dict[str, str | None] = {
        "expired": issue_token(auth_secret, "late", codes.district, ALL_ROLES, ttl_s=-120),
        "wrong key": issue_token("another-district-key-" + "x" * 24, "forger", codes.district, ALL_ROLES),
        "alg none": unsigned_token(codes.district, roles),
        "'*' without city_reader": issue_token(auth_secret, "forger", CITY_WIDE, [Role.SUPERVISOR]),
        "garbage": "not-a-jwt",
        "missing": None,
    }
    calls = _calls(served_services())
    answers = await _bounded(
        [invoke(district_channels[p], m, token) for _, p, m in calls for token in bad.values()]
    )
    wrong = []
    for i, (service, process, method) in enumerate(calls):
        tally = SUMMARY.setdefault(_label(service, process), Tally())
        for j, kind in enumerate(bad):
            answer = answers[i * len(bad) + j]
            if answer.code == grpc.StatusCode.UNAUTHENTICATED:
                tally.unauthenticated += 1
            else:
                wrong.append(f"{process} {path_of(method)} [{kind}]: {answer.code.name} {answer.details}")
    assert not wrong, "\n".join(wrong)


# --- personal data: masking and audit (R-POP-6) -------------------------------------------------------

# Field names that carry a person's identity or phone number. ``terminal_phone`` is a vehicle
# terminal's SIM number in the JT/T 808 header (R-TEL-2), not a person's.
NOT_PERSONAL = frozenset({"terminal_phone"})


def _is_personal(field_name: str) -> bool:
    return field_name not in NOT_PERSONAL and (field_name == "id_number" or field_name.endswith("phone"))


def personal_paths(message: Descriptor, prefix: str = "", seen: frozenset[str] = frozenset()) -> set[str]:
    """Every field path of ``message`` whose field carries personal data (``residents[].id_number``)."""
    found = set()
    for f in message.fields:
        path = f"{prefix}{f.name}{'[]' if f.is_repeated else ''}"
        if f.message_type is not None:
            if f.message_type.full_name not in seen:
                found |= personal_paths(f.message_type, path + ".", seen | {message.full_name})
        elif f.type == FieldDescriptor.TYPE_STRING and _is_personal(f.name):
            found.add(path)
    return found


@dataclass(frozen=True)
class PersonalRead:
    """How one RPC's response shows personal data, and where its unmasked reads are audited."""

    paths: frozenset[str]
    shown_to: str  # who gets the numbers unmasked
    audit: str  # where each unmasked answer is recorded


_POP = "jingwu.population.v1.PopulationService/"
_PER = "jingwu.personnel.v1.PersonnelService/"
_NOT = "jingwu.notification.v1.NotificationService/"
_UNMASK = "pii_reader asking access.unmask with a purpose (domain.privacy)"
_NEVER = "nobody: a write's answer is always masked (proto_mapping NO_DISCLOSURE)"
_POP_AUDIT = "population audit chain (ListUnmaskedReads)"
_PER_AUDIT = "personnel unmasked_reads + OfficerDataReadUnmasked on jingwu.<d>.personnel.v1"
_OWNER = "the matter's owner officer or a pii_reader (matters.may_see_phone)"
_NOT_PII = "a pii_reader (holding a room-staff role, the RPC's rule)"
_NOT_AUDIT = "notification unmasked_reads + ResidentDataReadUnmasked on jingwu.<d>.notification.v1"
_RESIDENT = frozenset({"resident.id_number", "resident.phone"})
_OFFICER = frozenset({"officer.id_number", "officer.phone"})
_PLACE = frozenset({"place.contact_phone"})
_MATTER = frozenset({"entrusted_matter.resident_phone"})
# R-POP-6: every RPC whose answer carries an identity or phone number. The test below fails when a
# response type gains such a field and its RPC is not here (or when an entry no longer carries one).
PERSONAL_READS: dict[str, PersonalRead] = {
    _POP + "GetHouse": PersonalRead(
        frozenset(
            {
                "residents[].id_number",
                "residents[].phone",
                "registered_living_elsewhere[].id_number",
                "registered_living_elsewhere[].phone",
            }
        ),
        _UNMASK,
        _POP_AUDIT,
    ),
    _POP + "GetResident": PersonalRead(_RESIDENT, _UNMASK, _POP_AUDIT),
    _POP + "ListResidents": PersonalRead(
        frozenset({"residents[].id_number", "residents[].phone"}), _UNMASK, _POP_AUDIT
    ),
    _POP + "SearchResidents": PersonalRead(
        frozenset({"residents[].id_number", "residents[].phone"}), _UNMASK, _POP_AUDIT
    ),
    _POP + "ExportResidents": PersonalRead(
        frozenset({"residents[].id_number", "residents[].phone"}), "auditor (declared)", _POP_AUDIT
    ),
    _POP + "MoveInResident": PersonalRead(_RESIDENT, _NEVER, _POP_AUDIT),
    _POP + "MoveOutResident": PersonalRead(_RESIDENT, _NEVER, _POP_AUDIT),
    _POP + "UpdateResident": PersonalRead(_RESIDENT, _NEVER, _POP_AUDIT),
    _POP + "ChangeResidentCategory": PersonalRead(_RESIDENT, _NEVER, _POP_AUDIT),
    _POP + "RegisterPlace": PersonalRead(_PLACE, _NEVER, _POP_AUDIT),
    _POP + "RecordPlaceInspection": PersonalRead(_PLACE, _NEVER, _POP_AUDIT),
    _POP + "GetPlace": PersonalRead(_PLACE, _UNMASK, _POP_AUDIT),
    _POP + "ListPlaces": PersonalRead(frozenset({"places[].contact_phone"}), _NEVER, _POP_AUDIT),
    _PER + "RegisterOfficer": PersonalRead(_OFFICER, "pii_reader", _PER_AUDIT),
    _PER + "GetOfficer": PersonalRead(_OFFICER, "pii_reader", _PER_AUDIT),
    _PER + "ListOfficers": PersonalRead(
        frozenset({"officers[].id_number", "officers[].phone"}), "pii_reader", _PER_AUDIT
    ),
    _PER + "UpdateOfficer": PersonalRead(_OFFICER, "pii_reader", _PER_AUDIT),
    _PER + "DeactivateOfficer": PersonalRead(_OFFICER, "pii_reader", _PER_AUDIT),
    _NOT + "EntrustMatter": PersonalRead(_MATTER, _OWNER, _NOT_AUDIT),
    _NOT + "AnswerMatter": PersonalRead(_MATTER, _OWNER, _NOT_AUDIT),
    _NOT + "ListOpenMatters": PersonalRead(frozenset({"matters[].resident_phone"}), _OWNER, _NOT_AUDIT),
    _NOT + "GetMatter": PersonalRead(_MATTER, _OWNER, _NOT_AUDIT),
    _NOT + "RecordSatisfaction": PersonalRead(_MATTER, _OWNER, _NOT_AUDIT),
    _NOT + "BookAppointment": PersonalRead(frozenset({"appointment.resident_phone"}), _NOT_PII, _NOT_AUDIT),
    _NOT + "ListAppointments": PersonalRead(
        frozenset({"appointments[].resident_phone"}), _NOT_PII, _NOT_AUDIT
    ),
}


def test_every_response_carrying_personal_data_is_in_the_table() -> None:
    found = {
        f"{s.name}/{m.name}": frozenset(paths)
        for s in served_services()
        for m in s.descriptor.methods
        if (paths := personal_paths(m.output_type))
    }
    missing = sorted(set(found) - set(PERSONAL_READS))
    stale = sorted(set(PERSONAL_READS) - set(found))
    assert not missing, f"answers carrying personal data, not in PERSONAL_READS: {missing}"
    assert not stale, f"PERSONAL_READS entries whose answers carry no personal data: {stale}"
    for name, read in PERSONAL_READS.items():
        assert read.paths == found[name], (
            f"{name}: table {sorted(read.paths)} != contract {sorted(found[name])}"
        )


ID_NUMBER = "341302198803150411"
PHONE = "13905571234"
MASKED_ID = ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[-4:]
MASKED_PHONE = PHONE[:3] + "****" + PHONE[-4:]
PURPOSE = "核查走访对象"


def _method(service: str, name: str) -> MethodDescriptor:
    return next(s for s in served_services() if s.name == service).descriptor.methods_by_name[name]


def _masked(value: str) -> bool:
    return "*" in value and value not in (ID_NUMBER, PHONE) and value[-4:] in (ID_NUMBER[-4:], PHONE[-4:])


def _events_of(records: list[Record], message_type: type[M]) -> list[M]:
    name = message_type.DESCRIPTOR.full_name
    return [message_type.FromString(r.value or b"") for r in records if r.headers.get("ce_type") == name]


def _values(message: Message, path: str) -> list[str]:
    head, _, rest = path.partition(".")
    name = head.removesuffix("[]")
    value = getattr(message, name)
    items = list(value) if head.endswith("[]") else [value]
    if not rest:
        return [str(v) for v in items]
    return [v for item in items for v in _values(item, rest)]


async def test_personal_data_is_masked_for_every_role_but_pii_reader_and_every_unmasked_read_audited(
    district_channels: dict[str, grpc.aio.Channel], auth_secret: str, codes: Codes, kafka_bootstrap: str
) -> None:
    """R-POP-6, every role of ``Role`` alone (and the city-level credential listing every role): the
    resident and officer reads answer masked numbers, and audit nothing; asked to unmask, only the
    pii_reader gets the numbers — each such answer audited first — and every other role is refused.
    Notification's matters and appointments (room staff only): the phone unmasked to the matter's owner
    officer and to a pii_reader holding a room-staff role, each such answer audited, none other."""
    population, personnel = district_channels["population"], district_channels["personnel"]
    notification = district_channels["notification"]
    keeper = issue_token(auth_secret, "keeper", codes.district, [Role.SUPERVISOR])
    house = await invoke(
        population,
        _method("jingwu.population.v1.PopulationService", "RegisterHouse"),
        keeper,
        pop_pb.RegisterHouseRequest(
            standard_address="宿州市埇桥区汴河街道隔离社区汴河路3号",
            location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
            zone_code=f"{codes.district}030201",
            request_id="isolation-house",
        ),
    )
    assert house.code == grpc.StatusCode.OK, house.details
    house_id = house.response.house.house_id  # type: ignore[union-attr]
    moved = await invoke(
        population,
        _method("jingwu.population.v1.PopulationService", "MoveInResident"),
        keeper,
        pop_pb.MoveInResidentRequest(
            house_id=house_id,
            name="隔离测",
            id_number=ID_NUMBER,
            phone=PHONE,
            relation=pop_pb.RELATION_HOUSEHOLDER,
            category=pop_pb.RESIDENT_CATEGORY_REGISTERED,
            request_id="isolation-resident",
        ),
    )
    assert moved.code == grpc.StatusCode.OK, moved.details
    resident = moved.response.resident  # type: ignore[union-attr]
    assert (resident.id_number, resident.phone) == (MASKED_ID, MASKED_PHONE)  # a write's answer: masked
    registered = await invoke(
        personnel,
        _method("jingwu.personnel.v1.PersonnelService", "RegisterOfficer"),
        keeper,
        per_pb.RegisterOfficerRequest(
            name="隔离警",
            roles=[per_pb.OFFICER_ROLE_POLICE, per_pb.OFFICER_ROLE_COMMUNITY_OFFICER],
            branch=per_pb.BRANCH_STATION,
            station_id="st-isolation",
            badge_number="031234",
            id_number=ID_NUMBER,
            phone=PHONE,
            request_id="isolation-officer",
        ),
    )
    assert registered.code == grpc.StatusCode.OK, registered.details
    officer_id = registered.response.officer.officer_id  # type: ignore[union-attr]

    def access(unmask: bool) -> pop_pb.PersonalDataAccess:
        return pop_pb.PersonalDataAccess(unmask=unmask, purpose=PURPOSE if unmask else "")

    population_reads: dict[str, Callable[[bool], Message]] = {
        "GetResident": lambda u: pop_pb.GetResidentRequest(
            resident_id=resident.resident_id, access=access(u)
        ),
        "ListResidents": lambda u: pop_pb.ListResidentsRequest(house_id=house_id, access=access(u)),
        "SearchResidents": lambda u: pop_pb.SearchResidentsRequest(name="隔离测", access=access(u)),
        "GetHouse": lambda u: pop_pb.GetHouseRequest(house_id=house_id, access=access(u)),
    }
    personnel_reads: dict[str, Message] = {
        "GetOfficer": per_pb.GetOfficerRequest(officer_id=officer_id),
        "ListOfficers": per_pb.ListOfficersRequest(station_id="st-isolation"),
    }
    callers = {str(role): issue_token(auth_secret, f"reader-{role}", codes.district, [role]) for role in Role}
    callers["city-wide, every role"] = issue_token(auth_secret, "reader-city", CITY_WIDE, ALL_ROLES)
    rows: list[str] = []
    wrong: list[str] = []
    for who, token in callers.items():
        pii = who == Role.PII_READER
        for name, build in population_reads.items():
            method = _method("jingwu.population.v1.PopulationService", name)
            read = PERSONAL_READS[_POP + name]
            masked = await invoke(population, method, token, build(False))
            shown = (
                {v for p in read.paths for v in _values(masked.response, p) if v}
                if masked.response
                else set()
            )
            if masked.code != grpc.StatusCode.OK or not shown <= {MASKED_ID, MASKED_PHONE} or not shown:
                wrong.append(f"{who} {name} masked: {masked.code.name} {masked.details} {shown}")
            unmasked = await invoke(population, method, token, build(True))
            got = (
                {v for p in read.paths for v in _values(unmasked.response, p)} if unmasked.response else set()
            )
            if pii and not (unmasked.code == grpc.StatusCode.OK and {ID_NUMBER, PHONE} <= got):
                wrong.append(f"{who} {name} unmask: {unmasked.code.name} {unmasked.details} {got}")
            if not pii and unmasked.code != grpc.StatusCode.PERMISSION_DENIED:
                wrong.append(f"{who} {name} unmask answered {unmasked.code.name}: {got}")
            rows.append(
                f"{who:<22} population.{name:<16} masked={masked.code.name} unmask={unmasked.code.name}"
            )
        for name, request in personnel_reads.items():
            method = _method("jingwu.personnel.v1.PersonnelService", name)
            read = PERSONAL_READS[_PER + name]
            answer = await invoke(personnel, method, token, request)
            got = {v for p in read.paths for v in _values(answer.response, p)} if answer.response else set()
            # personnel masks in its own style (341***********0411): masked = not the number, last 4 kept
            ok = got == {ID_NUMBER, PHONE} if pii else len(got) == 2 and all(_masked(v) for v in got)
            if answer.code != grpc.StatusCode.OK or not ok:
                wrong.append(f"{who} {name}: {answer.code.name} {answer.details} {got} (pii_reader: {pii})")
            rows.append(
                f"{who:<22} personnel.{name:<17} {'unmasked' if got == {ID_NUMBER, PHONE} else 'masked'}"
            )
    assert not wrong, "\n".join(wrong)

    # The population audit chain: one entry per unmasked answer, all the pii_reader's, none for others.
    auditor = issue_token(auth_secret, "auditor", codes.district, [Role.AUDITOR])
    trail = await invoke(
        population,
        _method("jingwu.population.v1.PopulationService", "ListUnmaskedReads"),
        auditor,
        pop_pb.ListUnmaskedReadsRequest(
            resident_id=resident.resident_id, page=common_pb2.PageRequest(page_size=100)
        ),
    )
    assert trail.code == grpc.StatusCode.OK, trail.details
    entries = list(trail.response.unmasked_reads)  # type: ignore[union-attr]
    by_reader = sorted({e.reader_id for e in entries})
    assert by_reader == ["reader-pii_reader"], by_reader
    audited = sorted(e.method.rsplit("/", 1)[-1] for e in entries)
    assert audited == sorted(population_reads), audited
    assert all(e.purpose == PURPOSE and {"id_number", "phone"} <= set(e.fields) for e in entries)

    # The personnel trail, as published: the pii_reader's two reads, nobody else's.
    records = await read_topic(
        kafka_bootstrap,
        f"jingwu.{codes.district}.personnel.v1",
        until=lambda rs: len(_events_of(rs, per_events_pb2.OfficerDataReadUnmasked)) >= len(personnel_reads),
    )
    reads = _events_of(records, per_events_pb2.OfficerDataReadUnmasked)
    assert sorted({r.reader_id for r in reads}) == ["reader-pii_reader"], reads
    assert sorted(r.method.rsplit("/", 1)[-1] for r in reads) == sorted(personnel_reads)

    # Notification: a matter owned by the officer caller, and an appointment, in a room of the district.
    phone_reads = await _notification_reads(notification, district_channels["rooms"], keeper, codes)
    owner, pii_staff = f"reader-{Role.OFFICER}", "reader-officer+pii_reader"
    not_callers = {
        **{str(role): (callers[str(role)], frozenset({role}), f"reader-{role}") for role in Role},
        "city-wide, every role": (callers["city-wide, every role"], frozenset({Role.CITY_READER}), ""),
        "officer+pii_reader": (
            issue_token(auth_secret, pii_staff, codes.district, [Role.OFFICER, Role.PII_READER]),
            frozenset({Role.OFFICER, Role.PII_READER}),
            pii_staff,
        ),
    }
    room_staff = {Role.OFFICER, Role.SUPERVISOR, Role.DISTRICT_ADMIN}
    expected_audits: list[tuple[str, str]] = []
    for who, (token, roles, subject) in not_callers.items():
        for name, request in phone_reads.items():
            answer = await invoke(notification, _method(_NOT.rstrip("/"), name), token, request)
            paths = PERSONAL_READS[_NOT + name].paths
            got = {v for p in paths for v in _values(answer.response, p)} if answer.response else set()
            sees = Role.PII_READER in roles or (name != "ListAppointments" and subject == owner)
            if not roles & room_staff:
                ok = answer.code == grpc.StatusCode.PERMISSION_DENIED
            else:
                ok = answer.code == grpc.StatusCode.OK and (
                    got == {PHONE} if sees else len(got) == 1 and all(_masked(v) for v in got)
                )
                expected_audits += [(subject, name)] if sees else []
            if not ok:
                wrong.append(f"{who} notification.{name}: {answer.code.name} {answer.details} {got}")
            seen = "unmasked" if got == {PHONE} else "masked" if got else answer.code.name
            rows.append(f"{who:<22} notification.{name:<14} {seen}")
    assert not wrong, "\n".join(wrong)
    assert sorted(expected_audits) == sorted(
        [(reader, name) for reader in (owner, pii_staff) for name in ("GetMatter", "ListOpenMatters")]
        + [(pii_staff, "ListAppointments")]
    )

    # The notification trail, as published: one event per unmasked answer, nobody else's.
    published = await read_topic(
        kafka_bootstrap,
        f"jingwu.{codes.district}.notification.v1",
        until=lambda rs: len(_events_of(rs, not_events_pb2.ResidentDataReadUnmasked)) >= len(expected_audits),
    )
    phone_audits = _events_of(published, not_events_pb2.ResidentDataReadUnmasked)
    audited_reads = sorted((r.reader_id, r.method.rsplit("/", 1)[-1]) for r in phone_audits)
    assert audited_reads == sorted(expected_audits), audited_reads
    assert all(list(r.fields) == ["resident_phone"] for r in phone_audits)
    print("\nPersonal data by role (R-POP-6):\n  " + "\n  ".join(rows))
    print(
        f"  audit: population {len(entries)} entries, personnel {len(reads)} events, by reader-pii_reader;"
        f"\n  notification {len(phone_audits)} events, by {owner} (the owner) and {pii_staff}"
    )


async def _notification_reads(
    notification: grpc.aio.Channel, rooms: grpc.aio.Channel, keeper: str, codes: Codes
) -> dict[str, Message]:
    """A room (opened in the registry, learnt by notification from RoomOpened), a matter in it owned by
    ``reader-officer`` and an appointment, both entered by the keeper (answers masked); the reads."""
    opened = await invoke(
        rooms,
        _method("jingwu.rooms.v1.RoomRegistryService", "OpenRoom"),
        keeper,
        open_request(codes.district),
    )
    assert opened.code == grpc.StatusCode.OK, opened.details
    room_id = opened.response.room.room_id  # type: ignore[union-attr]
    entrust = not_pb.EntrustMatterRequest(
        room_id=room_id,
        resident_name="隔离测",
        resident_phone=PHONE,
        description="楼道堆物",
        owner_officer_id=f"reader-{Role.OFFICER}",
        request_id="isolation-matter",
    )
    entrusted: list[Answer] = []

    async def room_known() -> bool:  # notification learns the room from its RoomOpened
        answer = await invoke(notification, _method(_NOT.rstrip("/"), "EntrustMatter"), keeper, entrust)
        entrusted.append(answer)
        return answer.code == grpc.StatusCode.OK

    await wait_until(room_known, timeout_s=60, what="notification learns the room")
    matter = entrusted[-1].response.entrusted_matter  # type: ignore[union-attr]
    assert _masked(matter.resident_phone), matter.resident_phone  # the keeper is neither owner nor pii
    booking = not_pb.BookAppointmentRequest(
        room_id=room_id,
        resident_name="隔离测",
        resident_phone=PHONE,
        topic="办理居住证",
        request_id="isolation-a",
    )
    booking.start_time.GetCurrentTime()
    booking.start_time.seconds += 2 * 86400
    booked = await invoke(notification, _method(_NOT.rstrip("/"), "BookAppointment"), keeper, booking)
    assert booked.code == grpc.StatusCode.OK, booked.details
    return {
        "GetMatter": not_pb.GetMatterRequest(matter_id=matter.matter_id),
        "ListOpenMatters": not_pb.ListOpenMattersRequest(room_id=room_id),
        "ListAppointments": not_pb.ListAppointmentsRequest(room_id=room_id),
    }
