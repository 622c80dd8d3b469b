"""Sample devices and the registry application on fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from jingwu_platform.auth import Caller, Role
from jingwu_platform.usecase import FakeClock, UseCaseKit
from jingwu_telemetry.adapters.memory import InMemoryDeviceRepository
from jingwu_telemetry.application.devices import SERVICE, DeviceApplication
from jingwu_telemetry.domain.credentials import AuthCodes
from jingwu_telemetry.domain.devices import (
    Device,
    DeviceKind,
    DeviceStatus,
    HandheldIdentity,
    Jt808Identity,
)

AT = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
DISTRICT = "01"
LEADER = Caller("chief-1", DISTRICT, frozenset({Role.SUPERVISOR}))
ID_NAMESPACE = uuid.UUID(int=9)


def terminal(n: int, **changes: object) -> Device:
    values: dict[str, object] = {
        "device_id": f"dev-{n:03d}",
        "kind": DeviceKind.VEHICLE_TERMINAL,
        "status": DeviceStatus.PROVISIONED,
        "jt808": Jt808Identity(
            terminal_phone=f"1391234{n:04d}", terminal_id=f"T{n:06d}", plate=f"皖L{n:05d}"
        ),
        "zone_code": "01020301",
        "vehicle_id": f"veh-{n}",
        "created_by": "chief-1",
        "create_time": AT,
        "updated_by": "chief-1",
        "update_time": AT,
    }
    values.update(changes)
    return Device(**values)  # type: ignore[arg-type]


def handheld(n: int, **changes: object) -> Device:
    values: dict[str, object] = {
        "device_id": f"hh-{n:03d}",
        "kind": DeviceKind.HANDHELD,
        "status": DeviceStatus.REGISTERED,
        "handheld": HandheldIdentity(app_instance_id=f"app-{n}", model="警务通 X5"),
        "officer_id": f"officer-{n}",
        "credential_hash": "ab" * 32,
    }
    values.update(changes)
    return Device(**values)  # type: ignore[arg-type]


def registry() -> tuple[DeviceApplication, InMemoryDeviceRepository, FakeClock]:
    clock = FakeClock(AT)
    devices = InMemoryDeviceRepository()
    kit = UseCaseKit.create(DISTRICT, SERVICE, ID_NAMESPACE, clock=clock)
    return DeviceApplication(kit, devices, AuthCodes(b"test-key", DISTRICT)), devices, clock
