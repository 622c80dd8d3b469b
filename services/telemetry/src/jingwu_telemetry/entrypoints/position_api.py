"""The position queries of TelemetryService (R-POP-7, R-PAT-6, R-ROOM-5): latest positions, tracks,
zone events and stop events."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.grpc_server import Context

from jingwu_telemetry.adapters.fix_mapping import position_to_proto, stop_event_to_proto, zone_event_to_proto
from jingwu_telemetry.adapters.proto_mapping import DEVICE_KIND
from jingwu_telemetry.application.ports import LatestQuery, StopEventQuery, ZoneEventQuery
from jingwu_telemetry.application.positions import PositionQueries


def _time(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


class PositionQueriesApi:
    def __init__(self, positions: PositionQueries) -> None:
        self._positions = positions

    async def GetLatestPositions(  # noqa: N802 - gRPC method names are PascalCase
        self, request: telemetry_pb2.GetLatestPositionsRequest, context: Context
    ) -> telemetry_pb2.GetLatestPositionsResponse:
        selector = request.WhichOneof("selector")
        bbox = None
        if selector == "bbox":
            sw, ne = request.bbox.south_west, request.bbox.north_east
            bbox = (sw.longitude, sw.latitude, ne.longitude, ne.latitude)
        query = LatestQuery(
            zone_code=request.zone_code if selector == "zone_code" else "",
            bbox=bbox,
            device_ids=tuple(request.device_ids.device_ids) if selector == "device_ids" else (),
            kind=DEVICE_KIND.from_proto(request.device_kind),
        )
        max_age = request.max_age.ToTimedelta() if request.HasField("max_age") else None
        states = await self._positions.latest(query, max_age)
        now = self._positions.now()
        return telemetry_pb2.GetLatestPositionsResponse(
            positions=[position_to_proto(s, now, self._positions.stale_after) for s in states]
        )

    async def GetTrack(  # noqa: N802
        self, request: telemetry_pb2.GetTrackRequest, context: Context
    ) -> telemetry_pb2.GetTrackResponse:
        points, token = await self._positions.track(
            request.device_id,
            _time(request.start_time, request.HasField("start_time")),
            _time(request.end_time, request.HasField("end_time")),
            min_interval=request.min_interval.ToTimedelta() if request.HasField("min_interval") else None,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        response = telemetry_pb2.GetTrackResponse()
        for point in points:
            response.fixes.add().ParseFromString(point.payload)
        response.page.next_page_token = token
        return response

    async def ListZoneEvents(  # noqa: N802
        self, request: telemetry_pb2.ListZoneEventsRequest, context: Context
    ) -> telemetry_pb2.ListZoneEventsResponse:
        found, token = await self._positions.zone_events(
            ZoneEventQuery(
                zone_code=request.zone_code,
                device_id=request.device_id,
                start=_time(request.start_time, request.HasField("start_time")),
                end=_time(request.end_time, request.HasField("end_time")),
                after_id=request.page.page_token,
            ),
            request.page.page_size,
        )
        response = telemetry_pb2.ListZoneEventsResponse(zone_events=[zone_event_to_proto(e) for e in found])
        response.page.next_page_token = token
        return response

    async def ListStopEvents(  # noqa: N802
        self, request: telemetry_pb2.ListStopEventsRequest, context: Context
    ) -> telemetry_pb2.ListStopEventsResponse:
        found, token = await self._positions.stop_events(
            StopEventQuery(
                room_id=request.room_id,
                stop_id=request.stop_id,
                device_id=request.device_id,
                start=_time(request.start_time, request.HasField("start_time")),
                end=_time(request.end_time, request.HasField("end_time")),
                after_id=request.page.page_token,
            ),
            request.page.page_size,
        )
        response = telemetry_pb2.ListStopEventsResponse(stop_events=[stop_event_to_proto(e) for e in found])
        response.page.next_page_token = token
        return response
