"""Fixtures of the console's tests: the built front end, and one district stack for the whole session
— the room registry, personnel, notification and population as their own processes against the
session's Kafka and FerretDB, loaded with two stations of the demo district through their gRPC APIs
(demo_slice.py, population_seed.py), telemetry and patrol with patrol's demo data (vehicles, incidents,
hot spots, plans, rings, checkpoints, joint patrols: jingwu_cli.demo_patrol), and the console (BFF) in
front of them.

The stack uses district 03: the root conftest hands out 10–98 per test and 01 is the demo's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from jingwu_devstack.procs import ProcessSpec, Supervisor, all_ready, free_port, log_ready, tcp_ready
from jingwu_platform.auth import Role, issue_token

CONSOLE_SRC = Path(__file__).resolve().parents[1] / "src"
if str(CONSOLE_SRC) not in sys.path:  # until the workspace installs jingwu-console
    sys.path.insert(0, str(CONSOLE_SRC))

from jingwu_console.build import build  # noqa: E402

from .demo_slice import demo_slice  # noqa: E402
from .population_seed import seed_population  # noqa: E402

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "docs" / "console"
DISTRICT = "03"
POPULATION_SRC = REPO / "services" / "population" / "src"
# Services the stack runs as processes; the others' views must show "service unavailable".
RUNNING = ("rooms", "personnel", "notification", "population", "telemetry", "patrol")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium (Debian's) with Playwright")


@pytest.fixture(scope="session")
def console_dist() -> Path:
    """The front end built from its lock file (npm ci cached; vite build skipped when up to date)."""
    return build(check=False).dist


@dataclass
class ConsoleStack:
    district: str
    secret: str
    supervisor: Supervisor
    targets: dict[str, str]
    url: str
    resident_api_url: str
    kafka_bootstrap: str
    mongo_url: str
    specs: dict[str, ProcessSpec] = field(default_factory=dict)
    seeded: dict[str, object] = field(default_factory=dict)

    def token(self, *roles: Role, subject: str = "console-test") -> str:
        return issue_token(self.secret, subject, self.district, roles, ttl_s=3600)

    def stop(self, service: str) -> None:
        self.supervisor.stop(f"{service}-{self.district}")

    def restart(self, service: str) -> None:
        self.supervisor.start(self.specs[service])


def _argv(service: str) -> tuple[list[str], dict[str, str]]:
    """The service's command; population runs from its source folder until the workspace installs it."""
    installed = BIN / f"jingwu-{service}"
    if installed.exists() or service != "population":
        return [str(installed)], {}
    paths = [str(POPULATION_SRC), *filter(None, [os.environ.get("PYTHONPATH", "")])]
    return [sys.executable, "-m", "jingwu_population.entrypoints.main"], {
        "PYTHONPATH": os.pathsep.join(paths)
    }


def _service_spec(
    service: str, port: int, env: dict[str, str], log_dir: Path, extra: dict[str, str] | None = None
) -> ProcessSpec:
    log_path = log_dir / f"{service}.log"
    argv, path_env = _argv(service)
    return ProcessSpec(
        name=f"{service}-{DISTRICT}",
        argv=argv,
        log_path=log_path,
        env={**env, **path_env, "JINGWU_GRPC_PORT": str(port), **(extra or {})},
        ports=[port],
        ready=all_ready(tcp_ready(port), log_ready(log_path, " ready")),
        ready_timeout=90.0,
    )


