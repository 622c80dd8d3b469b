"""Isolation as a broker enforces it (R-POP-6, ADR 0024): a real Kafka 4.1.2 broker (KRaft, the project's
jars, jingwu_devstack.stack.kafka_spec) with the StandardAuthorizer, SASL/PLAIN on every listener, no
super user but ``admin`` and nothing allowed where no ACL is found. The operator's own code provisions
districts 01 and 02 as ``admin``, as its handler does (kafka_admin.ensure_district: ensure_topics, then
ensure_acls); then each district, as its own principal, round-trips a record on its own topic in its
own group, and is refused producing to, reading from, or joining a consumer group of the other
district. test_isolation_rendering checks the bindings sent; this checks what they allow. Why
SASL/PLAIN here: docs/adr/0054.

The credentials are made at test time (random passwords, in the broker's config in a temp dir)."""

from __future__ import annotations

import asyncio
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from aiokafka.protocol.admin import DescribeAclsRequest
from aiokafka.protocol.fetch import FetchRequest
from jingwu_devstack.fetch import ensure_kafka
from jingwu_devstack.procs import Supervisor, free_ports
from jingwu_devstack.stack import HOST, kafka_spec
from jingwu_operator import kafka_admin, naming
from jingwu_operator.spec import DistrictSpec, parse
from jingwu_platform.events import domain_topic

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

CODES = ("01", "02")
ADMIN = "admin"
LISTENER = "SASL_PLAINTEXT"
PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
WAIT_S = 30.0


def sasl_user(code: str) -> str:
    """The SASL/PLAIN username of a district: Kafka's default principal builder makes ``User:<username>``
    of it, which must be the principal the operator grants to."""
    kind, _, name = naming.kafka_principal(code).partition(":")
    assert kind == "User", naming.kafka_principal(code)
    return name


def jaas(login: str, passwords: dict[str, str]) -> str:
    """A listener's JAAS config: the users it accepts, and the one the broker itself logs in as."""
    users = " ".join(f'user_{name}="{password}"' for name, password in passwords.items())
    return f'{PLAIN_LOGIN} required username="{login}" password="{passwords[login]}" {users};'


def secured_properties(port: int, controller_port: int, passwords: dict[str, str]) -> dict[str, str]:
    """An authorizing broker: SASL/PLAIN on the client and the controller listener (the broker reaches its
    own controller as ``admin``, so no unauthenticated principal needs to be a super user)."""
    return {
        "listeners": f"{LISTENER}://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"{LISTENER}://{HOST}:{port}",
        "listener.security.protocol.map": f"{LISTENER}:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name": LISTENER,
        "sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "sasl.mechanism.controller.protocol": "PLAIN",
        f"listener.name.{LISTENER.lower()}.plain.sasl.jaas.config": jaas(ADMIN, passwords),
        "listener.name.controller.plain.sasl.jaas.config": jaas(ADMIN, {ADMIN: passwords[ADMIN]}),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN}",
        "allow.everyone.if.no.acl.found": "false",
    }


def district(code: str) -> DistrictSpec:
    """A District of the operator's defaults (partitions, retention)."""
    return parse({"code": code, "names": {"chinese": "埇桥分局", "pinyin": "yongqiao"}})


