"""``make run``: Kafka, FerretDB and the services for demo district 01, in the foreground.

The district's services (rooms, population, personnel, telemetry, notification, patrol), the city's
telemetry gateways (JT/T 808 over TCP, handhelds over HTTP) and the web console. Prints one line per
process as it becomes ready (the district's services and the gateways start side by side while the
console's front end builds), seeds the demo district (stations, zones, villages, rooms of every kind,
officers, postings, logs — ``jingwu_cli.demo``) over gRPC, with two demos beside it once the territory
and rooms are known (``BESIDE_LOADERS``): the population ledger's import, and patrol's vehicles,
incidents, plans, rings and checkpoints, then (after the district's load) yesterday's tracks — the
simulator's vehicles following or, one in three, missing their plans — uploaded through the JT/T 808
gateway so yesterday's evidence shows both; then waits until every
service answers GetStatus caught up twice in a row, and only then prints the summary with the findings
the platform raised (the settled figures: what ``jingwu rooms coverage`` answers afterwards), a notice
the notification service derived from a RoomOpened event, the trace of one request across the
services, and "demo ready in N s". Then it starts the telemetry simulator (a small fleet of vehicles
and handhelds on the demo district's streets, so the console's map moves), prints the console's
address, and keeps everything running until Ctrl-C, which stops all of it. Infrastructure already
started by ``devstack up`` is reused (and left running).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.paths import data_dir, display_path
from jingwu_devstack.procs import ProcessSpec, Supervisor, all_ready, log_ready, tcp_ready
from jingwu_devstack.stack import Endpoints, Ports, single_replica, start_stack

DEMO_DISTRICT = "01"  # 埇桥分局 in the demo data
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class ServiceSpec:
    """A district service: ``jingwu-<name>``, gRPC on ``port``, with the district's settings and ``env``."""

    name: str
    port: int
    env: Mapping[str, str] = field(default_factory=dict)


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"JINGWU_{name.upper()}_PORT", str(default)))


# The gRPC ports the CLI and the console use by default.
PORTS = {
    "rooms": _port("rooms", 50051),
    "population": _port("population", 50052),
    "personnel": _port("personnel", 50053),
    "telemetry": _port("telemetry", 50054),
    "notification": _port("notification", 50055),
    "patrol": _port("patrol", 50056),
}
RESIDENT_API_PORT = _port("resident_api", 8095)
CONSOLE_PORT = _port("console", 8080)
JT808_PORT = _port("jt808", 6808)
HANDHELD_PORT = _port("handheld", 6809)
LOCAL = "127.0.0.1"

SERVICES = (
    ServiceSpec("rooms", PORTS["rooms"]),
    ServiceSpec("population", PORTS["population"]),
    ServiceSpec("personnel", PORTS["personnel"]),
    ServiceSpec("telemetry", PORTS["telemetry"]),
    ServiceSpec(
        "notification",
        PORTS["notification"],
        {
            "JINGWU_NOTIFICATION_RESIDENT_API_HOST": LOCAL,
            "JINGWU_NOTIFICATION_RESIDENT_API_PORT": str(RESIDENT_API_PORT),
        },
    ),
    ServiceSpec(
        "patrol",
        PORTS["patrol"],
        {
            "JINGWU_PATROL_ROOMS_TARGET": f"{LOCAL}:{PORTS['rooms']}",
            "JINGWU_PATROL_TELEMETRY_TARGET": f"{LOCAL}:{PORTS['telemetry']}",
        },
    ),
)
# Residents in the demo ledger that make run imports (R-POP-1; the population service's bulk import).
DEMO_RESIDENTS = int(os.environ.get("JINGWU_DEMO_RESIDENTS", "100000"))


@dataclass(frozen=True)
class DemoContext:
    """What a demo loader gets: the district, the running services (name → ``host:port``), an admin
    credential, the signing secret (to act as the demo's officers), the data dir, and ``loaded``: set
    once the district's own load (officers, postings, logs, assessment) has finished, for a loader
    that runs beside it but has a last step that must come after it."""

    district: str
    targets: Mapping[str, str]
    token: str
    secret: str
    data: Path
    loaded: asyncio.Event = field(default_factory=asyncio.Event)