@pytest.fixture(scope="session")
async def console_stack(
    devstack_supervisor: Supervisor,
    kafka_bootstrap: str,
    mongo_url: str,
    auth_secret: str,
    console_dist: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[ConsoleStack]:
    from jingwu_cli.client import Clients
    from jingwu_cli.config import Credential, Target
    from jingwu_cli.demo import SEED_CALL_TIMEOUT_S, Loader
    from jingwu_cli.demo_data import build as build_demo
    from jingwu_cli.demo_patrol import seed_patrol
    from jingwu_cli.errors import CliError

    logs = tmp_path_factory.mktemp("console-stack")
    base = {
        "JINGWU_DISTRICT": DISTRICT,
        "JINGWU_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "JINGWU_MONGO_URL": mongo_url,
        "JINGWU_AUTH_SECRET": auth_secret,
        "JINGWU_TRACE_EXPORTER": "none",
        "JINGWU_OUTBOX_POLL_INTERVAL_S": "0.2",
        "PATH": os.environ.get("PATH", ""),
    }
    ports = {name: free_port() for name in RUNNING}
    resident_port = free_port()
    specs = {
        "rooms": _service_spec("rooms", ports["rooms"], base, logs),
        "personnel": _service_spec("personnel", ports["personnel"], base, logs),
        "population": _service_spec("population", ports["population"], base, logs),
        "notification": _service_spec(
            "notification",
            ports["notification"],
            base,
            logs,
            {
                "JINGWU_NOTIFICATION_RESIDENT_API_PORT": str(resident_port),
                # The console forwards the resident's address (its rate limits are per resident).
                "JINGWU_NOTIFICATION_RESIDENT_API_TRUST_FORWARDED_FOR": "true",
            },
        ),
        "telemetry": _service_spec("telemetry", ports["telemetry"], base, logs),
        "patrol": _service_spec(
            "patrol",
            ports["patrol"],
            base,
            logs,
            {
                "JINGWU_PATROL_ROOMS_TARGET": f"127.0.0.1:{ports['rooms']}",
                "JINGWU_PATROL_TELEMETRY_TARGET": f"127.0.0.1:{ports['telemetry']}",
            },
        ),
    }
    started: list[str] = [spec.name for spec in specs.values()]
    devstack_supervisor.start_many(list(specs.values()))  # side by side; on failure none is left
    targets = {name: f"127.0.0.1:{port}" for name, port in ports.items()}

    admin = issue_token(auth_secret, "console-demo-loader", DISTRICT, [Role.DISTRICT_ADMIN], ttl_s=3600)
    target = Target(
        district=DISTRICT,
        rooms_addr=targets["rooms"],
        personnel_addr=targets["personnel"],
        credential=Credential(token=admin, source="test"),
    )
    # Two stations of the demo district (demo_slice.py), loaded as `jingwu demo seed` loads it. The loader
    # is idempotent: on a machine busy enough for a call to miss its deadline, it runs again.
    demo = demo_slice(build_demo(DISTRICT, date.today()))
    for attempt in range(3):
        try:
            async with Clients(target, timeout_s=SEED_CALL_TIMEOUT_S) as clients:
                report = await Loader(clients, demo, auth_secret).run()
            break
        except CliError:
            if attempt == 2:
                raise
    async with Clients(target, timeout_s=SEED_CALL_TIMEOUT_S) as clients:
        patrol = await seed_patrol(
            clients, auth_secret, patrol_addr=targets["patrol"], telemetry_addr=targets["telemetry"]
        )

    residents = await seed_population(
        targets["population"],
        issue_token(auth_secret, "console-population-loader", DISTRICT, [Role.DISTRICT_ADMIN]),
        issue_token(auth_secret, "console-inspector", DISTRICT, [Role.OFFICER]),
        demo,
    )

    console_port = free_port()
    console_log = logs / "console.log"
    console = ProcessSpec(
        name=f"console-{DISTRICT}",
        argv=[sys.executable, "-m", "jingwu_console"],
        log_path=console_log,
        env={
            **base,
            "PYTHONPATH": os.pathsep.join([str(CONSOLE_SRC), os.environ.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "JINGWU_CONSOLE_PORT": str(console_port),
            "JINGWU_CONSOLE_STATIC_DIR": str(console_dist),
            "JINGWU_RESIDENT_API_URL": f"http://127.0.0.1:{resident_port}",
            **{f"JINGWU_{name.upper()}_ADDR": address for name, address in targets.items()},
        },
        ports=[console_port],
        ready=all_ready(tcp_ready(console_port), log_ready(console_log, " ready")),
        ready_timeout=60.0,
    )
    devstack_supervisor.start(console)
    started.append(console.name)
    specs["console"] = console
    stack = ConsoleStack(
        district=DISTRICT,
        secret=auth_secret,
        supervisor=devstack_supervisor,
        targets=targets,
        url=f"http://127.0.0.1:{console_port}",
        resident_api_url=f"http://127.0.0.1:{resident_port}",
        kafka_bootstrap=kafka_bootstrap,
        mongo_url=mongo_url,
        specs=specs,
        seeded={
            "zones": [z.code for z in demo.zones],
            "rooms": len(demo.rooms),
            "residents": residents,
            "room_ids": report.room_ids,
            "counts": report.counts,
            "patrol": patrol.counts,
        },
    )
    try:
        yield stack
    finally:
        for name in reversed(started):
            if name in devstack_supervisor.processes:
                devstack_supervisor.stop(name)


@pytest.fixture(scope="session")
def screenshots() -> Iterator[Path]:
    """docs/console/: the screenshots the browser tests take of each view (linked from the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield SCREENSHOTS
