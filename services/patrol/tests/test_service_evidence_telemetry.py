"""Simulated fixes → telemetry → patrol evidence, on the real stack (R-PAT-6, R-TEL-1): an officer's
handheld provisioned in telemetry's registry, fixes published to jingwu.<district>.telemetry.fixes.v1
exactly as the handheld gateway publishes them, telemetry's consumer storing the track and deriving the
zone crossings; patrol learning the handheld and the crossings from telemetry's events and fetching the
track with GetTrack as a Jingwu service. Needs the telemetry package (skipped when it is not importable:
run with ``PYTHONPATH=services/patrol/src:services/telemetry/src`` until the workspace has both)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from jingwu.common.v1 import common_pb2
from jingwu.patrol.v1 import patrol_pb2
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_patrol.entrypoints.options import PatrolOptions
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE, local_midnight
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import produce_records, token_for, wait_until

from conftest import started

from .samples import at_m
from .support import point, running, stamp_of

telemetry_main = pytest.importorskip("jingwu_telemetry.entrypoints.main")
publisher = pytest.importorskip("jingwu_telemetry.gateway.publisher")

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
SPEED = 1.4  # m/s, an officer walking
SECONDS = 900


def walk_start() -> datetime:
    """A quarter of an hour ending ten minutes ago, within one local day."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=SECONDS + 600)
    midnight = local_midnight((datetime.now(DISTRICT_ZONE)).date()).astimezone(UTC)
    if start < midnight <= start + timedelta(seconds=SECONDS):
        start = midnight - timedelta(seconds=SECONDS + 60)
    return start


async def test_handheld_fixes_through_telemetry_become_patrol_evidence(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    telemetry = telemetry_main.build(settings_for("telemetry", district))
    async with started(telemetry.runtime) as telemetry_port:
        telemetry_target = f"127.0.0.1:{telemetry_port}"
        options = PatrolOptions(telemetry_target=telemetry_target, rooms_target="127.0.0.1:1")
        async with running(settings_for, district, auth_secret, kafka_bootstrap, options=options) as patrol:
            await patrol.learn_district()  # telemetry takes the zones in from the same rooms events
            await wait_until(
                lambda: len(telemetry.geography.zones) == 2, what="telemetry taking the zones in"
            )
            leader_token = token_for(auth_secret, district, Role.SUPERVISOR, subject="leader-1")
            async with open_channel(telemetry_target, leader_token) as channel:
                registry = telemetry_pb2_grpc.TelemetryServiceStub(channel)
                device = (
                    await registry.RegisterDevice(
                        telemetry_pb2.RegisterDeviceRequest(
                            kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                            handheld=telemetry_pb2.HandheldApp(app_instance_id="app-7", model="警务通"),
                            zone_code=patrol.zone("020301"),
                            officer_id="officer-7",
                            request_id="provision-7",
                        )
                    )
                ).device

            # The walk: east along a street of zone A at 1.4 m/s, one fix a second, with 3 m of scatter.
            start = walk_start()
            rng = random.Random(5)
            records = []
            for i in range(SECONDS + 1):
                where = at_m(100 + i * SPEED + rng.gauss(0, 3), 500 + rng.gauss(0, 3))
                fix = telemetry_pb2.LocationFix(
                    district_code=district,
                    device_id=device.device_id,
                    device_kind=telemetry_pb2.DEVICE_KIND_HANDHELD,
                    position=point(where),
                    speed_kmh=SPEED * 3.6,
                    fix_time=stamp_of(start + timedelta(seconds=i)),
                    receive_time=stamp_of(datetime.now(UTC)),
                    status_flags=2,
                    source=telemetry_pb2.FIX_SOURCE_HANDHELD_HTTP,
                    accuracy_m=5.0,
                )
                records.append(
                    (
                        fix.SerializeToString(),
                        device.device_id.encode(),
                        publisher.fix_headers(fix, "jingwu/handheld-gateway"),
                    )
                )
            await produce_records(kafka_bootstrap, f"jingwu.{district}.telemetry.fixes.v1", records)
            counters = telemetry.fixes.counters
            await wait_until(
                lambda: counters.stored >= SECONDS + 1, what="telemetry storing the walk", timeout_s=120
            )

            day = start.astimezone(DISTRICT_ZONE).date()
            request = patrol_pb2.ComputePatrolEvidenceRequest(
                device_id=device.device_id,
                date=common_pb2.LocalDate(year=day.year, month=day.month, day=day.day),
            )
            leader = patrol.stub()

            async def with_zone_time() -> bool:
                evidence = (await leader.ComputePatrolEvidence(request)).patrol_evidence
                return bool(evidence.zone_presence)

            await wait_until(
                with_zone_time, what="patrol learning the handheld and its zone crossing", timeout_s=60
            )
            evidence = (await leader.ComputePatrolEvidence(request)).patrol_evidence
            assert evidence.subject_kind == patrol_pb2.EVIDENCE_SUBJECT_KIND_HANDHELD
            assert list(evidence.officer_ids) == ["officer-7"]
            assert evidence.fix_count == SECONDS + 1
            assert evidence.mileage_km == pytest.approx(SECONDS * SPEED / 1000, abs=0.03)
            assert evidence.raw_mileage_km > evidence.mileage_km * 2  # the scatter, filtered
            (zone,) = evidence.zone_presence
            assert zone.zone_code == patrol.zone("020301")
            assert zone.time_in_zone.ToTimedelta() == pytest.approx(
                timedelta(seconds=SECONDS), abs=timedelta(seconds=5)
            )
