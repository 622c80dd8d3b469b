"""`make run`'s wiring: every process it starts exists, every setting it passes is one the process
reads, and the ports agree with the defaults of the CLI and the console (so `jingwu …` and the console
find the services without options)."""

from __future__ import annotations

from pathlib import Path

from jingwu_cli import config, patrol_commands, population_commands
from jingwu_console.settings import ConsoleSettings
from jingwu_devstack import run
from jingwu_devstack.stack import Endpoints
from jingwu_notification.entrypoints.options import NotificationOptions
from jingwu_patrol.entrypoints.options import PatrolOptions
from jingwu_telemetry.gateway.settings import GatewaySettings
from pydantic_settings import BaseSettings


def _variables(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


def _infra() -> Endpoints:
    return Endpoints(kafka_bootstrap="127.0.0.1:19092", mongo_url="mongodb://127.0.0.1:27117/")


def test_every_process_is_an_installed_command() -> None:
    specs = [run.service_spec(s, Path("/tmp/d"), _infra(), "secret") for s in run.SERVICES]
    specs += run.city_specs(Path("/tmp/d"), _infra(), "secret")
    specs.append(run.simulator_spec(Path("/tmp/d"), "secret"))
    for spec in specs:
        assert Path(spec.argv[0]).is_file(), spec.argv[0]
    names = {s.name for s in run.SERVICES}
    assert names == {"rooms", "population", "personnel", "telemetry", "notification", "patrol"}


def test_the_settings_passed_are_the_ones_the_processes_read() -> None:
    city = {spec.name: dict(spec.env or {}) for spec in run.city_specs(Path("/tmp/d"), _infra(), "secret")}
    assert set(city["jt808-gateway"]) <= _variables(GatewaySettings)
    assert set(city["handheld-gateway"]) <= _variables(GatewaySettings)
    assert set(city[f"console-{run.DEMO_DISTRICT}"]) <= _variables(ConsoleSettings)
    extra = {s.name: set(s.env) for s in run.SERVICES}
    assert extra["notification"] <= _variables(NotificationOptions)
    assert extra["patrol"] <= _variables(PatrolOptions)
    # Without these the notification service serves no resident API and patrol calls the wrong hosts.
    assert "JINGWU_NOTIFICATION_RESIDENT_API_PORT" in extra["notification"]
    assert {"JINGWU_PATROL_ROOMS_TARGET", "JINGWU_PATROL_TELEMETRY_TARGET"} <= extra["patrol"]


def test_ports_agree_with_the_cli_and_the_console_defaults() -> None:
    local = {name: f"127.0.0.1:{port}" for name, port in run.PORTS.items()}
    assert local["rooms"] == config.DEFAULT_ROOMS_ADDR
    assert local["personnel"] == config.DEFAULT_PERSONNEL_ADDR
    assert local["population"] == population_commands.DEFAULT_POPULATION_ADDR
    assert local["patrol"] == patrol_commands.DEFAULT_PATROL_ADDR
    console = ConsoleSettings(district="01", auth_secret="s")  # type: ignore[arg-type]
    for name, address in local.items():
        assert console.address(name) == address, name
    assert console.resident_api_url == f"http://127.0.0.1:{run.RESIDENT_API_PORT}"
    assert PatrolOptions().rooms_target == local["rooms"]
    assert PatrolOptions().telemetry_target == local["telemetry"]
