"""Helpers of the two-district proof (e2e/test_two_districts.py): the city's telemetry gateways serving
both districts, one district's clients, a ledger file built in memory, a city-level webhook receiver
and a plain Kafka reader of both districts' domain topics."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import grpc
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from jingwu.notification.v1 import notification_pb2_grpc, subscriptions_pb2_grpc
from jingwu.patrol.v1 import patrol_pb2_grpc
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu.population.v1 import population_pb2, population_pb2_grpc
from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu.telemetry.v1 import telemetry_pb2_grpc
from jingwu_devstack.procs import free_port
from jingwu_platform.auth import Role
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.testing import token_for, wait_caught_up
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from .district_stack import DistrictStack


@dataclass
class Clients:
    """One district's services, called as its administrator (``channel``) or as one of its officers
    (``as_officer``: LogVisit and the room staff's calls take the acting officer from the credential)."""

    stack: DistrictStack
    secret: str
    _channels: list[grpc.aio.Channel] = field(default_factory=list)
    _officers: dict[tuple[str, str], grpc.aio.Channel] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.stack.district

    @property
    def targets(self) -> list[str]:
        return list(self.stack.targets.values())

    @property
    def admin_token(self) -> str:
        return token_for(self.secret, self.code, Role.DISTRICT_ADMIN, subject=f"chief-{self.code}")

    def channel(self, service: str) -> grpc.aio.Channel:
        opened = open_channel(self.stack.targets[service], self.admin_token)
        self._channels.append(opened)
        return opened

    def as_officer(self, service: str, officer_id: str) -> grpc.aio.Channel:
        key = (service, officer_id)
        if key not in self._officers:
            token = token_for(self.secret, self.code, Role.OFFICER, subject=officer_id)
            self._officers[key] = open_channel(self.stack.targets[service], token)
        return self._officers[key]

    def __post_init__(self) -> None:
        self.rooms = rooms_pb2_grpc.RoomRegistryServiceStub(self.channel("rooms"))
        self.personnel = personnel_pb2_grpc.PersonnelServiceStub(self.channel("personnel"))
        self.population = population_pb2_grpc.PopulationServiceStub(self.channel("population"))
        self.telemetry = telemetry_pb2_grpc.TelemetryServiceStub(self.channel("telemetry"))
        self.patrol = patrol_pb2_grpc.PatrolServiceStub(self.channel("patrol"))
        self.notification = notification_pb2_grpc.NotificationServiceStub(self.channel("notification"))
        self.subscriptions = subscriptions_pb2_grpc.SubscriptionServiceStub(self.channel("notification"))

    async def caught_up(self) -> None:
        await wait_caught_up(self.targets, self.admin_token, timeout_s=90)

    async def close(self) -> None:
        for opened in [*self._channels, *self._officers.values()]:
            await opened.close()


async def all_caught_up(districts: Sequence[Clients]) -> None:
    """Every process of every district caught up (GetStatus), never a sleep."""
    await asyncio.gather(*(d.caught_up() for d in districts))


# -- the ledger (一标三实 export, jingwu_population.domain.ledger's headings) -----------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(born: date, sequence: int, region: str = "341302") -> str:
    """A citizen identity number with its GB 11643 check digit."""
    body = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class LedgerHouse:
    address: str
    longitude: float
    latitude: float
    zone_code: str
    village_id: str
    residents: tuple[str, ...]  # names; the first is the householder


@dataclass(frozen=True)
class Ledger:
    name: str
    rows: list[dict[str, str]]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.csv_bytes()).hexdigest()

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(self.rows[0]))
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue().encode()


def ledger(name: str, houses: Iterable[LedgerHouse], *, first_sequence: int) -> Ledger:
    rows = []
    sequence = first_sequence
    for number, house in enumerate(houses, start=1):
        for member, person in enumerate(house.residents):
            sequence += 2
            rows.append(
                {
                    "标准地址": house.address,
                    "经度": f"{house.longitude:.6f}",
                    "纬度": f"{house.latitude:.6f}",
                    "警务区编码": house.zone_code,
                    "社区村编码": house.village_id,
                    "房屋类别": "住宅",
                    "户号": f"H{house.zone_code}{number:03d}",
                    "与户主关系": "户主" if member == 0 else "配偶",
                    "姓名": person,
                    "公民身份号码": id_number(date(1970 + member, 3, 1 + number), sequence),
                    "人口类别": "户籍",
                }
            )
    return Ledger(name, rows)


