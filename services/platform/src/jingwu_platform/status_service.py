"""``jingwu.platform.v1.StatusService``: registered by the platform on every service's gRPC server."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.platform.v1 import status_pb2, status_pb2_grpc

from jingwu_platform.authz import READ, AccessPolicy
from jingwu_platform.grpc_server import Context, ServiceRegistration
from jingwu_platform.status import ServiceStatus, StatusProbe

ACCESS = AccessPolicy(status_pb2.DESCRIPTOR.services_by_name["StatusService"], {"GetStatus": READ})


def to_proto(status: ServiceStatus) -> status_pb2.GetStatusResponse:
    observed = Timestamp()
    observed.FromDatetime(status.observed_at)
    return status_pb2.GetStatusResponse(
        service=status.service,
        district_code=status.district,
        consumer_groups=[
            status_pb2.ConsumerGroupStatus(
                group_id=g.group.group_id,
                topics=list(g.group.topics),
                lag=g.lag,
                partitions=[
                    status_pb2.PartitionLag(
                        topic=p.topic,
                        partition=p.partition,
                        end_offset=p.end_offset,
                        committed_offset=-1 if p.committed_offset is None else p.committed_offset,
                        lag=p.lag,
                    )
                    for p in g.partitions
                ],
            )
            for g in status.groups
        ],
        outboxes=[
            status_pb2.OutboxStatus(collection=name, pending_documents=count)
            for name, count in sorted(status.outbox_pending.items())
        ],
        outbox_pending=status.total_outbox_pending,
        caught_up=status.caught_up,
        observe_time=observed,
    )


class StatusServicer(status_pb2_grpc.StatusServiceServicer):
    def __init__(self, probe: StatusProbe) -> None:
        self._probe = probe

    async def GetStatus(  # noqa: N802 - the generated servicer's method name
        self, request: status_pb2.GetStatusRequest, context: Context
    ) -> status_pb2.GetStatusResponse:
        return to_proto(await self._probe.status())


def status_registration(probe: StatusProbe) -> ServiceRegistration:
    return ServiceRegistration(
        ACCESS, StatusServicer(probe), status_pb2_grpc.add_StatusServiceServicer_to_server
    )