# More demos, loaded beside the district and before the services are waited on and the summary is read
# (so their effects are in it): each gets the context and answers lines to print. The population demo's
# bulk import of ≥ 100,000 residents is one; their time counts in the 90 s budget (docs/benchmarks.md).
DemoLoader = Callable[[DemoContext], Awaitable[Sequence[str]]]


def auth_secret(data: Path) -> str:
    """The demo district's credential-signing key: generated once into .data/, never committed."""
    path = data / "auth-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def service_spec(service: ServiceSpec, data: Path, infra: Endpoints, secret: str) -> ProcessSpec:
    log_path = data / "logs" / f"{service.name}-{DEMO_DISTRICT}.log"
    env = {
        "JINGWU_DISTRICT": DEMO_DISTRICT,
        "JINGWU_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "JINGWU_MONGO_URL": infra.mongo_url,
        "JINGWU_AUTH_SECRET": secret,
        "JINGWU_GRPC_PORT": str(service.port),
        "JINGWU_TRACE_EXPORTER": "file",
        "JINGWU_TRACE_FILE": str(data / "traces" / f"{service.name}.jsonl"),
        **service.env,
    }
    return ProcessSpec(
        name=f"{service.name}-{DEMO_DISTRICT}",
        argv=[str(BIN / f"jingwu-{service.name}")],
        log_path=log_path,
        env=env,
        ports=[service.port],
        ready=all_ready(tcp_ready(service.port), log_ready(log_path, " ready")),
        ready_timeout=60.0,
        precheck=single_replica(infra.mongo_url, service.name, DEMO_DISTRICT),
    )


def city_specs(data: Path, infra: Endpoints, secret: str) -> list[ProcessSpec]:
    """The city's telemetry gateways (every district's devices connect to them) and the district's web
    console, which talks to the services above."""
    logs = data / "logs"
    gateway_env = {
        "JINGWU_GATEWAY_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "JINGWU_GATEWAY_REGISTRY_TARGETS": json.dumps({DEMO_DISTRICT: f"{LOCAL}:{PORTS['telemetry']}"}),
        "JINGWU_GATEWAY_AUTH_SECRET": secret,
        "JINGWU_GATEWAY_JT808_HOST": LOCAL,
        "JINGWU_GATEWAY_JT808_PORT": str(JT808_PORT),
        "JINGWU_GATEWAY_HTTP_HOST": LOCAL,
        "JINGWU_GATEWAY_HTTP_PORT": str(HANDHELD_PORT),
    }
    console_env = {
        "JINGWU_DISTRICT": DEMO_DISTRICT,
        "JINGWU_AUTH_SECRET": secret,
        "JINGWU_CONSOLE_HOST": LOCAL,
        "JINGWU_CONSOLE_PORT": str(CONSOLE_PORT),
        "JINGWU_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "JINGWU_RESIDENT_API_URL": f"http://{LOCAL}:{RESIDENT_API_PORT}",
        **{f"JINGWU_{name.upper()}_ADDR": f"{LOCAL}:{port}" for name, port in PORTS.items()},
    }
    specs = []
    for name, port in (("jt808-gateway", JT808_PORT), ("handheld-gateway", HANDHELD_PORT)):
        log_path = logs / f"{name}.log"
        specs.append(
            ProcessSpec(
                name=name,
                argv=[str(BIN / f"jingwu-{name}")],
                log_path=log_path,
                env=gateway_env,
                ports=[port],
                ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
                ready_timeout=60.0,
            )
        )
    log_path = logs / f"console-{DEMO_DISTRICT}.log"
    specs.append(
        ProcessSpec(
            name=f"console-{DEMO_DISTRICT}",
            argv=[str(BIN / "jingwu-console")],
            log_path=log_path,
            env=console_env,
            ports=[CONSOLE_PORT],
            ready=all_ready(tcp_ready(CONSOLE_PORT), log_ready(log_path, " ready")),
            ready_timeout=60.0,
        )
    )
    return specs


