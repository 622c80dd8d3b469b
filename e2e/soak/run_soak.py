"""``make soak``: the platform under steady load for a long while — does memory stay flat, does every
consumer keep up?

Starts its own Kafka and FerretDB (``jingwu_devstack.stack.start_stack``), demo district 01's six
services and the city's two telemetry gateways exactly as ``make run`` configures them
(``jingwu_devstack.run``: ``service_spec``, ``city_specs`` without the console, ``simulator_spec``), all
on free ports, with data and logs under ``<SOAK_OUT>/stack/`` (wiped first). Then the simulator fleet
(``jingwu-telemetry-sim``) at ``SOAK_DEVICES`` devices reporting at 1 Hz (a tenth of them handhelds over
HTTP, the rest JT/T 808 vehicles, a fifth of which go out of coverage now and then and backfill), and a
steady RPC load of ``SOAK_RPS`` calls a second across the services (reads: GetStatus, ListRooms,
GetLatestPositions, ListResidents, ListOfficers, ListVehicles, ListNotices; a write: PublishNotice).

After a warm-up (until the fleet's fixes are produced and stored at ≥ 90 % of its rate in two
consecutive intervals, at most ``SOAK_WARMUP_S``, default 900 s: a fleet starting at once registers
every terminal first), for ``SOAK_MINUTES`` (default 30), every ``SOAK_SAMPLE_S`` (default 10) seconds
it samples the RSS of every process (``/proc/<pid>/status`` VmRSS), the lag of every consumer group
(each service's GetStatus), the fix records produced to and stored from the fixes topic (end and
committed offsets of telemetry's fix consumer group), and the RPC answers and errors. Writes to
``SOAK_OUT`` (default ``.data/soak/``): ``memory.csv``, ``lag.csv``, ``rates.csv``, ``summary.md``, and
the charts ``memory.svg`` and ``lag.svg`` (to ``docs/soak/`` instead with ``SOAK_PUBLISH=1``). The
verdicts (``e2e/soak/verdict.py``), over the soak after the warm-up: memory flat per Jingwu process, lag
flat per group, fixes stored at ≥ 90 % of the fleet's rate, every process alive, no RPC error; and the
warm-up ended with the fleet at its rate. Exits 1 when one fails (2 when the stack did not start).

Why 50 devices by default, not the 20,000 the city needs: see ``DEFAULT_DEVICES``.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import importlib
import itertools
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: python e2e/soak/run_soak.py
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from jingwu.common.v1 import common_pb2  # noqa: E402
from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc  # noqa: E402
from jingwu.patrol.v1 import patrol_pb2, patrol_pb2_grpc  # noqa: E402
from jingwu.personnel.v1 import personnel_pb2, personnel_pb2_grpc  # noqa: E402
from jingwu.platform.v1 import status_pb2, status_pb2_grpc  # noqa: E402
from jingwu.population.v1 import population_pb2, population_pb2_grpc  # noqa: E402
from jingwu.rooms.v1 import rooms_pb2, rooms_pb2_grpc  # noqa: E402
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc  # noqa: E402
from jingwu_devstack.errors import DevstackError  # noqa: E402
from jingwu_devstack.procs import ProcessInfo, Supervisor, free_ports  # noqa: E402
from jingwu_devstack.stack import Endpoints, Ports, start_stack  # noqa: E402
from jingwu_platform.auth import Role, issue_token  # noqa: E402
from jingwu_platform.grpc_client import open_channel  # noqa: E402

from e2e.soak import plot, verdict  # noqa: E402

# Measured on this machine (2 cores, shared: up to three other Kafka + FerretDB stacks of other test
# sessions ran meanwhile, load average 10–18). The fix path does not bound the scale; telemetry's device
# lookups do. Every terminal registration (0x0100 relayed as RegisterTerminal) and every registration
# of a device (RegisterDevice) looks its device up by terminal phone, id and plate, and FerretDB v1 (SQLite
# backend) answers those with a scan of telemetry.devices (explain: "SCAN telemetry.devices_…",
# filterPushdown false: the indexes are not used), on the service's one store connection. So the cost
# of a registration grows with the devices already registered (6 ms for the first, 1.2 s at ~500), and
# a fleet starting at once registers its terminals in a storm the gateway's 10 s deadline turns into
# retries: 3,000 devices were not provisioned within 270 s (576 were); 500 were provisioned in 285 s but
# in the next 5 minutes 36 of 450 terminals got registered (8,382 reconnects) and telemetry answered
# GetStatus in 2 of 16 samples; at 150 the fix consumer stored 0–10 fixes/s for 4 minutes (lag rising
# to 3,121) with 220 registrations done. 50 devices run at their rate (49 of 50 fixes/s stored, lag ≤ 12,
# 0 RPC errors). So the default is 50, 400 times less than the city's 20,000.
DEFAULT_DEVICES = 50
DISTRICT = "01"
FIX_GROUP = f"jingwu-{DISTRICT}-telemetry-fixes"
SIMULATOR = f"telemetry-sim-{DISTRICT}"
# Processes whose memory is the platform's (the verdict); the rest (Kafka, FerretDB, the simulator)
# are sampled and drawn but not judged.
INFRA = ("kafka", "ferretdb")
CALL_TIMEOUT_S = 10.0
# Ports run.py reads from the environment (JINGWU_<NAME>_PORT) at import.
PORT_NAMES = (
    "rooms",
    "population",
    "personnel",
    "telemetry",
    "notification",
    "patrol",
    "resident_api",
    "console",
    "jt808",
    "handheld",
)


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class SoakConfig:
    minutes: float = 30.0
    sample_s: float = 10.0
    devices: int = DEFAULT_DEVICES
    rps: float = 4.0
    out: Path = ROOT / ".data" / "soak"
    publish: bool = False
    publish_dir: Path = ROOT / "docs" / "soak"
    memory_slope: float = verdict.MEMORY_SLOPE_MIB_PER_MIN
    warmup_s: float = 900.0

    @classmethod
    def from_env(cls) -> SoakConfig:
        out = os.environ.get("SOAK_OUT", "").strip()
        return cls(
            minutes=_env_float("SOAK_MINUTES", 30.0),
            sample_s=_env_float("SOAK_SAMPLE_S", 10.0),
            devices=int(_env_float("SOAK_DEVICES", DEFAULT_DEVICES)),
            rps=_env_float("SOAK_RPS", 4.0),
            out=Path(out).resolve() if out else ROOT / ".data" / "soak",
            publish=os.environ.get("SOAK_PUBLISH", "") == "1",
            memory_slope=_env_float("SOAK_MEMORY_SLOPE", verdict.MEMORY_SLOPE_MIB_PER_MIN),
            warmup_s=_env_float("SOAK_WARMUP_S", 900.0),
        )

    @property
    def handhelds(self) -> int:
        return self.devices // 10

    @property
    def vehicles(self) -> int:
        return self.devices - self.handhelds

    @property
    def lag_bound(self) -> float:
        """Records a group may be behind: 30 s of the whole fleet's fixes (at least 1,000)."""
        return max(1000.0, 30.0 * self.devices)

    @property
    def lag_slope(self) -> float:
        """Records/min a group's lag may rise by: falling behind by 1 s of the fleet's fixes a minute."""
        return max(60.0, float(self.devices))

    @property
    def chart_dir(self) -> Path:
        return self.publish_dir if self.publish else self.out