async def import_ledger(
    population: population_pb2_grpc.PopulationServiceAsyncStub, file: Ledger
) -> population_pb2.LedgerImport:
    """The client side of ``jingwu import``: start, one chunk, commit (all or nothing, R-POP-1)."""
    started = await population.StartLedgerImport(
        population_pb2.StartLedgerImportRequest(
            file_name=file.name, file_sha256=file.sha256, rows_expected=len(file.rows), chunks_expected=1
        )
    )
    import_id = started.ledger_import.import_id
    await population.UploadLedgerRows(
        population_pb2.UploadLedgerRowsRequest(
            import_id=import_id,
            chunk_index=0,
            rows=[population_pb2.LedgerRow(row_number=n, cells=row) for n, row in enumerate(file.rows, 2)],
        )
    )
    committed = await population.CommitLedgerImport(
        population_pb2.CommitLedgerImportRequest(import_id=import_id)
    )
    return committed.ledger_import


# -- the city-level subscriber ------------------------------------------------------------------------


@dataclass
class Hook:
    district: str  # the district whose subscription it came through (its path)
    message_id: str
    payload: dict[str, Any]

    @property
    def event_type(self) -> str:
        return str(self.payload["type"])

    @property
    def envelope(self) -> dict[str, Any]:
        envelope: dict[str, Any] = self.payload["data"]
        return envelope


@dataclass
class CityWebhookReceiver:
    """One HTTP endpoint of the command centre, a path per district subscription, each request
    verified with that subscription's secret (Standard Webhooks) and deduplicated on webhook-id."""

    port: int = field(default_factory=free_port)
    secrets: dict[str, str] = field(default_factory=dict)
    hooks: list[Hook] = field(default_factory=list)
    refused: int = 0
    _runner: web.AppRunner | None = None

    def url(self, district: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{district}"

    async def _handle(self, request: web.Request) -> web.Response:
        district = request.match_info["district"]
        body = await request.read()
        try:
            payload = Webhook(self.secrets[district]).verify(body, dict(request.headers))
        except (KeyError, WebhookVerificationError):
            self.refused += 1
            return web.Response(status=401)
        message_id = request.headers["webhook-id"]
        if all(h.message_id != message_id for h in self.hooks):
            self.hooks.append(Hook(district, message_id, payload))
        return web.Response(status=204)

    def of(self, district: str) -> list[Hook]:
        return [h for h in self.hooks if h.district == district]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/{district}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@dataclass(frozen=True)
class TopicRecord:
    topic: str
    event_type: str
    district: str
    key: str
    value: bytes


@dataclass
class CityTopicReader:
    """A plain Kafka consumer of its own group, subscribed by pattern to every domain topic
    ``jingwu.<district>.<service>.v1`` of the given districts (as a Kafka subscription's
    ``topic_pattern`` says a subscriber reads), from the beginning."""

    bootstrap: str
    districts: Sequence[str]
    records: list[TopicRecord] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def pattern(self) -> str:
        return rf"^jingwu\.({'|'.join(self.districts)})\.[a-z]+\.v1$"

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=f"city-command-centre-{uuid.uuid4()}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            metadata_max_age_ms=1000,  # topics created after the start are found within a second
        )
        consumer.subscribe(pattern=self.pattern)
        await consumer.start()
        self._consumer = consumer
        self._task = asyncio.create_task(self._read(consumer))

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                for r in batch:
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or ())}
                    self.records.append(
                        TopicRecord(
                            topic=r.topic,
                            event_type=headers.get("ce_type", ""),
                            district=headers.get("ce_district", ""),
                            key=(r.key or b"").decode("utf-8", "replace"),
                            value=r.value or b"",
                        )
                    )

    def of(self, district: str) -> list[TopicRecord]:
        topic = re.compile(rf"^jingwu\.{district}\.[a-z]+\.v1$")
        return [r for r in self.records if topic.match(r.topic)]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
