"""The fault suite's sizes and its report (``make faults``, and the reduced run inside ``make test``).

A fault test (marked ``faults``) sizes itself with :func:`fault_size` — the full size when
``FAULT_SCALE=full`` (``make faults``), the reduced one otherwise — and adds one row per fault to the
session's report through the ``fault_report`` fixture: how much went through, and how much of it was
lost, duplicated, or crashed a process that should have stayed up. The test asserts the three are zero;
the report prints them for every fault at the end of the session (docs/reliability.md quotes it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TypeVar

ENV_FAULT_SCALE = "FAULT_SCALE"
T = TypeVar("T")


def full_scale() -> bool:
    return os.environ.get(ENV_FAULT_SCALE, "reduced") == "full"


def fault_size(reduced: T, full: T) -> T:
    """``full`` under ``FAULT_SCALE=full``, else ``reduced``."""
    return full if full_scale() else reduced


@dataclass(frozen=True)
class FaultRow:
    fault: str
    unit: str  # what ``through`` counts: fixes, events, deliveries, commands
    through: int
    lost: int
    duplicated: int
    crashed: int
    seconds: float
    note: str = ""


@dataclass
class FaultReport:
    rows: list[FaultRow] = field(default_factory=list)

    def add(
        self,
        fault: str,
        *,
        unit: str,
        through: int,
        lost: int,
        duplicated: int,
        crashed: int,
        seconds: float,
        note: str = "",
    ) -> FaultRow:
        row = FaultRow(fault, unit, through, lost, duplicated, crashed, round(seconds, 1), note)
        self.rows.append(row)
        return row

    def table(self) -> str:
        scale = "full" if full_scale() else "reduced"
        lines = [
            f"fault suite, {scale} size ({ENV_FAULT_SCALE}={os.environ.get(ENV_FAULT_SCALE, '')})",
            "| fault | through | lost | duplicated | crashed | s | note |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for row in self.rows:
            lines.append(
                f"| {row.fault} | {row.through:,} {row.unit} | {row.lost} | {row.duplicated} "
                f"| {row.crashed} | {row.seconds} | {row.note} |"
            )
        return "\n".join(lines)


FAULT_REPORT = FaultReport()