# --------------------------------------------------------------------------------------------------
# the platform


@dataclass(frozen=True)
class Platform:
    infra: Endpoints
    secret: str
    targets: dict[str, str]  # service → host:port
    stack_dir: Path

    def token(self) -> str:
        return issue_token(self.secret, "soak", DISTRICT, [Role.DISTRICT_ADMIN], ttl_s=7 * 24 * 3600)


def rss_mib(pid: int) -> float | None:
    """VmRSS of ``pid`` in MiB, None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def start_platform(sup: Supervisor, stack_dir: Path) -> Platform:
    """Kafka, FerretDB, the six services and the two gateways of ``make run``, on free ports."""
    if stack_dir.exists():
        shutil.rmtree(stack_dir)
    stack_dir.mkdir(parents=True)
    kafka, controller, mongo, *service_ports = free_ports(3 + len(PORT_NAMES))
    for name, port in zip(PORT_NAMES, service_ports, strict=True):
        os.environ[f"JINGWU_{name.upper()}_PORT"] = str(port)
    # run.py reads the ports at import: (re)import it now that they are set.
    from jingwu_devstack import run as devrun

    devrun = importlib.reload(devrun)
    infra = start_stack(sup, stack_dir, Ports(kafka, controller, mongo), out=sys.stdout)
    secret = devrun.auth_secret(stack_dir)
    for service in devrun.SERVICES:
        sup.start(devrun.service_spec(service, stack_dir, infra, secret))
    for spec in devrun.city_specs(stack_dir, infra, secret):
        if not spec.name.startswith("console"):
            sup.start(spec)
    targets = {service.name: f"{devrun.LOCAL}:{service.port}" for service in devrun.SERVICES}
    return Platform(infra, secret, targets, stack_dir)


def start_fleet(sup: Supervisor, platform: Platform, config: SoakConfig) -> ProcessInfo:
    """The simulator of ``make run`` at the soak's scale, every device at 1 Hz."""
    from jingwu_devstack import run as devrun

    spec = devrun.simulator_spec(platform.stack_dir, platform.secret)
    argv = [
        *spec.argv,
        f"--vehicles={config.vehicles}",
        f"--handhelds={config.handhelds}",
        "--interval=1",
    ]
    # Provisioning is one RegisterDevice a device, one after another, each slower than the one before.
    return sup.start(dataclasses.replace(spec, argv=argv, ready_timeout=120.0 + config.devices * 1.5))