def simulator_spec(data: Path, secret: str) -> ProcessSpec:
    """A small fleet on the demo district's streets: vehicles over JT/T 808, handhelds over HTTP."""
    log_path = data / "logs" / f"telemetry-sim-{DEMO_DISTRICT}.log"
    argv = [
        str(BIN / "jingwu-telemetry-sim"),
        f"--district={DEMO_DISTRICT}",
        f"--registry={LOCAL}:{PORTS['telemetry']}",
        f"--rooms={LOCAL}:{PORTS['rooms']}",
        f"--jt808={LOCAL}:{JT808_PORT}",
        f"--http={LOCAL}:{HANDHELD_PORT}",
    ]
    return ProcessSpec(
        name=f"telemetry-sim-{DEMO_DISTRICT}",
        argv=argv,
        log_path=log_path,
        env={"JINGWU_AUTH_SECRET": secret},
        ready=log_ready(log_path, " running"),
        ready_timeout=120.0,
    )


async def population_demo(context: DemoContext) -> Sequence[str]:
    """The demo ledger (DEMO_RESIDENTS residents) imported through ``jingwu import --demo``: all or
    nothing, and importing the same file again changes nothing."""
    ledger = context.data / "demo" / f"ledger-{context.district}-{DEMO_RESIDENTS}.csv"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "JINGWU_TOKEN": context.token,
        "JINGWU_DISTRICT": context.district,
        "JINGWU_POPULATION_ADDR": context.targets["population"],
    }
    from jingwu_cli.caught_up import NotCaughtUp, wait_caught_up

    try:
        # Population places each house in its zone (R-POP-1): it must have taken in the territory.
        await wait_caught_up({"population": context.targets["population"]}, context.token, timeout_s=120)
    except NotCaughtUp as behind:
        return [f"skipped — the population ledger: the service has not taken in the territory: {behind}"]
    print(f"    … population: importing {DEMO_RESIDENTS:,} residents from {display_path(ledger)}")
    began = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "jingwu"),
        "import",
        str(ledger),
        "--demo",
        f"--residents={DEMO_RESIDENTS}",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    lines = [line for line in output.decode(errors="replace").splitlines() if line.strip()]
    took = time.monotonic() - began
    if proc.returncode != 0:
        return [f"population import failed ({proc.returncode}): {' / '.join(lines[-3:])}"]
    return [f"population: {lines[-1].strip() if lines else 'imported'} ({took:.0f} s)"]


async def patrol_demo(context: DemoContext) -> Sequence[str]:
    """Vehicles, incidents, hot spots, plans, rings, checkpoints and joint patrols (jingwu_cli.demo_patrol),
    then yesterday's evidence (R-PAT-6): the simulator's vehicles drive yesterday after their plans — every
    third, from the second on, misses its plan on purpose — and upload those tracks as a terminal back in
    coverage does, with 0x0704 through the JT/T 808 gateway (jingwu_telemetry.sim.backfill); once
    telemetry and patrol are caught up (GetStatus) patrol recomputes the day. The simulator's terminals
    are provisioned here, before the vehicles are registered (the simulator does it again when it
    starts: the same request ids), so patrol's vehicles are bound to them on the first run too.

    It needs the territory and the rooms only, so it runs beside the rest of the district's load; the
    backfill and yesterday's evidence wait for that load (``context.loaded``), so the evidence, which
    personnel's assessment takes in (R-PER-11), always comes after the assessment the load computes."""
    from datetime import date, datetime, timedelta

    import grpc
    from jingwu_cli.caught_up import NotCaughtUp, wait_caught_up
    from jingwu_cli.client import Clients
    from jingwu_cli.config import Credential, Target
    from jingwu_cli.demo_data import build as build_demo
    from jingwu_cli.demo_patrol import compute_yesterday, itineraries, seed_patrol
    from jingwu_platform.calendar import DISTRICT_ZONE
    from jingwu_telemetry.sim.backfill import BackfillConfig, BackfillError, backfill
    from jingwu_telemetry.sim.fleet import Provisioner
    from jingwu_telemetry.sim.main import demo_fleet

    targets = context.targets
    target = Target(
        context.district, targets["rooms"], targets["personnel"], Credential(context.token, "demo-admin")
    )
    stores = {name: targets[name] for name in ("telemetry", "patrol")}
    today = datetime.now(DISTRICT_ZONE).date()
    routes, zone_of_station = demo_fleet(build_demo(context.district, date.today()))
    provisioner = Provisioner(targets["telemetry"], context.secret, context.district, targets["rooms"])
    skipped: list[str] = []
    try:
        fleet = await provisioner.provision(routes, zone_of_station)
    except grpc.aio.AioRpcError as error:
        fleet = []
        skipped.append(f"skipped — the simulator's terminals: {error.code().name} {error.details()}")
    try:
        # Patrol and telemetry have taken in the zones and rooms the vehicles and terminals refer to.
        await wait_caught_up(stores, context.token, timeout_s=120)
    except NotCaughtUp as behind:
        skipped.append(f"patrol's load does not wait any longer: {behind}")
    async with Clients(target) as clients:
        report = await seed_patrol(
            clients, context.secret, patrol_addr=targets["patrol"], telemetry_addr=targets["telemetry"]
        )
        lines = [*report.lines(), *skipped]
        await context.loaded.wait()
        began = time.monotonic()
        plans = await itineraries(clients, patrol_addr=targets["patrol"], day=today - timedelta(days=1))
        try:
            uploaded = await backfill(plans, fleet, BackfillConfig(gateway=(LOCAL, JT808_PORT)))
            stored = await wait_caught_up(stores, context.token, timeout_s=120)
            lines.append(
                f"{uploaded.line()}; stored {stored.seconds:.1f} s later "
                f"({time.monotonic() - began:.1f} s with the itineraries)"
            )
        except (BackfillError, NotCaughtUp, OSError, TimeoutError) as error:
            lines.append(f"skipped — yesterday's backfill through the JT/T 808 gateway: {error!r}")
        lines += await compute_yesterday(clients, patrol_addr=targets["patrol"], today=today)
    return lines


