"""``make run``: Kafka, FerretDB and the services for demo district 01, in the foreground.

Prints one line per process as it becomes ready, seeds the demo district (stations, zones, villages,
rooms of every kind, officers, postings, logs — ``jingwu_cli.demo``) over gRPC, then the other demos
(``DEMO_LOADERS``), waits until every service answers GetStatus caught up twice in a row, and only then
prints the summary with the findings the platform raised (the settled figures: what ``jingwu rooms
coverage`` answers afterwards), a notice the notification service derived from a RoomOpened event and
the trace of one request across the services, and "demo ready in N s". Then it keeps everything running
until Ctrl-C, which stops all of it. Infrastructure already started by ``devstack up`` is reused (and
left running).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
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
    name: str
    port: int


SERVICES = (
    ServiceSpec("rooms", int(os.environ.get("JINGWU_ROOMS_PORT", "50051"))),
    ServiceSpec("personnel", int(os.environ.get("JINGWU_PERSONNEL_PORT", "50053"))),
    ServiceSpec("notification", int(os.environ.get("JINGWU_NOTIFICATION_PORT", "50055"))),
)


@dataclass(frozen=True)
class DemoContext:
    """What a demo loader gets: the district, the running services (name → ``host:port``), an admin
    credential, the signing secret (to act as the demo's officers) and the data dir."""

    district: str
    targets: Mapping[str, str]
    token: str
    secret: str
    data: Path


# More demos, loaded after the district and before the services are waited on and the summary is read
# (so their effects are in it): each gets the context and answers lines to print. The population demo's
# bulk import of ≥ 100,000 residents goes here; its time counts in the 90 s budget (docs/benchmarks.md).
DemoLoader = Callable[[DemoContext], Awaitable[Sequence[str]]]
DEMO_LOADERS: list[DemoLoader] = []


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
            await district.load()
            for load in DEMO_LOADERS:
                extra += await load(context)
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
            infra = start_stack(supervisor, data, Ports.from_env(), out=sys.stdout)
            for service in SERVICES:
                supervisor.start(service_spec(service, data, infra, secret))
            asyncio.run(demo(secret, data, started))
            print("\n  running — Ctrl-C to stop")
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