# --------------------------------------------------------------------------------------------------
# load and samples


@dataclass
class Tally:
    """RPC answers and errors per method (errors also per status code)."""

    answered: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)

    @property
    def total_answered(self) -> int:
        return sum(self.answered.values())

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())

    def snapshot(self) -> Tally:
        return Tally(Counter(self.answered), Counter(self.errors), Counter(self.codes))

    def clear(self) -> None:
        self.answered.clear()
        self.errors.clear()
        self.codes.clear()

    async def call(self, method: str, rpc: Awaitable[object]) -> object | None:
        try:
            reply = await rpc
        except grpc.aio.AioRpcError as error:
            self.errors[method] += 1
            self.codes[f"{method} {error.code().name}"] += 1
            return None
        self.answered[method] += 1
        return reply


Call = Callable[[], Awaitable[object]]


class Load:
    """``rps`` calls a second, open loop, cycling through reads and a write across the services."""

    def __init__(self, platform: Platform, rps: float, room_id: str, zone_code: str) -> None:
        self.tally = Tally()
        self.rps = rps
        token = platform.token()
        self.channels = {name: open_channel(target, token) for name, target in platform.targets.items()}
        self._status = {
            name: status_pb2_grpc.StatusServiceStub(channel) for name, channel in self.channels.items()
        }
        rooms = rooms_pb2_grpc.RoomRegistryServiceStub(self.channels["rooms"])
        telemetry = telemetry_pb2_grpc.TelemetryServiceStub(self.channels["telemetry"])
        population = population_pb2_grpc.PopulationServiceStub(self.channels["population"])
        personnel = personnel_pb2_grpc.PersonnelServiceStub(self.channels["personnel"])
        patrol = patrol_pb2_grpc.PatrolServiceStub(self.channels["patrol"])
        notification = notification_pb2_grpc.NotificationServiceStub(self.channels["notification"])
        page = common_pb2.PageRequest(page_size=50)
        self._written = 0
        t = CALL_TIMEOUT_S

        def publish() -> Awaitable[object]:
            self._written += 1
            return notification.PublishNotice(
                notification_pb2.PublishNoticeRequest(
                    kind=notification_pb2.NOTICE_KIND_BULLETIN,
                    room_id=room_id,
                    title=f"浸泡测试公告 {self._written}",
                    body="soak run",
                    channels=[notification_pb2.CHANNEL_NOTICE_BOARD],
                    request_id=f"soak-{time.time_ns()}-{self._written}",
                ),
                timeout=t,
            )

        def status_of(name: str) -> Call:
            return lambda: self.status(name)

        self.mix: list[tuple[str, Call]] = [(f"GetStatus {name}", status_of(name)) for name in self._status]
        self.mix += [
            ("ListRooms", lambda: rooms.ListRooms(rooms_pb2.ListRoomsRequest(page=page), timeout=t)),
            (
                "GetLatestPositions",
                lambda: telemetry.GetLatestPositions(
                    telemetry_pb2.GetLatestPositionsRequest(zone_code=zone_code), timeout=t
                ),
            ),
            (
                "ListResidents",
                lambda: population.ListResidents(
                    population_pb2.ListResidentsRequest(zone_code=zone_code, page=page), timeout=t
                ),
            ),
            (
                "ListOfficers",
                lambda: personnel.ListOfficers(personnel_pb2.ListOfficersRequest(page=page), timeout=t),
            ),
            (
                "ListVehicles",
                lambda: patrol.ListVehicles(patrol_pb2.ListVehiclesRequest(page=page), timeout=t),
            ),
            (
                "ListNotices",
                lambda: notification.ListNotices(
                    notification_pb2.ListNoticesRequest(room_id=room_id, page=page), timeout=t
                ),
            ),
            ("PublishNotice", publish),
            (
                "GetLatestPositions",
                lambda: telemetry.GetLatestPositions(
                    telemetry_pb2.GetLatestPositionsRequest(zone_code=zone_code), timeout=t
                ),
            ),
        ]

    def status(self, service: str) -> Awaitable[status_pb2.GetStatusResponse]:
        reply: Awaitable[status_pb2.GetStatusResponse] = self._status[service].GetStatus(
            status_pb2.GetStatusRequest(), timeout=CALL_TIMEOUT_S
        )
        return reply

    async def run(self, stop: asyncio.Event) -> None:
        if self.rps <= 0:
            await stop.wait()
            return
        pending: set[asyncio.Task[object | None]] = set()
        began = time.monotonic()
        number = 0
        while not stop.is_set():
            method, call = self.mix[number % len(self.mix)]
            task = asyncio.create_task(self.tally.call(method, call()))
            pending.add(task)
            task.add_done_callback(pending.discard)
            number += 1
            delay = began + number / self.rps - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(delay, 0.0))
        if pending:
            await asyncio.gather(*pending)

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


