"""pytest fixtures for tests that need Kafka, a MongoDB-wire store, or processes of their own.

Registered through the ``pytest11`` entry point, so every test in the workspace can ask for:

- ``kafka_bootstrap`` (session) -> ``"127.0.0.1:PORT"`` of a single-node Kafka (KRaft) broker;
- ``mongo_url`` (session) -> ``"mongodb://127.0.0.1:PORT/?maxPoolSize=1"`` of FerretDB (SQLite backend;
  one connection per client, see stack.FERRETDB_CLIENT_OPTIONS);
- ``devstack_supervisor`` (session) -> the Supervisor running them; start the services under test with
  ``devstack_supervisor.start(ProcessSpec(...))`` and they are stopped at session end (or earlier with
  ``.stop(name)``);
- ``devstack_processes`` (function) -> a fresh Supervisor whose processes are stopped after the test;
- ``devstack_data_dir`` (session) -> the temp folder holding the broker's and the store's data and logs;
- ``fault_report`` (session) -> the fault suite's report (jingwu_devstack.fault_report), printed as a
  table at the end of a session that added rows to it.

Kafka and FerretDB are started on demand (only if a test asks), once per session, on free ports in a temp
data dir, so tests never touch the data of ``devstack up`` / ``make run``. Missing tools are fetched first
(a cold machine spends a few minutes on that in the first test that needs them). Everything is stopped at
session end, also after failures and Ctrl-C; processes also die with a SIGKILLed pytest (PDEATHSIG).

To use an already running broker or store instead, set ``JINGWU_TEST_KAFKA_BOOTSTRAP`` and/or
``JINGWU_TEST_MONGO_URL``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jingwu_devstack.fault_report import FAULT_REPORT, FaultReport
from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
from jingwu_devstack.procs import PortInUseError, ProcessSpec, Supervisor, free_ports
from jingwu_devstack.stack import ferretdb_spec, ferretdb_url, kafka_spec

ENV_TEST_KAFKA_BOOTSTRAP = "JINGWU_TEST_KAFKA_BOOTSTRAP"
ENV_TEST_MONGO_URL = "JINGWU_TEST_MONGO_URL"


def _start_on_free_ports(
    sup: Supervisor, count: int, make_spec: Callable[[list[int]], ProcessSpec]
) -> list[int]:
    """Start the spec on ``count`` fresh free ports, retrying if another process grabbed one meanwhile."""
    for attempt in range(3):
        ports = free_ports(count)
        try:
            sup.start(make_spec(ports))
        except PortInUseError:
            if attempt == 2:
                raise
            continue
        return ports
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def devstack_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Temp folder for the session's Kafka and FerretDB data and logs."""
    return tmp_path_factory.mktemp("devstack")


@pytest.fixture(scope="session")
def devstack_supervisor() -> Iterator[Supervisor]:
    """The session's Supervisor: what it started is stopped at session end (no orphans)."""
    with Supervisor(out=sys.stderr) as sup:
        yield sup


@pytest.fixture
def devstack_processes() -> Iterator[Supervisor]:
    """A Supervisor for one test: what it started is stopped when the test ends."""
    with Supervisor(out=sys.stderr) as sup:
        yield sup


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """Bootstrap address of the session's Kafka broker (or ``$JINGWU_TEST_KAFKA_BOOTSTRAP``)."""
    external = os.environ.get(ENV_TEST_KAFKA_BOOTSTRAP)
    if external:
        return external
    sup: Supervisor = request.getfixturevalue("devstack_supervisor")
    data: Path = request.getfixturevalue("devstack_data_dir")
    libs = ensure_kafka(sys.stderr).path
    port, _ = _start_on_free_ports(sup, 2, lambda p: kafka_spec(libs, data, p[0], p[1]))
    return f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def mongo_url(request: pytest.FixtureRequest) -> str:
    """URL of the session's FerretDB (or ``$JINGWU_TEST_MONGO_URL``)."""
    external = os.environ.get(ENV_TEST_MONGO_URL)
    if external:
        return external
    sup: Supervisor = request.getfixturevalue("devstack_supervisor")
    data: Path = request.getfixturevalue("devstack_data_dir")
    binary = ensure_ferretdb(sys.stderr).path
    (port,) = _start_on_free_ports(sup, 1, lambda p: ferretdb_spec(binary, data, p[0]))
    return ferretdb_url("127.0.0.1", port)


@pytest.fixture(scope="session")
def fault_report() -> FaultReport:
    """The fault suite's rows (lost, duplicated, crashed per fault); see jingwu_devstack.fault_report."""
    return FAULT_REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FAULT_REPORT.rows:
        terminalreporter.section("faults")
        terminalreporter.write_line(FAULT_REPORT.table())
