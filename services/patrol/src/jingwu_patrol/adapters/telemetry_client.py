"""Telemetry's position queries over gRPC, as a Jingwu service: a device's track for evidence
(GetTrack, paged) and the latest positions of mobile rooms' vehicles for interception orders
(GetLatestPositions)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import telemetry_pb2, telemetry_pb2_grpc
from jingwu_platform.grpc_client import LazyStub

from jingwu_patrol.adapters.service_token import ServiceToken
from jingwu_patrol.domain.geo import GeoPoint
from jingwu_patrol.domain.tracks import Track

log = logging.getLogger(__name__)
PAGE_SIZE = 5_000
TIMEOUT_S = 30.0


class TelemetryUnavailable(ConnectionError):
    """Telemetry could not answer (availability.is_unavailable treats it as such: a schedule retries)."""


def _stamp(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


class GrpcTelemetry:
    def __init__(self, target: str, token: ServiceToken) -> None:
        self._remote: LazyStub[telemetry_pb2_grpc.TelemetryServiceAsyncStub] = LazyStub(
            target, telemetry_pb2_grpc.TelemetryServiceStub
        )
        self._token = token

    @property
    def _stub(self) -> telemetry_pb2_grpc.TelemetryServiceAsyncStub:
        return self._remote.stub

    async def close(self) -> None:
        await self._remote.close()

    async def track(self, device_id: str, start: datetime, end: datetime) -> Track:
        """Every fix of [start, end), oldest first, all pages."""
        track = Track()
        token = ""
        while True:
            request = telemetry_pb2.GetTrackRequest(
                device_id=device_id,
                start_time=_stamp(start),
                end_time=_stamp(end),
                page=common_pb2.PageRequest(page_size=PAGE_SIZE, page_token=token),
            )
            try:
                reply = await self._stub.GetTrack(request, timeout=TIMEOUT_S, metadata=self._token.metadata())
            except grpc.aio.AioRpcError as error:
                raise TelemetryUnavailable(
                    f"telemetry GetTrack: {error.code().name}: {error.details()}"
                ) from error
            for fix in reply.fixes:
                at = fix.fix_time.seconds + fix.fix_time.nanos / 1e9
                if not track.times or at > track.times[-1]:
                    track.append(at, fix.position.longitude, fix.position.latitude)
            token = reply.page.next_page_token
            if not token:
                return track

    async def latest(self, device_ids: Sequence[str], max_age_s: float) -> dict[str, GeoPoint]:
        if not device_ids:
            return {}
        age = Duration()
        age.FromMilliseconds(int(max_age_s * 1000))
        request = telemetry_pb2.GetLatestPositionsRequest(
            device_ids=telemetry_pb2.DeviceIds(device_ids=list(device_ids)), max_age=age
        )
        try:
            reply = await self._stub.GetLatestPositions(
                request, timeout=10.0, metadata=self._token.metadata()
            )
        except grpc.aio.AioRpcError as error:
            log.warning(
                "latest positions unavailable; using the registry's belief",
                extra={"error": error.code().name},
            )
            return {}
        return {
            p.device_id: GeoPoint(p.fix.position.longitude, p.fix.position.latitude)
            for p in reply.positions
            if p.HasField("fix") and not p.stale
        }