@dataclass(frozen=True)
class Sample:
    t_min: float
    rss_mib: dict[str, float]  # process → MiB (missing: not running)
    lag: dict[str, int]  # consumer group → records behind (missing: the service did not answer)
    outbox: dict[str, int]  # service → documents with undelivered events
    fixes_produced: int | None  # end offsets of the fix consumer group's topics, summed (None: no answer)
    fixes_stored: int | None  # its committed offsets, summed
    rpc_answered: int
    rpc_errors: int


async def take_sample(t_min: float, processes: Mapping[str, ProcessInfo], load: Load, probe: Tally) -> Sample:
    rss: dict[str, float] = {}
    for name, info in processes.items():
        value = rss_mib(info.pid) if info.alive() else None
        if value is not None:
            rss[name] = value
    names = list(load.channels)
    replies = await asyncio.gather(*(probe.call(f"GetStatus {n}", load.status(n)) for n in names))
    lag: dict[str, int] = {}
    outbox: dict[str, int] = {}
    produced: int | None = None
    stored: int | None = None
    for name, reply in zip(names, replies, strict=True):
        if not isinstance(reply, status_pb2.GetStatusResponse):
            continue
        outbox[name] = reply.outbox_pending
        for group in reply.consumer_groups:
            lag[group.group_id] = group.lag
            if group.group_id == FIX_GROUP:
                produced = sum(p.end_offset for p in group.partitions)
                stored = sum(max(p.committed_offset, 0) for p in group.partitions)
    return Sample(
        t_min,
        rss,
        lag,
        outbox,
        produced,
        stored,
        load.tally.total_answered + probe.total_answered,
        load.tally.total_errors + probe.total_errors,
    )


