"""The fuzzing stack and its report.

Every service runs as its own process (its real entry point) for one district of its own, once for
all fuzz tests (the first test's time includes starting it, see FUZZ_TIMEOUT_S): they throw random
input at it, and it must stay up. Each target adds a row to ``FUZZ_REPORT`` (inputs, crashes, hangs);
the table is printed at the end of the session, by ``make fuzz`` and in ``make test``'s summary alike.

Sizes come from the environment: ``FUZZ_EXAMPLES`` (generated inputs per gRPC method, decoder and HTTP
target), ``FUZZ_RECORDS`` (junk records of each kind per Kafka topic). Unset, they are the bounded
run's (a minute or two in ``make test``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from jingwu_devstack.procs import Supervisor

from ..conftest import RunningService
from ..district_stack import PROCESSES, Gateways, start_district, start_gateways

# Kept out of the pool the session hands out one per test (the root conftest's 10–98), and not the
# demo's 01: the fuzz stack's own, fixed because the generated inputs' hints are built from it.
FUZZ_DISTRICT = "99"
SERVICES = PROCESSES


# pytest-timeout counts fixture setup in the first test: starting the stack takes minutes on a busy machine.
FUZZ_TIMEOUT_S = 1200


def fuzz_size(name: str, bounded: int) -> int:
    return int(os.environ.get(name, bounded))


@dataclass
class FuzzRow:
    target: str
    inputs: int = 0
    crashes: int = 0
    hangs: int = 0
    rejected: int = 0  # refused with a clear error (DLQ reason, INVALID_ARGUMENT + field violations, 4xx)
    findings: list[str] = field(default_factory=list)


class FuzzReport:
    def __init__(self) -> None:
        self.rows: dict[str, FuzzRow] = {}

    def row(self, target: str) -> FuzzRow:
        return self.rows.setdefault(target, FuzzRow(target))

    def table(self) -> str:
        lines = [
            "| target | inputs | rejected (clear error) | crashes | hangs |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in sorted(self.rows.values(), key=lambda r: r.target):
            lines.append(f"| {row.target} | {row.inputs} | {row.rejected} | {row.crashes} | {row.hangs} |")
        total = FuzzRow("total")
        for row in self.rows.values():
            total.inputs += row.inputs
            total.rejected += row.rejected
            total.crashes += row.crashes
            total.hangs += row.hangs
        lines.append(f"| **total** | {total.inputs} | {total.rejected} | {total.crashes} | {total.hangs} |")
        lines.append(
            "(Kafka rows: rejected counts the group's dead letters, also of junk other targets produced to"
            " a topic it shares; records of a type a group does not handle are skipped by design.)"
        )
        for row in self.rows.values():
            lines += [f"- {row.target}: {finding}" for finding in row.findings[:5]]
        return "\n".join(lines)


FUZZ_REPORT = FuzzReport()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FUZZ_REPORT.rows:
        terminalreporter.section("fuzzing")
        terminalreporter.write_line(FUZZ_REPORT.table())


@pytest.fixture(scope="session")
def fuzz_report() -> FuzzReport:
    return FUZZ_REPORT


@pytest.fixture(scope="package")
def fuzz_stack(
    kafka_bootstrap: str, mongo_url: str, auth_secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, RunningService]]:
    """All six services of district ``FUZZ_DISTRICT`` as processes, shared by the fuzz tests (and
    stopped after the last of them, so the rest of the session does not share the machine with them)."""
    with Supervisor(out=sys.stderr) as supervisor:
        stack = start_district(
            supervisor,
            FUZZ_DISTRICT,
            kafka_bootstrap=kafka_bootstrap,
            mongo_url=mongo_url,
            auth_secret=auth_secret,
            log_dir=tmp_path_factory.mktemp("fuzz-stack"),
            tag="-fuzz",
        )
        yield dict(stack.services)


@pytest.fixture(scope="package")
def fuzz_gateways(
    fuzz_stack: dict[str, RunningService],
    kafka_bootstrap: str,
    auth_secret: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateways]:
    """The city gateways (JT/T 808 over TCP, the handheld HTTP endpoint) routing district
    ``FUZZ_DISTRICT`` to the fuzz stack's telemetry service, as processes, as ``make run`` starts them."""
    with Supervisor(out=sys.stderr) as supervisor:
        yield start_gateways(
            supervisor,
            {FUZZ_DISTRICT: fuzz_stack["telemetry"].target},
            kafka_bootstrap=kafka_bootstrap,
            auth_secret=auth_secret,
            log_dir=tmp_path_factory.mktemp("fuzz-gateways"),
            tag="-fuzz",
            # Fuzzing sends far more than a terminal would: the rate limit is not what is under test.
            env={"JINGWU_GATEWAY_RATE_PER_S": "100000", "JINGWU_GATEWAY_BURST": "100000"},
        )