# Loaders that need only the district's territory and rooms: started once those are loaded and
# settled, they run beside the rest of the district's load (officers, postings, logs: other services);
# a step that needs the whole district waits for ``DemoContext.loaded``.
BESIDE_LOADERS: list[DemoLoader] = [population_demo, patrol_demo]


async def load_beside(
    load: Awaitable[None], ready: asyncio.Event, beside: Sequence[Callable[[], Awaitable[Sequence[str]]]]
) -> list[str]:
    """Run ``load``; once it sets ``ready``, start each of ``beside`` alongside it (or after it, if it
    finishes without setting it). Returns their lines once all are done. If ``load`` fails, the others
    are cancelled and its error is raised."""
    main = asyncio.ensure_future(load)
    waiter = asyncio.ensure_future(ready.wait())
    tasks: list[asyncio.Future[Sequence[str]]] = []
    try:
        await asyncio.wait({main, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set():
            tasks = [asyncio.ensure_future(start()) for start in beside]
        await main
    except BaseException:
        every: list[asyncio.Future[Any]] = [main, *tasks]
        for task in every:
            task.cancel()
        await asyncio.gather(main, *tasks, return_exceptions=True)
        raise
    finally:
        waiter.cancel()
    if not tasks:
        tasks = [asyncio.ensure_future(start()) for start in beside]
    lines: list[str] = []
    for task in tasks:
        lines += await task
    return lines


async def demo(secret: str, data: Path, started: float) -> None:
    """Seed the demo district through the APIs (jingwu_cli.demo) and the other demos, wait until every
    service has caught up, then show what the platform made of it."""
    from jingwu.notification.v1 import notification_pb2, notification_pb2_grpc
    from jingwu_cli.client import Clients
    from jingwu_cli.config import Credential, Target
    from jingwu_cli.demo import SEED_CALL_TIMEOUT_S, loader, report_lines
    from jingwu_cli.errors import CliError
    from jingwu_platform.auth import Role, issue_token
    from jingwu_platform.grpc_client import open_channel

    token = issue_token(secret, subject="demo-admin", district=DEMO_DISTRICT, roles=[Role.DISTRICT_ADMIN])
    targets = {service.name: f"127.0.0.1:{service.port}" for service in SERVICES}
    target = Target(DEMO_DISTRICT, targets["rooms"], targets["personnel"], Credential(token, "demo-admin"))
    context = DemoContext(DEMO_DISTRICT, targets, token, secret, data)
    print(f"\n  seeding demo district {DEMO_DISTRICT} (埇桥分局) through the gRPC APIs …")
    extra: list[str] = []
    try:
        async with Clients(target, timeout_s=SEED_CALL_TIMEOUT_S) as clients:
            district = loader(
                clients, secret, status_targets=targets, progress=lambda line: print(f"    … {line}")
            )

            async def district_load() -> None:
                await district.load()
                context.loaded.set()

            beside = [functools.partial(load, context) for load in BESIDE_LOADERS]
            extra += await load_beside(district_load(), district.territory_known, beside)
            # Every service caught up twice in a row: the summary below is the settled state.
            settled_s = await district.settle()
            await district.summarise()
            report = district.report
    except CliError as error:
        print(f"  demo data incomplete: {error.message}", file=sys.stderr)
        for line in error.details:
            print(f"    {line}", file=sys.stderr)
        return
    for line in [*report_lines(report), *extra]:
        print(f"    {line}")
    notification_channel = open_channel(targets["notification"], token)
    notification = notification_pb2_grpc.NotificationServiceStub(notification_channel)
    try:
        room_id = next(iter(report.room_ids.values()), "")
        reply = await notification.ListNotices(notification_pb2.ListNoticesRequest(room_id=room_id))
        title = reply.notices[0].title if reply.notices else "(no notice)"
        print(f"    notice derived from RoomOpened: {title}")
        show_trace(data)
    finally:
        await notification_channel.close()
    steps = ", ".join(f"{step} {seconds:g} s" for step, seconds in report.timings.items())
    ready = time.monotonic() - started
    print(f"\n  demo ready in {ready:.0f} s (caught up {settled_s:.0f} s after the load; {steps})")


def show_trace(data: Path) -> None:
    """Print the hops of the most recent OpenRoom that published an event, across both services."""
    spans: list[dict[str, Any]] = []
    for service in SERVICES:
        path = data / "traces" / f"{service.name}.jsonl"
        if path.exists():
            spans.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    published = {s["trace_id"] for s in spans if s["name"].endswith(".rooms.v1 publish")}
    candidates = [s for s in spans if s["name"].endswith("/OpenRoom") and s["trace_id"] in published]
    if not candidates:
        print("\n  (rooms were opened in an earlier run: no new events, so no new trace to show)")
        return
    trace_id = max(candidates, key=lambda s: s["start_ns"])["trace_id"]
    hops = sorted((s for s in spans if s["trace_id"] == trace_id), key=lambda s: s["start_ns"])
    print(f"\n  one request, one trace ({trace_id}):")
    for span in hops:
        print(f"    {span['service']:<22} {span['name']}")
    print(f"  spans: {display_path(data / 'traces')}/*.jsonl   logs: {display_path(data / 'logs')}/")


def main() -> int:
    started = time.monotonic()
    data = data_dir()
    secret = auth_secret(data)
    print(f"Jingwu demo district {DEMO_DISTRICT} — starting (Ctrl-C stops everything)")
    try:
        with Supervisor(state_dir=data / "state", out=sys.stdout) as supervisor:
            from jingwu_console.build import build as build_console

            # The console's front end builds (npm, vite) while the processes start and the demo loads:
            # nothing waits on it but the console itself, started after the demo. The district's
            # services start side by side, and the gateways with them; the demo needs every one.
            builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-build")
            try:
                console_build = builder.submit(build_console, out=sys.stdout)
                infra = start_stack(supervisor, data, Ports.from_env(), out=sys.stdout)
                *gateways, console = city_specs(data, infra, secret)
                supervisor.start_many([*(service_spec(s, data, infra, secret) for s in SERVICES), *gateways])
                asyncio.run(demo(secret, data, started))
                console_build.result()
            finally:
                builder.shutdown(wait=False, cancel_futures=True)
            supervisor.start(console)
            supervisor.start(simulator_spec(data, secret))
            sign_in = ".venv/bin/jingwu auth token --role supervisor --district 01"
            print(f"\n  console: http://{LOCAL}:{CONSOLE_PORT}/  (a credential to sign in: {sign_in})")
            print("  running — Ctrl-C to stop")
            exited = supervisor.wait()
            print(
                f"\n  {exited} exited; stopping the rest (its log: {display_path(data / 'logs')})",
                file=sys.stderr,
            )
            return 1
    except KeyboardInterrupt:
        print("\n  stopped.")
        return 0
    except DevstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