async def open_room(platform: Platform) -> tuple[str, str]:
    """One room for the notices the load publishes, and a zone of the fleet's; wait until settled."""
    from datetime import date

    from jingwu_cli.caught_up import wait_caught_up
    from jingwu_cli.demo_data import build as build_demo

    zone = build_demo(DISTRICT, date.today()).zones[0]
    channel = open_channel(platform.targets["rooms"], platform.token())
    try:
        rooms = rooms_pb2_grpc.RoomRegistryServiceStub(channel)
        reply = await rooms.OpenRoom(
            rooms_pb2.OpenRoomRequest(
                name="浸泡测试警务室",
                kind=rooms_pb2.ROOM_KIND_URBAN_ONE_ZONE_ONE_OFFICER,
                station_id=zone.station_id,
                zone_codes=[zone.code],
                address="埇桥区淮海路1号",
                location=common_pb2.GeoPoint(longitude=116.97, latitude=33.64),
                request_id="soak-room",
            ),
            timeout=30,
        )
    finally:
        await channel.close()
    await wait_caught_up(platform.targets, platform.token(), timeout_s=120)
    return reply.room.room_id, zone.code


@dataclass
class Run:
    config: SoakConfig
    samples: list[Sample]
    tally: Tally
    probe: Tally
    processes: list[str]
    started_s: float  # seconds from the runner's start until the fleet ran
    provisioned_s: float  # of which the simulator's start (provisioning its devices)
    fleet_line: str = ""
    warmup: list[Sample] = field(default_factory=list)  # before the soak (t_min < 0)
    warmup_s: float = 0.0
    steady: bool = False  # the warm-up ended with the fleet at its rate (not at config.warmup_s)
    warmup_tally: Tally = field(default_factory=Tally)
    warmup_probe: Tally = field(default_factory=Tally)
    stored_documents: int | None = None
    checks: list[verdict.Check] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)


async def soak(config: SoakConfig, sup: Supervisor, platform: Platform, began: float) -> Run:
    room_id, zone_code = await open_room(platform)
    load = Load(platform, config.rps, room_id, zone_code)
    probe = Tally()
    provisioning = time.monotonic()
    start_fleet(sup, platform, config)
    provisioned_s = time.monotonic() - provisioning
    processes = dict(sup.processes)
    run = Run(config, [], load.tally, probe, list(processes), time.monotonic() - began, provisioned_s)
    print(
        f"\n  soak: {config.devices:,} devices at 1 Hz ({config.vehicles:,} vehicles, "
        f"{config.handhelds:,} handhelds), {config.rps:g} RPC/s, {config.minutes:g} min, "
        f"a sample every {config.sample_s:g} s",
        flush=True,
    )
    stop = asyncio.Event()
    load_task = asyncio.create_task(load.run(stop))
    try:
        # Warm-up: until the whole fleet reports and its fixes are stored at its rate (a fleet starting
        # at once registers and authenticates every terminal first), at most config.warmup_s.
        began_warmup = time.monotonic()
        warm: list[tuple[float, Sample]] = []
        while time.monotonic() - began_warmup < config.warmup_s:
            warm.append((time.monotonic(), await take_sample(0.0, processes, load, probe)))
            steady = steady_rates(config, warm)
            print("  warm-up " + progress_line(config, steady[0]), flush=True)
            if steady[1]:
                break
            await asyncio.sleep(config.sample_s)
        t0 = time.monotonic()
        run.warmup_s = t0 - began_warmup
        run.warmup = [dataclasses.replace(sample, t_min=(at - t0) / 60) for at, sample in warm]
        run.steady = steady_rates(config, warm)[1] if warm else False
        run.warmup_tally, run.warmup_probe = load.tally.snapshot(), probe.snapshot()
        load.tally.clear()
        probe.clear()
        print(f"  soak begins after a warm-up of {run.warmup_s:.0f} s", flush=True)
        end = t0 + config.minutes * 60
        next_sample = t0
        while True:
            now = time.monotonic()
            sample = await take_sample((now - t0) / 60, processes, load, probe)
            run.samples.append(sample)
            print(progress_line(config, run.samples), flush=True)
            if now >= end:
                break
            next_sample = min(next_sample + config.sample_s, end)
            await asyncio.sleep(max(0.0, next_sample - time.monotonic()))
    finally:
        stop.set()
        await load_task
        await load.close()
    return run