@dataclass(frozen=True)
class SecuredKafka:
    bootstrap: str
    passwords: dict[str, str]

    def login(self, user: str) -> dict[str, Any]:
        """aiokafka client options authenticating as ``user``."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "PLAIN",
            "sasl_plain_username": user,
            "sasl_plain_password": self.passwords[user],
            "request_timeout_ms": 10_000,
        }


@pytest.fixture(scope="module")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    passwords = {user: secrets.token_urlsafe(24) for user in (ADMIN, *map(sasl_user, CODES))}
    port, controller_port = free_ports(2)
    spec = kafka_spec(
        ensure_kafka(sys.stderr).path,
        tmp_path_factory.mktemp("kafka-acls"),
        port,
        controller_port,
        extra_properties=secured_properties(port, controller_port, passwords),
    )
    with Supervisor(out=sys.stderr) as supervisor:
        supervisor.start(replace(spec, name="acl-kafka"))
        yield SecuredKafka(f"{HOST}:{port}", passwords)


Binding = tuple[int, str, int, str, str, int, int]


def bindings_of(code: str) -> set[Binding]:
    """What the operator should leave on the broker for a district: ALLOW (3) ALL (2) from any host on
    the PREFIXED (4) topic (2) and group (3) prefixes, for its principal only."""
    principal = naming.kafka_principal(code)
    return {
        (2, naming.kafka_topic_prefix(code), 4, principal, "*", 2, 3),
        (3, naming.kafka_group_prefix(code), 4, principal, "*", 2, 3),
    }


async def stored_bindings(admin: AIOKafkaAdminClient) -> set[Binding]:
    """Every ACL binding the broker's authorizer holds (DescribeAcls, all filters ANY = 1)."""
    response = await admin._send_request(DescribeAclsRequest(1, None, 1, None, None, 1, 1))
    answer = response.to_object()
    assert answer["error_code"] == 0, answer
    bindings: set[Binding] = set()
    for r in answer["resources"]:
        resource = (r["resource_type"], r["resource_name"], r["resource_pattern_type"])
        bindings |= {
            (*resource, a["principal"], a["host"], a["operation"], a["permission_type"]) for a in r["acls"]
        }
    return bindings


@dataclass(frozen=True)
class Provisioned:
    reports: dict[str, kafka_admin.TopicsReport]
    bindings: set[Binding]


@pytest.fixture(scope="module")
async def provisioned(secured_kafka: SecuredKafka) -> Provisioned:
    """Both districts' topics and ACLs, made by the operator's code as ``admin``. CreateAcls answers once
    the controller has committed the bindings; the broker's authorizer applies them a moment later, so
    the tests start when DescribeAcls (answered by that authorizer) lists bindings for both."""
    admin = AIOKafkaAdminClient(client_id="jingwu-operator", **secured_kafka.login(ADMIN))
    await admin.start()
    reports = {}
    try:
        for code in CODES:
            reports[code] = await kafka_admin.ensure_district(admin, district(code))
        bindings = await wait_for(lambda: applied(admin), WAIT_S, "the ACLs applied")
    finally:
        await admin.close()
    return Provisioned(reports, bindings)


async def applied(admin: AIOKafkaAdminClient) -> set[Binding] | None:
    """The broker's bindings once it holds a topic and a group binding for each district's principal,
    whatever their names and patterns (those are for the tests to judge)."""
    bindings = await stored_bindings(admin)
    kinds = {(resource_type, principal) for resource_type, _, _, principal, *_ in bindings}
    wanted = {(kind, naming.kafka_principal(code)) for kind in (2, 3) for code in CODES}
    return bindings if kinds >= wanted else None


async def started(client: Any) -> Any:
    await client.start()
    return client


async def produce(kafka: SecuredKafka, code: str, topic: str, value: bytes) -> None:
    producer = await started(AIOKafkaProducer(**kafka.login(sasl_user(code)), acks="all"))
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, value), WAIT_S)
    finally:
        await producer.stop()


@pytest.fixture
async def consumer_of(secured_kafka: SecuredKafka) -> AsyncIterator[Any]:
    """``consumer_of(code, group)``: a started consumer as district ``code``'s principal in ``group``."""
    made: list[AIOKafkaConsumer] = []

    async def make(code: str, group: str) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            **secured_kafka.login(sasl_user(code)),
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        made.append(consumer)
        return await started(consumer)

    yield make
    for consumer in made:
        await consumer.stop()


def own_group(code: str) -> str:
    return f"{naming.kafka_group_prefix(code)}-rooms"


OTHERS = [("02", "01"), ("01", "02")]  # (district acting, district whose resources it tries)