def steady_rates(config: SoakConfig, stamped: list[tuple[float, Sample]]) -> tuple[list[Sample], bool]:
    """The warm-up samples with their times set (minutes since the first), and whether the last two
    intervals produced and stored fixes at ≥ 90 % of the fleet's rate."""
    timed = [dataclasses.replace(sample, t_min=(at - stamped[0][0]) / 60) for at, sample in stamped]
    rates = fix_rates(timed)[-2:]
    want = 0.9 * config.devices
    return timed, len(rates) == 2 and all(p >= want and s >= want for _, p, s in rates)


def fix_rates(samples: Sequence[Sample]) -> list[tuple[float, float, float]]:
    """``(t_min, produced/s, stored/s)`` between consecutive samples."""
    rates = []
    answered = [s for s in samples if s.fixes_produced is not None and s.fixes_stored is not None]
    for before, after in itertools.pairwise(answered):
        seconds = (after.t_min - before.t_min) * 60
        assert before.fixes_produced is not None and before.fixes_stored is not None
        assert after.fixes_produced is not None and after.fixes_stored is not None
        if seconds > 0:
            rates.append(
                (
                    after.t_min,
                    (after.fixes_produced - before.fixes_produced) / seconds,
                    (after.fixes_stored - before.fixes_stored) / seconds,
                )
            )
    return rates


def progress_line(config: SoakConfig, samples: Sequence[Sample]) -> str:
    last = samples[-1]
    rates = fix_rates(samples[-2:])
    stored = f"{rates[-1][2]:,.0f}/s" if rates else "-"
    worst = max(last.lag.items(), key=lambda item: item[1], default=("-", 0))
    memory = sum(last.rss_mib.values())
    return (
        f"  {last.t_min:5.1f}/{config.minutes:g} min  fixes stored {stored:>8}  "
        f"max lag {worst[1]:>7,} ({worst[0]})  RSS Σ {memory:,.0f} MiB  "
        f"RPC {last.rpc_answered:,} ok / {last.rpc_errors:,} errors"
    )


# --------------------------------------------------------------------------------------------------
# verdicts and outputs


def judged(name: str) -> bool:
    return name not in INFRA and name != SIMULATOR


def memory_series(
    samples: Sequence[Sample], processes: Sequence[str]
) -> dict[str, list[tuple[float, float]]]:
    return {name: [(s.t_min, s.rss_mib[name]) for s in samples if name in s.rss_mib] for name in processes}


def lag_series(samples: Sequence[Sample]) -> dict[str, list[tuple[float, float]]]:
    groups = sorted({group for s in samples for group in s.lag})
    return {g: [(s.t_min, float(s.lag[g])) for s in samples if g in s.lag] for g in groups}


def judge(run: Run) -> list[verdict.Check]:
    config, samples = run.config, run.samples
    checks = [
        verdict.memory_check(name, points, max_slope_mib_per_min=config.memory_slope)
        for name, points in memory_series(samples, run.processes).items()
        if judged(name)
    ]
    checks += [
        verdict.lag_check(group, points, bound=config.lag_bound, max_slope_per_min=config.lag_slope)
        for group, points in lag_series(samples).items()
    ]
    if not any(c.what == "lag" for c in checks):
        checks.append(verdict.Check("lag", "(every group)", False, "no consumer group answered"))
    gone = [n for n in run.processes if samples and n not in samples[-1].rss_mib]
    checks.append(
        verdict.Check("alive", "every process", not gone, f"exited: {', '.join(gone)}" if gone else "all ran")
    )
    half = verdict.second_half([(t, stored) for t, _, stored in fix_rates(samples)])
    stored = sum(v for _, v in half) / len(half) if half else 0.0
    checks.append(verdict.rate_check("fixes stored", stored, float(config.devices)))
    answered = run.tally.total_answered + run.probe.total_answered
    errors = run.tally.total_errors + run.probe.total_errors
    checks.append(verdict.errors_check("RPC load and status probes", answered, errors))
    warm_errors = run.warmup_tally.total_errors + run.warmup_probe.total_errors
    checks.append(
        verdict.Check(
            "warm-up",
            "fleet at its rate",
            run.steady,
            f"{'after' if run.steady else 'not within'} {run.warmup_s:.0f} s; {warm_errors:,} RPC errors "
            "meanwhile (not judged)",
        )
    )
    return checks


def write_csvs(run: Run) -> list[Path]:
    """The warm-up's samples (t_min < 0) and the soak's, one row each."""
    out = run.config.out
    out.mkdir(parents=True, exist_ok=True)
    everything = [*run.warmup, *run.samples]
    memory = memory_series(everything, run.processes)
    groups = sorted({group for s in everything for group in s.lag})
    paths = [out / "memory.csv", out / "lag.csv", out / "rates.csv"]
    with paths[0].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["t_min", *(f"{name}_rss_mib" for name in memory)])
        for s in everything:
            writer.writerow(
                [f"{s.t_min:.3f}", *(f"{s.rss_mib[n]:.1f}" if n in s.rss_mib else "" for n in memory)]
            )
    with paths[1].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["t_min", *groups])
        for s in everything:
            writer.writerow([f"{s.t_min:.3f}", *(s.lag.get(g, "") for g in groups)])
    rates = {round(t, 6): (p, st) for t, p, st in fix_rates(everything)}
    with paths[2].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "t_min",
                "fixes_produced",
                "fixes_stored",
                "produced_per_s",
                "stored_per_s",
                "rpc_answered",
                "rpc_errors",
            ]
        )
        for s in everything:
            produced, stored = rates.get(round(s.t_min, 6), (None, None))
            writer.writerow(
                [
                    f"{s.t_min:.3f}",
                    "" if s.fixes_produced is None else s.fixes_produced,
                    "" if s.fixes_stored is None else s.fixes_stored,
                    "" if produced is None else f"{produced:.1f}",
                    "" if stored is None else f"{stored:.1f}",
                    s.rpc_answered,
                    s.rpc_errors,
                ]
            )
    return paths


def write_charts(run: Run) -> list[Path]:
    where = run.config.chart_dir
    memory = plot.write_chart(
        where / "memory.svg",
        f"RSS per process — {run.config.devices:,} devices at 1 Hz, {run.config.minutes:g} min",
        "minutes",
        "RSS (MiB)",
        memory_series([*run.warmup, *run.samples], run.processes),
        marker=(0.0, "soak begins"),
    )
    lag = plot.write_chart(
        where / "lag.svg",
        f"Consumer lag per group — {run.config.devices:,} devices at 1 Hz",
        "minutes",
        "lag (records)",
        lag_series([*run.warmup, *run.samples]),
        marker=(0.0, "soak begins"),
    )
    return [memory, lag]