async def test_the_operator_provisions_both_districts_as_admin(provisioned: Provisioned) -> None:
    # The broker holds exactly the prefixed bindings of the two principals: no wildcard, no other name.
    assert provisioned.bindings == bindings_of("01") | bindings_of("02")
    for code, report in provisioned.reports.items():
        assert report.created == naming.topics(code)
        assert report.acls == (
            f"ACLs: {naming.kafka_principal(code)} allowed on topics {naming.kafka_topic_prefix(code)}* "
            f"and groups {naming.kafka_group_prefix(code)}*"
        )


@pytest.mark.parametrize("code", CODES)
async def test_a_district_round_trips_a_record_on_its_own_topic_in_its_own_group(
    secured_kafka: SecuredKafka, provisioned: Provisioned, consumer_of: Any, code: str
) -> None:
    topic, value = domain_topic(code, "rooms"), uuid.uuid4().bytes
    await produce(secured_kafka, code, topic, value)
    consumer = await consumer_of(code, own_group(code))
    consumer.subscribe([topic])
    seen: list[bytes] = []
    while value not in seen:
        seen.append((await asyncio.wait_for(consumer.getone(), WAIT_S)).value)
    await consumer.commit()  # the group's position is written too (READ on the group)
    # Its principal sees its own topics and none of the other district's.
    visible = set(await consumer.topics())
    assert visible == set(naming.topics(code)), visible


@pytest.mark.parametrize(("code", "other"), OTHERS)
async def test_a_district_may_not_produce_to_another_districts_topic(
    secured_kafka: SecuredKafka, provisioned: Provisioned, code: str, other: str
) -> None:
    topic = domain_topic(other, "rooms")
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(secured_kafka, code, topic, b"from another district")


async def fetch(kafka: SecuredKafka, code: str, topic: str) -> tuple[set[int], int]:
    """A Fetch of every partition of ``topic`` from offset 0 as district ``code``'s principal, sent as is
    (aiokafka's consumer sends none for a topic the broker's Metadata answer refused): the partitions'
    error codes, and how many records they hold (the sum of their high watermarks)."""
    client = AIOKafkaClient(**kafka.login(sasl_user(code)))
    await client.bootstrap()
    try:
        partitions = [(partition, 0, 1 << 20) for partition in range(district(code).kafka.partitions)]
        request = FetchRequest(100, 1, 1 << 20, 0, [(topic, partitions)])
        response = await client.send(client.get_random_node(), request)
    finally:
        await client.close()
    # Every version's partition answer starts (partition, error_code, high watermark, …).
    found = [answer for _, answers in response.topics for answer in answers]
    return {answer[1] for answer in found}, sum(max(answer[2], 0) for answer in found)


@pytest.mark.parametrize(("code", "other"), OTHERS)
async def test_a_district_may_not_read_another_districts_topic(
    secured_kafka: SecuredKafka, provisioned: Provisioned, code: str, other: str
) -> None:
    topic = domain_topic(other, "rooms")
    await produce(secured_kafka, other, topic, b"the other district's own record")
    errors, records = await fetch(secured_kafka, other, topic)
    assert (errors, records > 0) == ({0}, True)  # the owner reads it with the same request …
    errors, records = await fetch(secured_kafka, code, topic)
    assert errors == {TopicAuthorizationFailedError.errno}  # … the other district is refused
    assert records == 0  # and learns nothing of it


@pytest.mark.parametrize(("code", "other"), OTHERS)
async def test_a_district_may_not_join_another_districts_consumer_group(
    provisioned: Provisioned, consumer_of: Any, code: str, other: str
) -> None:
    consumer = await consumer_of(code, own_group(other))
    consumer.subscribe([domain_topic(code, "rooms")])  # its own topic: only the group is refused
    with pytest.raises(GroupAuthorizationFailedError):
        await asyncio.wait_for(consumer.getone(), WAIT_S)