def summary(run: Run) -> str:
    config = run.config
    failed = [c for c in run.checks if not c.ok]
    rates = fix_rates(run.samples)
    half = verdict.second_half([(t, p) for t, p, _ in rates])
    half_stored = verdict.second_half([(t, s) for t, _, s in rates])
    produced = sum(v for _, v in half) / len(half) if half else 0.0
    stored = sum(v for _, v in half_stored) / len(half_stored) if half_stored else 0.0
    duration = run.samples[-1].t_min if run.samples else 0.0
    lines = [
        f"# Soak run — {'PASS' if not failed else 'FAIL'}",
        "",
        f"- scale: **{config.devices:,} devices at 1 Hz** ({config.vehicles:,} JT/T 808 vehicles, a fifth "
        f"of them going out of coverage and backfilling; {config.handhelds:,} handhelds over HTTP); "
        f"the city's target is 20,000 (reduced: see `DEFAULT_DEVICES` in e2e/soak/run_soak.py)",
        f"- {duration:.1f} min sampled every {config.sample_s:g} s ({len(run.samples)} samples), "
        f"{config.rps:g} RPC/s of load; the stack was up and the fleet running {run.started_s:.0f} s "
        f"after the start ({run.provisioned_s:.0f} s of it the simulator provisioning its devices)",
        f"- fix records over the second half: produced {produced:,.0f}/s, stored {stored:,.0f}/s "
        f"(telemetry's fix consumer group, committed offsets)"
        + (
            f"; {run.stored_documents:,} fixes in telemetry.track_points at the end"
            if run.stored_documents
            else ""
        ),
        f"- RPC: {run.tally.total_answered:,} answered, {run.tally.total_errors:,} errors; status probes "
        f"{run.probe.total_answered:,} answered, {run.probe.total_errors:,} errors"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in (run.tally.codes + run.probe.codes).items())})"
            if run.tally.codes or run.probe.codes
            else ""
        ),
        f"- thresholds: memory slope ≤ {config.memory_slope:g} MiB/min over the second half (Jingwu "
        f"processes; Kafka, FerretDB and the simulator are drawn, not judged); lag ≤ {config.lag_bound:,.0f} "
        f"records and no upward trend (slope ≤ {config.lag_slope:,.0f}/min, or last third not above the "
        "middle third); fixes stored ≥ 90 % of the fleet's rate; every process alive; 0 RPC errors",
    ]
    warm_codes = run.warmup_tally.codes + run.warmup_probe.codes
    lines.append(
        f"- warm-up (before the clock starts, until the fleet's fixes are produced and stored at ≥ 90 % of "
        f"its rate twice in a row; at most {config.warmup_s:g} s): {run.warmup_s:.0f} s, "
        f"{len(run.warmup)} samples (t < 0 in the CSV and charts); RPC meanwhile "
        f"{run.warmup_tally.total_answered + run.warmup_probe.total_answered:,} answered, "
        f"{run.warmup_tally.total_errors + run.warmup_probe.total_errors:,} errors"
        + (f" ({', '.join(f'{k}: {v}' for k, v in warm_codes.items())})" if warm_codes else "")
    )
    if run.fleet_line:
        lines.append(f"- simulator: `{run.fleet_line}`")
    lines += ["", "| check | subject | verdict | figures |", "|---|---|---|---|"]
    lines += [f"| {c.what} | {c.name} | {'ok' if c.ok else '**FAIL**'} | {c.detail} |" for c in run.checks]
    lines += ["", "Outputs: " + ", ".join(f"`{display(p)}`" for p in run.outputs), ""]
    return "\n".join(lines)


def display(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def count_stored(platform: Platform) -> int | None:
    """Fixes in telemetry.track_points now (estimated count; None when the store does not answer)."""
    import pymongo
    import pymongo.errors
    from jingwu_platform.mongo import district_database_name

    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        platform.infra.mongo_url, serverSelectionTimeoutMS=5000, socketTimeoutMS=60000
    )
    try:
        return int(
            client[district_database_name(DISTRICT)]["telemetry.track_points"].estimated_document_count()
        )
    except pymongo.errors.PyMongoError:
        return None
    finally:
        client.close()


def fleet_line(sup: Supervisor) -> str:
    """Stop the simulator and return the counters it prints when it stops."""
    info = sup.processes.get(SIMULATOR)
    if info is None:
        return ""
    sup.stop(SIMULATOR)
    with contextlib.suppress(OSError):
        for line in reversed(Path(info.log_path).read_text(errors="replace").splitlines()):
            if "stopped:" in line:
                return line.strip()
    return ""


def run_soak(config: SoakConfig) -> Run:
    """Start everything, soak, judge, write the outputs; everything started is stopped on return."""
    began = time.monotonic()
    config.out.mkdir(parents=True, exist_ok=True)
    with Supervisor(out=sys.stdout) as sup:
        platform = start_platform(sup, config.out / "stack")
        run = asyncio.run(soak(config, sup, platform, began))
        run.fleet_line = fleet_line(sup)
        run.stored_documents = count_stored(platform)
    run.checks = judge(run)
    run.outputs = [*write_csvs(run), *write_charts(run), config.out / "summary.md"]
    text = summary(run)
    (config.out / "summary.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    return run


def main() -> int:
    config = SoakConfig.from_env()
    try:
        run = run_soak(config)
    except DevstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0 if all(c.ok for c in run.checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
